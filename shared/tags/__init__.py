"""Tags of issues: what each event says about itself (its tags and those Sentry derives), counted
per issue in a bounded summary."""
