"""Workflow notifications: email to the people an issue or a release concerns (assignees,
subscribers, commit authors), queued once per activity or deploy and sent by the notifier, and each
user's choices of what to receive (Sentry's notification options)."""
