"""Per-project feature flags, named as Sentry's project serializer lists them (``projects:`` dropped).

Only flags this server acts on can be set; Sentry grants them by plan, here an admin sets them."""

from __future__ import annotations

from shared.storage.accounts import Project

DISCARD_GROUPS = "discard-groups"
SETTABLE_FEATURES = frozenset({DISCARD_GROUPS})


def has_project_feature(project: Project, name: str) -> bool:
    return name in (project.features or set())


def set_project_features(project: Project, enabled: set[str]) -> Project:
    """Replace the project's settable flags with ``enabled`` (unknown names are the caller's 400)."""
    action = Project.features.set(set(enabled)) if enabled else Project.features.remove()
    project.update(actions=[action], condition=Project.pk.exists())
    return project
