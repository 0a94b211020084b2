"""Releases: create, update, commits, refs and the issues their commits resolve."""
