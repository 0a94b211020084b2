"""Least privilege, checked: which tables, queues and buckets each function's code can act on, and how.

``infra/access.yaml`` declares, per function, the actions it needs on each table and bucket
(``read``, ``write`` or ``crud``) and queue (``send``). The template's policies must grant exactly that, and
the code must do exactly that. The code is read statically: from the handler module, every function
of ours it names is followed (calls, callbacks, methods by name). In each function reached:

- a queue is used where ``settings().<x>_queue_url`` is read;
- a bucket is acted on by the S3 calls of the function that reads its ``settings().<x>_bucket``
  (``get_object``/``head_object``/``list_objects_v2`` read, ``put_object``/``copy_object``/multipart
  calls write, ``delete_object(s)`` deletes): so each S3 call is written where its bucket is named;
- email is sent (``mail``, SES as the identity of the ``MAIL_FROM`` parameter) where
  ``settings().mail_from`` is read;
- a model's table (its ``Meta`` built from ``settings().<x>_table``) is *read* by ``Model.get``/
  ``query``/``scan``/``count``/``batch_get``, ``item.refresh``, or by handing the model class to a
  helper (``batch_get(Model, …)``, ``query_page(Model, …)``);
- it is *written* by ``save``/``delete``/``update(actions=…)``/``batch_write`` on an item whose model
  is known: a model name, an annotated parameter (``group: Group``, ``list[Group]``, a dataclass
  holding models), an assignment or loop from one, or the function's only table (a model it names,
  or a table it names by ``settings().<x>_table`` for a low-level client call).

An action whose table cannot be told is reported, so the reading never silently under-counts."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from infra.import_graph import ImportGraph
from local.template import environment_refs, resources

ACCESS_MAP = Path(__file__).resolve().parent / "access.yaml"
STORAGE = Path(__file__).resolve().parent.parent / "shared" / "storage"
_SETTING = re.compile(r"settings\(\)\.(\w+)")
_READS = frozenset({"get", "query", "scan", "count", "batch_get", "refresh"})
_WRITES = frozenset({"save", "delete", "batch_write"})
_MODEL_ONLY_READS = frozenset({"refresh", "query", "scan"})  # no other object of ours has these
_TYPE_TESTS = frozenset({"isinstance", "issubclass"})
# SAM policy templates → the actions they grant, in this map's words.
POLICY_LEVELS = {
    "DynamoDBReadPolicy": "read",
    "DynamoDBWritePolicy": "write",
    "DynamoDBCrudPolicy": "crud",
    "SQSSendMessagePolicy": "send",
    "S3ReadPolicy": "read",
    "S3WritePolicy": "write",
    "S3CrudPolicy": "crud",
    "SESCrudPolicy": "mail",
}
# boto3 S3 client methods → the action they take on their bucket.
S3_ACTIONS = {
    **dict.fromkeys(("get_object", "head_object", "list_objects_v2", "download_fileobj"), "read"),
    **dict.fromkeys(
        (
            "put_object",
            "copy_object",
            "upload_fileobj",
            "create_multipart_upload",
            "upload_part",
            "complete_multipart_upload",
            "abort_multipart_upload",
        ),
        "write",
    ),
    **dict.fromkeys(("delete_object", "delete_objects"), "delete"),
}


@cache
def model_tables() -> dict[str, str]:
    """Model class name → table logical id, from the storage modules' class hierarchy."""
    settings_to_resource = {name.lower(): logical_id for name, logical_id in environment_refs().items()}
    bases: dict[str, list[str]] = {}
    own_table: dict[str, str] = {}
    for path in STORAGE.glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.ClassDef):
                continue
            bases[node.name] = [base.id for base in node.bases if isinstance(base, ast.Name)]
            for setting in _SETTING.findall(ast.unparse(node)):
                if setting in settings_to_resource:
                    own_table[node.name] = settings_to_resource[setting]

    def table_of(name: str) -> str | None:
        if name in own_table:
            return own_table[name]
        return next((t for base in bases.get(name, []) if (t := table_of(base))), None)

    return {name: table for name in bases if (table := table_of(name))}


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _walk(function: ast.AST) -> list[ast.AST]:
    """A function's nodes without its decorators (``@app.delete(…)`` registers a route, deletes nothing)."""
    if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return [node for part in (function.args, *function.body) for node in ast.walk(part)]
    return list(ast.walk(function))


@dataclass
class _Module:
    """One of our modules: its top-level definitions and the names it imports (name → module, attr)."""

    name: str
    tree: ast.Module
    definitions: dict[str, ast.AST] = field(default_factory=dict)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)


@cache
def _parse(path: Path, name: str) -> _Module:
    module = _Module(name, ast.parse(path.read_text(encoding="utf-8")))
    for node in module.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            module.definitions[node.name] = node
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                module.imports[alias.asname or alias.name] = (node.module, alias.name)
    return module


class _CodeReader:
    """Follows calls from a handler module through our code, noting table and queue actions."""

    def __init__(self, graph: ImportGraph, own_packages: tuple[str, ...]) -> None:
        self.modules = {
            name: _parse(path, name)
            for name, path in graph.modules.items()
            if name.split(".")[0] in own_packages and path.suffix == ".py"
        }
        self.tables = model_tables()
        self.queues = {
            name.lower(): logical_id
            for name, logical_id in environment_refs().items()
            if logical_id in resources("AWS::SQS::Queue")
        }
        self.buckets = {
            name.lower(): logical_id
            for name, logical_id in environment_refs().items()
            if logical_id in resources("AWS::S3::Bucket")
        }
        self.mail = {"mail_from": environment_refs()["MAIL_FROM"]}
        self.table_names = {
            name.lower(): logical_id
            for name, logical_id in environment_refs().items()
            if logical_id in resources("AWS::DynamoDB::Table")
        }
        self.methods: dict[str, list[tuple[_Module, ast.AST]]] = {}
        for module in self.modules.values():
            for node in module.definitions.values():
                if isinstance(node, ast.ClassDef):
                    for item in node.body:
                        if isinstance(item, ast.FunctionDef):
                            self.methods.setdefault(item.name, []).append((module, item))
        self.found: dict[str, set[str]] = {}
        self.fallback: str | None = None
        self.generic = False
        self.unattributed: list[str] = []

    def _definition(self, module: _Module, name: str) -> tuple[_Module, ast.AST] | None:
        if name in module.definitions:
            return module, module.definitions[name]
        source = module.imports.get(name)
        if source and source[0] in self.modules:
            return self._definition(self.modules[source[0]], source[1])
        return None

    def _model(self, module: _Module, node: ast.expr | None) -> str | None:
        """The table of the model named by ``node`` (``Group``, ``list[Group]``, ``Group | None``), or of
        the models an own class of ours holds in its annotated fields (``GroupChange``)."""
        if node is None:
            return None
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        tables = {self.tables[name] for name in names if name in self.tables}
        for name in names - set(self.tables):
            found = self._definition(module, name)
            if found and isinstance(found[1], ast.ClassDef):
                fields = [item.annotation for item in found[1].body if isinstance(item, ast.AnnAssign)]
                held = {n.id for field in fields for n in ast.walk(field) if isinstance(n, ast.Name)}
                tables |= {self.tables[name] for name in held if name in self.tables}
        return tables.pop() if len(tables) == 1 else None

    @staticmethod
    def _generic(function: ast.AST) -> bool:
        """A helper handed the model class (``model: type[Model]``): its callers say which table."""
        arguments = getattr(function, "args", None)
        return arguments is not None and any(
            isinstance(a.annotation, ast.Subscript) and _root_name(a.annotation) == "type"
            for a in arguments.args
        )

    def _typed(self, module: _Module, function: ast.AST) -> dict[str, str]:
        """Local names whose model is known: annotated parameters, assignments and loops over models."""
        typed: dict[str, str] = {}
        for node in [*_walk(function), *_walk(function)]:  # twice: loops over typed names
            if isinstance(node, ast.arg) and (table := self._model(module, node.annotation)):
                typed[node.arg] = table
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.For | ast.withitem):
                value = getattr(node, "value", None) or getattr(node, "iter", None)
                value = value or getattr(node, "context_expr", None)
                targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
                targets = targets if getattr(node, "optional_vars", None) is None else [node.optional_vars]
                annotation = getattr(node, "annotation", None)
                table = self._model(module, annotation) or self._value_table(module, value, typed)
                for target in targets:
                    if table and isinstance(target, ast.Name):
                        typed[target.id] = table
        return typed

    def _value_table(
        self, module: _Module, value: ast.expr | None, typed: dict[str, str] | None = None
    ) -> str | None:
        if value is None:
            return None
        root = _root_name(value)
        if typed and isinstance(value, ast.Name) and value.id in typed:
            return typed[value.id]
        if root in self.tables:
            return self.tables[root]
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            found = self._definition(module, value.func.id)
            if found and isinstance(found[1], ast.FunctionDef):
                return self._model(found[0], found[1].returns)
        return None

    def _note(self, resource: str | None, action: str, where: str) -> None:
        resource = resource or self.fallback
        if resource is None and self.generic:
            return
        if resource is None:
            self.unattributed.append(f"{action} in {where}")
        else:
            self.found.setdefault(resource, set()).add(action)

    def read(self, entry: str) -> dict[str, str]:
        """Every top-level statement of the handler module runs (routes register by decorator)."""
        module = self.modules[entry]
        pending: list[tuple[_Module, ast.AST]] = [(module, statement) for statement in module.tree.body]
        seen: set[int] = set()
        while pending:
            module, function = pending.pop()
            if id(function) in seen:
                continue
            seen.add(id(function))
            typed = self._typed(module, function)
            named = {
                self.tables[n.id] for n in _walk(function) if isinstance(n, ast.Name) and n.id in self.tables
            }
            named |= {
                self.table_names[setting]
                for setting in _SETTING.findall(ast.unparse(function))
                if setting in self.table_names
            }
            only = named | set(typed.values())
            # An action whose item is not typed acts on the function's only table, when it has one.
            is_function = isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
            self.fallback = only.pop() if len(only) == 1 and is_function else None
            self.generic = self._generic(function)
            where = f"{module.name}.{getattr(function, 'name', '<module>')}"
            for setting in _SETTING.findall(ast.unparse(function)):
                if setting in self.queues:
                    self._note(self.queues[setting], "send", where)
                elif setting in self.buckets:
                    for action in _s3_actions(function):
                        self._note(self.buckets[setting], action, where)
                elif setting in self.mail:
                    self._note(self.mail[setting], "mail", where)
            for node in _walk(function):
                if isinstance(node, ast.Name):
                    found = self._definition(module, node.id)
                    if found and isinstance(found[1], ast.FunctionDef | ast.ClassDef):
                        pending.append(found)
                if isinstance(node, ast.Call):
                    pending.extend(self._call(module, node, typed, where))
        return {resource: _level(actions) for resource, actions in self.found.items()}

    def _call(
        self, module: _Module, call: ast.Call, typed: dict[str, str], where: str
    ) -> list[tuple[_Module, ast.AST]]:
        func = call.func
        for argument in call.args:  # a model (or its query) handed to a helper is read by it
            passed = (
                argument.value
                if isinstance(argument, ast.Attribute) and argument.attr in _READS
                else argument
            )
            if (
                isinstance(passed, ast.Name)
                and passed.id in self.tables
                and _root_name(func) not in _TYPE_TESTS
            ):
                self._note(self.tables[passed.id], "read", where)
        if isinstance(func, ast.Name):
            found = self._definition(module, func.id)
            return [found] if found else []
        if not isinstance(func, ast.Attribute):
            return []
        method, receiver = func.attr, func.value
        root = _root_name(receiver)
        table = self.tables.get(root or "") or typed.get(root or "")
        first = call.args[0] if call.args else None
        target = table or (
            typed.get(first.id) if isinstance(first, ast.Name) else self._value_table(module, first)
        )
        # ``update`` writes with actions, or on a model item (``dict.update``/``set.update`` have neither).
        is_update = method == "update" and (any(k.arg == "actions" for k in call.keywords) or bool(target))
        if method in _READS and (table or method in _MODEL_ONLY_READS):
            self._note(table, "read", where)
        elif method in _WRITES or is_update:
            self._note(table or target, "delete" if method == "delete" else "write", where)
        elif method == "condition_check":
            self._note(target, "read", where)
        return [candidate for candidate in self.methods.get(method, []) if method not in _READS | _WRITES]


def _s3_actions(function: ast.AST) -> set[str]:
    """The actions of the S3 client calls a function makes."""
    return {
        S3_ACTIONS[node.func.attr]
        for node in _walk(function)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in S3_ACTIONS
    }


def code_access(
    graph: ImportGraph, entry: str, own_packages: tuple[str, ...] = ("functions", "shared")
) -> tuple[dict[str, str], list[str]]:
    """Resource logical id → the level a handler's code acts on it with, and the actions whose table
    could not be told (each as ``"write in module.function"``)."""
    reader = _CodeReader(graph, own_packages)
    return reader.read(entry), sorted(set(reader.unattributed))


def _level(actions: set[str]) -> str:
    """The narrowest policy template covering ``actions`` (SAM's write policy cannot delete)."""
    if len(actions) == 1 and actions <= {"read", "write", "send", "mail"}:
        return next(iter(actions))
    return "crud"


def template_access(function: dict[str, Any]) -> list[tuple[str, str]]:
    """(resource, level) for every policy of a template function, duplicates kept."""
    granted = []
    for policy in function.get("Policies", []):
        if "Statement" in policy:  # a statement of the source's own (Athena, Glue), not a resource's level
            continue
        ((template, arguments),) = policy.items()
        (reference,) = arguments.values()
        resource = reference.get("Ref") or reference["Fn::GetAtt"][0]
        granted.append((resource, POLICY_LEVELS[template]))
    return granted


def declared_access() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(ACCESS_MAP.read_text(encoding="utf-8"))
