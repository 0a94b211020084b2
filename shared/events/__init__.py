"""Events as Sentry keeps them: normalized, stored and read back."""
