"""Issues (Sentry "groups"): the group records and their reads here; ``updates/`` (the issue update),
``status/`` (resolve, ignore, unresolve), ``events/`` (what an event does to a group), ``deletion/``."""
