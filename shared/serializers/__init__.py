"""Sentry's response shapes, one module per resource."""
