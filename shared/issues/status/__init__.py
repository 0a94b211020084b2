"""Status changes of groups: resolving (now, in a release, in a commit), ignoring, unresolving."""
