"""Issues (Sentry "groups"): creation, short ids, inbox, activity, history, commit links, resolution."""
