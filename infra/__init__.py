"""Deployment tooling: the SAM template, the dependency lock, packaging and its static checks."""
