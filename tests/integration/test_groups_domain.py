"""Group storage and domain primitives on the moto server: creation, short ids, inbox, commit links,
resolution in a release, and the DynamoDB requests each costs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from local.metering import count_requests
from shared.issues import groups
from shared.issues.enums import (
    ActivityType,
    GroupHistoryStatus,
    GroupInboxReason,
    GroupInboxRemoveAction,
    GroupResolutionStatus,
    GroupResolutionType,
    GroupStatus,
    GroupSubscriptionReason,
    GroupSubStatus,
    PriorityLevel,
)
from shared.issues.groups import create_group, find_groups_by_short_ids, get_group
from shared.issues.inbox import add_group_to_inbox, remove_group_from_inbox
from shared.issues.short_ids import format_short_id
from shared.issues.status.commit_links import link_commit_to_groups
from shared.issues.status.release_resolution import resolve_groups_in_release
from shared.issues.status_index import status_groups
from shared.sequences import BlockSequence
from shared.storage.accounts import Project
from shared.storage.group_people import GroupSubscription
from shared.storage.issues import (
    Activity,
    Group,
    GroupHistory,
    GroupInbox,
    GroupLink,
    GroupResolution,
    IssueItem,
    ShortIdPointer,
    group_pk,
)
from shared.storage.releases import ReleaseProject, release_pk


def _rows(group: Group) -> list[IssueItem]:
    return list(IssueItem.query(group_pk(group.id), consistent_read=True))


def _of(rows: list[IssueItem], kind: type[IssueItem]) -> list:
    return [r for r in rows if isinstance(r, kind)]


def _set_status(group: Group, status: GroupStatus) -> None:
    group.update(actions=group.status_actions(status, None))


def test_create_group_writes_group_pointer_and_new_inbox(project: Project) -> None:
    first = create_group(project, "ZeroDivisionError: division by zero", culprit="app.views in index")
    second = create_group(project, "KeyError: 'user'", level="warning")

    assert (first.short_id, second.short_id) == (1, 2)  # per-project sequence
    assert second.id > first.id
    stored = get_group(first.id)
    assert stored is not None
    assert stored.title == "ZeroDivisionError: division by zero" and stored.culprit == "app.views in index"
    assert (stored.status, stored.substatus) == (GroupStatus.UNRESOLVED, GroupSubStatus.NEW)
    assert (stored.project_id, stored.org_id) == (project.id, project.org_id)
    assert stored.level == "error" and stored.priority == PriorityLevel.HIGH and stored.times_seen == 1
    assert stored.first_seen == stored.last_seen and stored.resolved_at is None
    assert second.priority == PriorityLevel.MEDIUM
    assert stored.gsi1pk == f"PROJECT#{project.id}#STATUS#0"
    assert stored.gsi1sk == f"{stored.last_seen.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{first.id:020d}"

    rows = _rows(first)
    assert {type(r) for r in rows} == {Group, GroupInbox}
    [inbox] = _of(rows, GroupInbox)
    assert inbox.reason == GroupInboxReason.NEW and inbox.reason_details is None
    pointer = ShortIdPointer.get(*ShortIdPointer.key(project.id, 2), consistent_read=True)
    assert pointer.group_id == second.id

    listed = status_groups(project.id, GroupStatus.UNRESOLVED, newest_first=False)
    assert [g.id for g in listed] == [first.id, second.id]  # oldest last seen first
    assert get_group(10**15) is None


def test_create_group_cost_and_release_new_groups(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(groups, "_GROUP_IDS", BlockSequence("group", 20))
    with count_requests() as calls:
        create_group(project, "without a release")
    # a block of group ids, the short id reserved (ADD 1), one transaction (group + short id
    # pointer + inbox)
    assert calls == {"UpdateItem": 1 + 1, "TransactWriteItems": 1}

    org_id, version, other_project = project.org_id, "1.0.0", project.id + 1
    for project_id in (project.id, other_project):
        pk, sk = ReleaseProject.key(org_id, version, project_id)
        ReleaseProject(pk=pk, sk=sk, release_id=7, project_id=project_id, new_groups=0).save()
    with count_requests() as calls:
        group = create_group(project, "first seen in 1.0.0", first_release_version=version)
    # the group id comes from the block: the short id's ADD + the new_groups ADD
    assert calls == {"UpdateItem": 1 + 1, "TransactWriteItems": 1}
    create_group(project, "also first seen in 1.0.0", first_release_version=version)
    assert group.first_release_version == version

    links = {
        link.project_id: link
        for link in ReleaseProject.query(release_pk(org_id, version), consistent_read=True)
    }
    assert (links[project.id].new_groups, links[project.id].release_id) == (2, 7)
    assert links[other_project].new_groups == 0

    create_group(project, "first seen in an unlinked release", first_release_version="2.0.0")
    [created] = ReleaseProject.query(release_pk(org_id, "2.0.0"), consistent_read=True)
    assert isinstance(created, ReleaseProject)
    assert (created.project_id, created.new_groups) == (project.id, 1)


def test_find_groups_by_short_ids(project: Project) -> None:
    first = create_group(project, "one")
    second = create_group(project, "two")
    gone = create_group(project, "pending deletion")
    _set_status(gone, GroupStatus.PENDING_DELETION)
    org_id = project.org_id
    first_id = format_short_id(project.slug, first.short_id)
    second_id = format_short_id(project.slug, second.short_id)
    gone_id = format_short_id(project.slug, gone.short_id)
    wanted = [first_id.lower(), second_id, gone_id, "NOPE-1", f"{project.slug}-ZZZZ", "not a short id"]

    with count_requests() as calls:
        found = find_groups_by_short_ids(org_id, wanted)
    assert calls == {"BatchGetItem": 3}  # projects, short id pointers, groups
    assert {k: g.id for k, g in found.items()} == {first_id: first.id, second_id: second.id}
    assert first_id == first_id.upper()
    assert find_groups_by_short_ids(org_id + 1, [first_id]) == {}
    with count_requests() as calls:
        assert find_groups_by_short_ids(org_id, ["nothing"]) == {}
    assert calls == {}


def test_linking_a_commit_twice_links_and_logs_once(project: Project) -> None:
    groups = [create_group(project, "a"), create_group(project, "b")]

    with count_requests() as calls:
        assert link_commit_to_groups(41, groups, user_id=5) == groups
    assert calls == {"TransactWriteItems": 1, "PutItem": 2}  # links and activities; the author subscribed
    with count_requests() as calls:
        assert link_commit_to_groups(41, groups + groups[:1], user_id=5) == []
    assert calls == {"TransactWriteItems": 1}  # cancelled: every link existed

    for group in groups:
        rows = _rows(group)
        [link] = _of(rows, GroupLink)
        assert (link.linked_type, link.linked_id, link.relationship) == ("commit", 41, "resolves")
        assert (link.project_id, link.group_id) == (project.id, group.id)
        [activity] = _of(rows, Activity)
        assert activity.type == ActivityType.REFERENCED_IN_COMMIT and activity.ident == "41"
        assert activity.data.as_dict() == {"commit": 41} and activity.user_id == 5
        [subscription] = _of(rows, GroupSubscription)
        assert subscription.user_id == 5 and subscription.reason == GroupSubscriptionReason.STATUS_CHANGE

    newcomer = create_group(project, "c")
    with count_requests() as calls:
        assert link_commit_to_groups(41, [groups[0], newcomer]) == [newcomer]
    assert calls == {"TransactWriteItems": 2}  # one cancelled, one retry without the linked group
    assert len(_of(_rows(groups[0]), Activity)) == 1
    assert len(_of(_rows(newcomer), Activity)) == 1


def test_resolve_groups_in_release(project: Project) -> None:
    unresolved = create_group(project, "unresolved")
    ignored = create_group(project, "ignored")
    _set_status(ignored, GroupStatus.IGNORED)
    already = create_group(project, "already resolved")
    _set_status(already, GroupStatus.RESOLVED)
    deleting = create_group(project, "pending deletion")
    _set_status(deleting, GroupStatus.PENDING_DELETION)
    index_sk = unresolved.gsi1sk

    candidates = [unresolved, ignored, already, deleting]
    with count_requests() as calls:
        resolved = resolve_groups_in_release(candidates, "1.2.0", 99, actor_id=3)
    # one per resolvable group, the resolution row alone for the resolved one, nothing for the others
    assert calls == {"TransactWriteItems": 2, "PutItem": 1}
    assert [g.id for g in resolved] == [unresolved.id, ignored.id]

    for group in resolved:
        stored = get_group(group.id)
        assert stored is not None
        assert (stored.status, stored.substatus) == (GroupStatus.RESOLVED, None)
        assert stored.resolved_at is not None and stored.resolved_at == group.resolved_at
        assert stored.gsi1pk == group.gsi1pk == f"PROJECT#{project.id}#STATUS#1"
        rows = _rows(group)
        assert _of(rows, GroupInbox) == []
        [resolution] = _of(rows, GroupResolution)
        assert resolution.type == GroupResolutionType.IN_RELEASE
        assert resolution.status == GroupResolutionStatus.RESOLVED
        assert (resolution.release_version, resolution.release_id, resolution.actor_id) == ("1.2.0", 99, 3)
        [history] = _of(rows, GroupHistory)
        assert (history.status, history.user_id) == (GroupHistoryStatus.RESOLVED, 3)
    assert get_group(unresolved.id).gsi1sk == index_sk  # type: ignore[union-attr]
    assert get_group(deleting.id).status == GroupStatus.PENDING_DELETION  # type: ignore[union-attr]
    [applied] = _of(_rows(already), GroupResolution)
    assert (applied.release_version, applied.type) == ("1.2.0", GroupResolutionType.IN_RELEASE)
    assert get_group(already.id).status == GroupStatus.RESOLVED  # type: ignore[union-attr]

    stale = get_group(unresolved.id)
    assert stale is not None
    stale.status = int(GroupStatus.UNRESOLVED)  # a copy read before the resolution
    with count_requests() as calls:
        assert resolve_groups_in_release([stale], "1.3.0", None) == []
    assert calls == {"TransactWriteItems": 1}  # cancelled by the status condition
    [resolution] = _of(_rows(unresolved), GroupResolution)
    assert resolution.release_version == "1.2.0"


def test_mark_reviewed_logs_only_when_a_row_was_removed(project: Project) -> None:
    group = create_group(project, "to review")
    with count_requests() as calls:
        assert remove_group_from_inbox(group, GroupInboxRemoveAction.MARK_REVIEWED, user_id=8) is True
    assert calls == {"TransactWriteItems": 1}
    rows = _rows(group)
    assert _of(rows, GroupInbox) == []
    [activity] = _of(rows, Activity)
    assert (activity.type, activity.user_id) == (ActivityType.MARK_REVIEWED, 8)
    [history] = _of(rows, GroupHistory)
    assert (history.status, history.user_id) == (GroupHistoryStatus.REVIEWED, 8)

    assert remove_group_from_inbox(group, GroupInboxRemoveAction.MARK_REVIEWED, user_id=8) is False
    assert len(_rows(group)) == len(rows)

    added = add_group_to_inbox(group, GroupInboxReason.MANUAL)
    assert added is not None and added.reason == GroupInboxReason.MANUAL
    assert add_group_to_inbox(group, GroupInboxReason.REGRESSION) is None  # the first row stays
    [inbox] = _of(_rows(group), GroupInbox)
    assert inbox.reason == GroupInboxReason.MANUAL
    assert remove_group_from_inbox(group, GroupInboxRemoveAction.MARK_REVIEWED) is True  # no user
    assert remove_group_from_inbox(group, GroupInboxRemoveAction.RESOLVED) is False
    assert len(_of(_rows(group), Activity)) == 1


def test_inbox_reason_details_follow_sentrys_schema(project: Project) -> None:
    group = create_group(project, "snoozed")
    remove_group_from_inbox(group, GroupInboxRemoveAction.IGNORED)
    until = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    add_group_to_inbox(group, GroupInboxReason.ESCALATING, {"until": until, "count": 10})
    [inbox] = _of(_rows(group), GroupInbox)
    assert inbox.reason_details.as_dict() == {"until": "2030-01-02T03:04:05Z", "count": 10}

    remove_group_from_inbox(group, GroupInboxRemoveAction.IGNORED)
    add_group_to_inbox(group, GroupInboxReason.ESCALATING, {"unexpected": 1})
    [inbox] = _of(_rows(group), GroupInbox)
    assert inbox.reason_details is None
