"""What an incoming event does to its group: hourly counts, regression, snooze expiry and escalation."""
