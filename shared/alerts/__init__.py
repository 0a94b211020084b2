"""Issue alerts: rules (Sentry's ids, fields and validation), their evaluation in the event pipeline,
and the delivery of what they fire (email through SES, webhooks)."""
