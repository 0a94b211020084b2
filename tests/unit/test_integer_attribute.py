"""Integer attributes read back as ``int`` and are written exactly as PynamoDB writes any number, so
stored items are unchanged and callers need no casts."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute

from shared.issues.enums import GroupStatus
from shared.storage.counters import Counter
from shared.storage.issues import Group


def test_the_wire_form_is_a_number_attributes() -> None:
    group = Group(*Group.key(7), id=7, status=GroupStatus.RESOLVED, times_seen=12)
    stored = group.serialize(null_check=False)
    number = NumberAttribute()
    assert stored["id"] == {"N": number.serialize(7)} == {"N": "7"}
    assert stored["status"] == {"N": number.serialize(int(GroupStatus.RESOLVED))}
    assert stored["times_seen"] == {"N": "12"}


def test_values_read_back_as_int() -> None:
    counter = Counter.from_raw_data({"pk": {"S": "SEQ#x"}, "value": {"N": "41"}})
    assert type(counter.value) is int and counter.value == 41
    group = Group.from_raw_data(
        {"pk": {"S": "GROUP#7"}, "sk": {"S": "GROUP"}, "id": {"N": "7"}, "status": {"N": "1"}}
    )
    assert (type(group.id), group.id, type(group.status), group.status) == (int, 7, int, 1)


def test_assigned_values_are_plain_ints() -> None:
    group = Group(*Group.key(7), status=GroupStatus.RESOLVED, substatus=None)
    assert type(group.status) is int and group.status == GroupStatus.RESOLVED
    assert group.substatus is None
