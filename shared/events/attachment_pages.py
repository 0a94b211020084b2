"""An issue's attachments in pages, newest event first, with position cursors over the issue's
events (the event store's group index, ``walk_group``): any page is one walk from its cursor, so
every attachment of every kept event is reachable, however many events the issue has.

A cursor names an attachment (its event's index position and its place among the event's files):
``after`` it toward older events, ``before`` it toward newer ones, in the event lists' cursor
format. A request reads at most ``MAX_EVENTS_READ`` events (their attachment indexes 100 per
BatchGetItem); when that bound ends a walk before the page is full, the page is shorter and its
``next`` cursor continues from the last event read, so time per request stays bounded."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from itertools import islice

from shared.events.attachments import Attachment, attachments_of_events
from shared.events.index import Found, walk_group
from shared.events.reads import decode_cursor, encode_cursor
from shared.storage.issues import Group
from shared.storage.paging import Page

EVENTS_PER_READ = 100
MAX_EVENTS_READ = 1000
# An attachment place past any event's files: a cursor that continues after a whole event.
PAST_FILES = 999_999


def _events(group: Group, position: list | None, older: bool) -> Iterator[Found]:
    """The group's events from the cursor's event toward older or newer ones; the cursor's event
    itself only when some of its files lie beyond the cursor's place."""
    if position is None:
        return walk_group(group.id, None, older)
    sk, index, place = position
    if place == (PAST_FILES if older else 0):
        return walk_group(group.id, (sk, index), older)
    return walk_group(group.id, (sk, index - 1 if older else index + 1), older)


def _walk(
    group: Group, position: list | None, older: bool, types: Collection[str], event_ids: Collection[str]
) -> Iterator[tuple[list, Attachment | None]]:
    """(place, attachment) in walk order, strictly beyond the cursor's place; when the walk stops at
    ``MAX_EVENTS_READ`` events, last (the place past the last event read, None)."""
    events = list(islice(_events(group, position, older), MAX_EVENTS_READ))
    for start in range(0, len(events), EVENTS_PER_READ):
        read = events[start : start + EVENTS_PER_READ]
        chunk = [e for e in read if not event_ids or e.event_id in event_ids]
        by_event: dict[str, list[Attachment]] = {}
        for attachment in attachments_of_events(group.project_id, [e.event_id for e in chunk]):
            by_event.setdefault(attachment.event_id, []).append(attachment)
        for event in chunk:
            files = sorted(by_event.get(event.event_id, []), key=lambda a: a.index, reverse=not older)
            for attachment in files:
                place = [event.sk, event.index, attachment.index]
                at_cursor = position is not None and place[:2] == position[:2]
                if at_cursor and not _beyond(attachment, position, older):
                    continue
                if not types or attachment.type in types:
                    yield place, attachment
    if len(events) == MAX_EVENTS_READ:
        yield [events[-1].sk, events[-1].index, PAST_FILES if older else 0], None


def _beyond(attachment: Attachment, position: list, older: bool) -> bool:
    """Whether a file of the cursor's own event lies beyond the cursor's place in the walk."""
    return attachment.index > position[2] if older else attachment.index < position[2]


def issue_attachments_page(
    group: Group, cursor: str | None, per_page: int, types: Collection[str], event_ids: Collection[str]
) -> Page[Attachment]:
    """One page of the issue's attachments (Sentry's ``types`` and ``event_id`` filters), newest
    event first; 400 for a cursor that is not one of ours."""
    position = decode_cursor(cursor, 3)
    older = position is None or position[0]
    rows: list[tuple[list, Attachment]] = []
    stopped: list | None = None  # where a walk cut short by the bound stopped
    for place, attachment in _walk(group, position[1] if position else None, older, types, event_ids):
        if attachment is None:
            stopped = place
        else:
            rows.append((place, attachment))
            if len(rows) > per_page:
                break
    more = len(rows) > per_page
    rows = rows[:per_page]
    onward = rows[-1][0] if more else stopped  # where the walk's direction continues, if anywhere
    if not older:
        rows.reverse()
    back = (rows[0][0] if older else rows[-1][0]) if rows else None
    forward_cursor = encode_cursor({"after" if older else "before": onward}) if onward else None
    back_cursor = (
        encode_cursor({"before" if older else "after": back}) if position is not None and back else None
    )
    next_cursor, prev_cursor = (forward_cursor, back_cursor) if older else (back_cursor, forward_cursor)
    return Page([a for _, a in rows], next_cursor, prev_cursor)
