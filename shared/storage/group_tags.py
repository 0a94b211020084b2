"""A group's tag summary (``shared.tags.summary``), one item in the group's partition, so it is read
and deleted with the group. ``version`` goes up by one per write: merges are conditional on the
version they read. ``second``/``writes``: the newest event second written and how many writes
carried events of it (how busy the issue is, ``shared.tags.store``). ``users_hour``/``users``: the
group's newest hour of users and its ``UserSketch`` (``shared.issues.events.counts``), merged in
the same write as the tags; an older hour's sketch is on its ``GroupHourlyUsers`` row."""

from __future__ import annotations

from pynamodb.attributes import BinaryAttribute, UnicodeAttribute

from shared.storage.integers import IntegerAttribute
from shared.storage.issues import IssueItem, group_pk


class GroupTags(IssueItem, discriminator="tags"):
    summary = BinaryAttribute(legacy_encoding=False)
    version = IntegerAttribute(default=0)
    second = IntegerAttribute(null=True)  # epoch seconds
    second_events = IntegerAttribute(null=True)  # events of ``second`` counted in (an estimate when sampled)
    users_hour = UnicodeAttribute(null=True)
    users = BinaryAttribute(legacy_encoding=False, null=True)

    @staticmethod
    def key(group_id: int) -> tuple[str, str]:
        return group_pk(group_id), "TAGS"
