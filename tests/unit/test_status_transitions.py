"""The status table (``shared.issues.status.transitions``) is the only place that decides what status
and substatus a group moves to: production code changes a group's status only through a row of it.

The check reads the source (every module of the deployed and local code): a status change is a call
of ``Group.status_actions`` / ``status_values`` / ``take_status``, a ``Group.status.set`` action, an
assignment to a group's ``status``/``substatus`` or a group built with them; each must take the
status and substatus from a row (``<row>.to_status``, ``<row>.to_substatus``) or go through the
row's own ``actions`` / ``performed_on``."""

from __future__ import annotations

import ast
from pathlib import Path

from shared.issues.enums import GroupStatus
from shared.issues.status import transitions
from shared.issues.status.transitions import BY_UPDATE_TARGET, SET_BY_UPDATE, TRANSITIONS, StatusTransition

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ("shared", "functions", "local", "cli", "bench")
# The table itself, and the model whose helpers write what a row decides.
HOMES = {Path("shared/issues/status/transitions.py"), Path("shared/storage/issues.py")}
STATUS_HELPERS = {"status_actions", "status_values", "take_status"}
GROUP_STATUS_ATTRIBUTES = {"status", "substatus"}


def _from_row(node: ast.expr, attribute: str) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == attribute


def _names_a_group(name: str) -> bool:
    """A variable holding a group (an update plan's ``status`` is not a group's)."""
    return "group" in name or name in {"self", "parent", "child", "children"}


def violations(source: str, name: str) -> list[str]:
    """Where ``source`` sets a group's status other than from a row of the table."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if func.attr in STATUS_HELPERS:
                status, substatus = node.args[-2:] if len(node.args) >= 2 else (None, None)
                if not (_from_row(status, "to_status") and _from_row(substatus, "to_substatus")):
                    found.append(f"{where}: {func.attr} with a status not read from the table")
            value = func.value
            if (
                func.attr == "set"
                and isinstance(value, ast.Attribute)
                and value.attr in GROUP_STATUS_ATTRIBUTES | {"gsi1pk"}
                and isinstance(value.value, ast.Name)
                and value.value.id == "Group"
            ):
                found.append(f"{where}: Group.{value.attr}.set")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "Group"
            and any(k.arg in GROUP_STATUS_ATTRIBUTES for k in node.keywords)
        ):
            found.append(f"{where}: a Group built with a status of its own")
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found.extend(
                f"{where}: {target.value.id}.{target.attr} assigned"
                for target in targets
                if isinstance(target, ast.Attribute)
                and target.attr in GROUP_STATUS_ATTRIBUTES
                and isinstance(target.value, ast.Name)
                and _names_a_group(target.value.id)
            )
    return sorted(found, key=lambda v: int(v.split(":")[1]))


def test_the_table_is_the_only_place_that_sets_a_status() -> None:
    found: list[str] = []
    for folder in PRODUCTION:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative not in HOMES:
                found.extend(violations(path.read_text(encoding="utf-8"), str(relative)))
    assert found == []


def test_the_check_finds_each_way_of_setting_a_status_by_hand() -> None:
    source = (
        "def f(group, rule):\n"
        "    group.status_actions(GroupStatus.RESOLVED, None)\n"
        "    group.take_status(rule.to_status, None)\n"
        "    Group.substatus.set(3)\n"
        "    group.status = 1\n"
        "    Group(pk='p', status=0)\n"
        "    rule.actions(group)\n"
        "    group.take_status(rule.to_status, rule.to_substatus)\n"
    )
    assert [v.split(": ", 1)[0] for v in violations(source, "m")] == ["m:2", "m:3", "m:4", "m:5", "m:6"]


def test_every_row_is_named_once_and_listed() -> None:
    rows = [v for v in vars(transitions).values() if isinstance(v, StatusTransition)]
    assert {id(r) for r in rows} | {id(r) for r in SET_BY_UPDATE} == {id(r) for r in TRANSITIONS}
    names = [r.name for r in TRANSITIONS]
    assert len(names) == len(set(names))


def test_an_update_may_ask_for_each_substatus_with_its_status_only() -> None:
    assert {status for status, _ in BY_UPDATE_TARGET} == {GroupStatus.UNRESOLVED, GroupStatus.IGNORED}
    for (status, substatus), row in BY_UPDATE_TARGET.items():
        assert not row.starts_from(status, substatus)  # a group already there only moves substatus
        assert row.starts_from(GroupStatus.RESOLVED, None)
