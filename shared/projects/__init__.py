"""Projects: creation with Sentry's slug rules and a snowflake id, lookup and listing."""
