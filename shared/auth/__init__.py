"""Tokens, scopes, membership and project access: who may do what."""
