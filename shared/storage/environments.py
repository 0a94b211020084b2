"""A project's environments (Sentry's Environment and EnvironmentProject), in the issues table under
``pk = ENVIRONMENTS#<project_id>``: one Query lists a project's, each row says whether the project
hides it (Sentry's ``is_hidden``)."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.storage.base import utcnow
from shared.storage.integers import IntegerAttribute
from shared.storage.issues import IssueItem


class ProjectEnvironment(IssueItem, discriminator="environment"):
    id = IntegerAttribute()
    project_id = IntegerAttribute()
    org_id = IntegerAttribute()
    name = UnicodeAttribute()
    is_hidden = BooleanAttribute(default=False)
    date_added = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def partition(project_id: int) -> str:
        return f"ENVIRONMENTS#{project_id}"

    @staticmethod
    def key(project_id: int, name: str) -> tuple[str, str]:
        return ProjectEnvironment.partition(project_id), f"ENV#{name}"
