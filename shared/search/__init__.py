"""Sentry's search query language and the issue search built on it."""
