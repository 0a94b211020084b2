"""Serializers read nothing: the caller loads what they need in bulk (``shared.issues.views``) and
passes it in, so a page's requests are counted in one place. Checked statically: no function of
``shared/serializers`` reaches a DynamoDB read, following calls into the project's own functions."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# PynamoDB reads (``Model.get`` is matched on a class name), and the project's batch helper.
READ_METHODS = {"query", "scan", "batch_get", "count", "refresh"}
READ_FUNCTIONS = {"batch_get"}


@cache
def _module(name: str) -> tuple[dict[str, ast.FunctionDef], dict[str, tuple[str, str]]]:
    """A project module's top-level functions and the project functions it imports by name."""
    path = ROOT / (name.replace(".", "/") + ".py")
    if not path.is_file():
        path = ROOT / name.replace(".", "/") / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    imported = {
        alias.asname or alias.name: (node.module, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("shared.")
        for alias in node.names
    }
    return functions, imported


def reaches_a_read(module: str, function: str, seen: set[tuple[str, str]] | None = None) -> bool:
    seen = set() if seen is None else seen
    if (module, function) in seen:
        return False
    seen.add((module, function))
    functions, imported = _module(module)
    if function not in functions:
        return False  # a class or a constant
    for call in (n for n in ast.walk(functions[function]) if isinstance(n, ast.Call)):
        target = call.func
        if isinstance(target, ast.Attribute):
            on_class = isinstance(target.value, ast.Name) and target.value.id[:1].isupper()
            if target.attr in READ_METHODS or (target.attr == "get" and on_class):
                return True
        elif isinstance(target, ast.Name):
            if target.id in READ_FUNCTIONS:
                return True
            if target.id in functions and reaches_a_read(module, target.id, seen):
                return True
            if target.id in imported and reaches_a_read(*imported[target.id], seen):
                return True
    return False


def test_the_check_finds_reads_through_calls() -> None:
    assert reaches_a_read("shared.issues.activity", "recent_activity")
    assert reaches_a_read("shared.issues.views", "load_feed")  # through recent_activity
    assert reaches_a_read("shared.issues.status.snooze", "snooze_is_over")  # through the counts
    assert not reaches_a_read("shared.serializers.dates", "format_datetime")


def test_no_serializer_reads() -> None:
    modules = sorted(p.stem for p in (ROOT / "shared" / "serializers").glob("*.py") if p.stem != "__init__")
    reading = [
        f"shared.serializers.{m}.{f}"
        for m in modules
        for f in _module(f"shared.serializers.{m}")[0]
        if reaches_a_read(f"shared.serializers.{m}", f)
    ]
    assert reading == []
