"""Each function's policy grants exactly the table and queue actions its code performs.

The declared map (infra/access.yaml) is compared with the template's policies and with what the
handler's code does (read statically, following its calls through ``shared``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from infra.access import code_access, declared_access, template_access
from infra.import_graph import Resolver, import_graph
from infra.package import ROOT
from local.template import resources

FUNCTIONS = resources("AWS::Serverless::Function")


def _code(entry: str, *roots: Path) -> tuple[dict[str, str], list[str]]:
    resolver = Resolver([*roots, ROOT], (".so",))
    return code_access(import_graph(entry, resolver, (3, 13)), entry)


def test_every_function_is_declared() -> None:
    assert set(declared_access()) == set(FUNCTIONS)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_template_grants_exactly_the_declared_access(function: str) -> None:
    granted = template_access(FUNCTIONS[function])
    repeated = [resource for resource, count in Counter(r for r, _ in granted).items() if count > 1]
    assert not repeated, f"{function} has several policies for {repeated}"
    assert dict(granted) == declared_access()[function]


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_code_does_exactly_the_declared_access(function: str) -> None:
    levels, unattributed = _code(FUNCTIONS[function]["Handler"].rsplit(".", 1)[0])
    assert unattributed == [], "annotate the item's model so its table can be told"
    assert levels == declared_access()[function]


def _handler(tmp_path: Path, body: str, **modules: str) -> Path:
    folder = tmp_path / "functions" / "probe"
    folder.mkdir(parents=True)
    (tmp_path / "functions" / "__init__.py").write_text("", encoding="utf-8")
    (folder / "__init__.py").write_text("", encoding="utf-8")
    (folder / "app.py").write_text(body, encoding="utf-8")
    for name, text in modules.items():
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
    return tmp_path


def test_reading_tells_reads_writes_and_sends_apart(tmp_path: Path) -> None:
    root = _handler(
        tmp_path,
        "from shared.config import settings\n"
        "from shared.queues import send_job\n"
        "from shared.storage.counters import Counter\n"
        "from shared.storage.issues import Group\n\n"
        "def handler(event, context):\n"
        "    _bump(Group.get('pk', 'sk'))\n"
        "    send_job(settings().deletion_queue_url, {})\n\n"
        "def _bump(group: Group) -> None:\n"
        "    Counter(pk='x').update(actions=[Counter.value.add(1)])\n"
        "    group.save()\n",
    )
    levels, unattributed = _code("functions.probe.app", root)
    assert levels == {"IssuesTable": "crud", "CountersTable": "write", "DeletionQueue": "send"}
    assert unattributed == []


def test_reading_tells_a_bucket_by_the_setting_its_calls_name(tmp_path: Path) -> None:
    root = _handler(
        tmp_path,
        "from shared.config import settings\n"
        "from shared.storage.objects import s3\n\n"
        "def handler(event, context):\n"
        "    _keep(b'x')\n"
        "    return s3().get_object(Bucket=settings().artifacts_bucket, Key='a')\n\n"
        "def _keep(body: bytes) -> None:\n"
        "    s3().put_object(Bucket=settings().events_bucket, Key='e', Body=body)\n"
        "    s3().delete_object(Bucket=settings().events_bucket, Key='old')\n",
    )
    levels, unattributed = _code("functions.probe.app", root)
    assert levels == {"ArtifactsBucket": "read", "EventsBucket": "crud"}
    assert unattributed == []


def test_code_not_called_by_the_handler_grants_nothing(tmp_path: Path) -> None:
    root = _handler(
        tmp_path,
        "from functions.probe.rows import find, unused\n\ndef handler(event, context):\n    return find()\n",
        rows="from shared.storage.accounts import User\n\n"
        "def find() -> User:\n"
        "    return User.get('pk', 'sk')\n\n"
        "def unused(user: User) -> None:\n"
        "    user.delete()\n",
    )
    assert _code("functions.probe.app", root) == ({"AccountsTable": "read"}, [])


def test_a_write_whose_table_cannot_be_told_is_reported(tmp_path: Path) -> None:
    root = _handler(
        tmp_path,
        "from shared.storage.accounts import User\nfrom shared.storage.issues import Group\n\n"
        "def handler(event, context):\n"
        "    for item in (User.get('a', 'b'), Group.get('c', 'd')):\n"
        "        item.save()\n",
    )
    levels, unattributed = _code("functions.probe.app", root)
    assert levels == {"AccountsTable": "read", "IssuesTable": "read"}
    assert unattributed == ["write in functions.probe.app.handler"]


def test_a_delete_needs_the_crud_policy(tmp_path: Path) -> None:
    """SAM's write policy template has no DeleteItem, so deleting alone already needs CRUD."""
    root = _handler(
        tmp_path,
        "from shared.storage.counters import Counter\n\n"
        "def handler(event, context):\n"
        "    Counter(pk='x').delete()\n"
        "    {'a': 1}.update({'b': 2})\n",
    )
    assert _code("functions.probe.app", root) == ({"CountersTable": "crud"}, [])
