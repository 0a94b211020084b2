"""The issue update (Sentry's update_groups) and the per-field handlers it dispatches to."""
