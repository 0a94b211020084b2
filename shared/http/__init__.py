"""What every API function shares: Sentry-style errors, the caller's identity, path decoding, paging.

Handlers import from here and from the domain services; nothing in the rest of ``shared`` imports
this package, so the rules never depend on HTTP."""
