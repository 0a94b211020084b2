"""Two readings of the source for ``test_error_messages``: the messages the code can tell a client in
a 4xx, and the strings the tests assert about responses.

The code's messages are found wherever they are written: arguments of every client error (``ApiError``
and each class derived from it, found in the code, and ``ValueError``, which validators turn into field
messages) and of 4xx ``json_response`` calls — string literals, module constants they name (also
through an import), and constants named by a function of the same module they call — and the
``default_detail`` of every error class some code raises without a detail (its own or inherited; a
default every raise replaces is never said). A message with placeholders is known by its longest
literal part.

A test asserts a message when the message's text reaches an ``assert`` that looks at a response:
written in the assert, or held by a name it uses (a local, a parametrized argument, a module constant),
where the assert reads a response's ``json()``, ``text``, ``content``, ``status_code``, ``headers``,
an error's ``body()``, a command's ``stdout``/``stderr``, or a name or helper of the test module that
does. A message written only in what a test sends (a request, a command line, the arguments of such
a helper), or in an assert about something else, does not count."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIN_LENGTH = 12
_PLACEHOLDER = re.compile(r"\{[^}]*\}|%[sdr]")
RESPONSE_PARTS = {"json", "text", "content", "status_code", "headers", "body", "stdout", "stderr"}
# Calls whose arguments are what a test sends (a request, a command line), never what it expects.
SENDING = {"get", "post", "put", "delete", "patch", "head", "options", "request", "run", "cli"}


def _longest_literal(text: str) -> str:
    return max(_PLACEHOLDER.split(text), key=len)


def _strings(node: ast.AST, dict_values_only: bool = False) -> Iterator[str]:
    """The string literals under ``node`` (an f-string by its longest literal part); of a dict, with
    ``dict_values_only``, only its values (keys name fields or kinds, not messages)."""
    if isinstance(node, ast.Dict) and dict_values_only:
        for value in node.values:
            yield from _strings(value, dict_values_only)
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
        return
    if isinstance(node, ast.JoinedStr):
        literals = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        if literals:
            yield max(literals, key=len)
        return
    for child in ast.iter_child_nodes(node):
        yield from _strings(child, dict_values_only)


def _names(node: ast.AST) -> Iterator[str]:
    for part in ast.walk(node):
        if isinstance(part, ast.Name):
            yield part.id


def _call_name(node: ast.Call) -> str | None:
    return getattr(node.func, "id", None) or getattr(node.func, "attr", None)


def _module_constants(tree: ast.Module) -> dict[str, list[str]]:
    constants: dict[str, list[str]] = {}
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        value = getattr(node, "value", None)
        for target in targets:
            if isinstance(target, ast.Name) and value is not None:
                constants.setdefault(target.id, []).extend(_strings(value, dict_values_only=True))
    return constants


def code_files() -> list[Path]:
    return sorted([*ROOT.glob("shared/**/*.py"), *ROOT.glob("functions/**/*.py")])


def _error_classes(trees: Iterable[ast.Module]) -> set[str]:
    """``ApiError``, ``ValueError`` and every class derived (at any depth) from one of them."""
    classes = [node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    found = {"ApiError", "ValueError"}
    while True:
        more = {
            c.name
            for c in classes
            if c.name not in found
            and any((getattr(b, "id", None) or getattr(b, "attr", None)) in found for b in c.bases)
        }
        if not more:
            return found
        found |= more


def _default_detail(name: str, trees: Iterable[ast.Module]) -> list[str]:
    """The ``default_detail`` an error class raised without a detail answers with (its own or the
    nearest base's); a default no raise leaves in place is no message."""
    classes = {node.name: node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    pending = [name]
    while pending:
        node = classes.get(pending.pop(0))
        if node is None:
            continue
        for statement in node.body:
            if isinstance(statement, ast.Assign | ast.AnnAssign) and any(
                isinstance(t, ast.Name) and t.id == "default_detail"
                for t in (statement.targets if isinstance(statement, ast.Assign) else [statement.target])
            ):
                return list(_strings(statement.value)) if statement.value is not None else []
        pending.extend(getattr(b, "id", None) or getattr(b, "attr", "") for b in node.bases)
    return []


def _is_client_json_response(call: ast.Call) -> bool:
    if _call_name(call) != "json_response" or not call.args:
        return False
    status = call.args[0]
    if isinstance(status, ast.Constant):
        return isinstance(status.value, int) and 400 <= status.value < 500
    return isinstance(status, ast.Name)  # a status chosen by the caller (the busy answer's 503 or 429)


def code_messages() -> tuple[set[str], set[str]]:
    """(the code's client messages, the error classes they were found through)."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in code_files()}
    classes = _error_classes(trees.values())
    constants: dict[str, list[str]] = {}
    for tree in trees.values():
        for name, values in _module_constants(tree).items():
            constants.setdefault(name, []).extend(values)
    found: set[str] = set()
    for tree in trees.values():
        functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}

        def named_constants(
            node: ast.AST, seen: set[str], functions: dict[str, ast.FunctionDef] = functions
        ) -> Iterator[str]:
            for name in _names(node):
                if name in functions and name not in seen:  # a helper of this module builds the body
                    seen.add(name)
                    yield from named_constants(functions[name], seen)
                elif name.lstrip("_").isupper():
                    yield from constants.get(name, [])

        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Name) and node.exc.id in classes:
                found.update(_default_detail(node.exc.id, trees.values()))
            if isinstance(node, ast.Call) and (_call_name(node) in classes or _is_client_json_response(node)):
                arguments = [*node.args, *(k.value for k in node.keywords if k.arg != "retry_after")]
                if (
                    _call_name(node) in classes
                    and not node.args
                    and all(k.arg != "detail" for k in node.keywords)
                ):
                    found.update(_default_detail(_call_name(node) or "", trees.values()))
                for argument in arguments:
                    found.update(_strings(argument, dict_values_only=True))
                    found.update(named_constants(argument, set()))
    messages = {_longest_literal(m) for m in found}
    return {m for m in messages if len(m) > MIN_LENGTH}, classes


def _parametrized(function: ast.FunctionDef) -> dict[str, list[str]]:
    """Parametrized argument name → the strings of its values (each case's n-th element for the n-th
    name; every string of the cases when they are not written out)."""
    bound: dict[str, list[str]] = {}
    for decorator in function.decorator_list:
        if not (isinstance(decorator, ast.Call) and _call_name(decorator) == "parametrize"):
            continue
        if len(decorator.args) < 2:
            continue
        spec, values = decorator.args[0], decorator.args[1]
        if isinstance(spec, ast.Constant) and isinstance(spec.value, str):
            names = [n.strip() for n in spec.value.split(",") if n.strip()]
        else:
            names = list(_strings(spec))
        cases = values.elts if isinstance(values, ast.List | ast.Tuple) else None
        for case in cases or []:
            if isinstance(case, ast.Call) and _call_name(case) == "param":
                case = ast.Tuple(elts=list(case.args))
            elements = case.elts if isinstance(case, ast.Tuple) and len(names) > 1 else [case]
            if len(elements) != len(names):
                cases = None
                break
            for name, element in zip(names, elements, strict=True):
                bound.setdefault(name, []).extend(_strings(element))
        if cases is None:
            for name in names:
                bound.setdefault(name, []).extend(_strings(values))
    return bound


def _bindings(statements: Iterable[ast.AST], skipped: set[str]) -> dict[str, tuple[list[str], set[str]]]:
    """Name → (the expected strings of the values it is given, the names those values use)."""
    bound: dict[str, tuple[list[str], set[str]]] = {}
    for node in statements:
        pairs: list[tuple[ast.AST, ast.AST]] = []
        if isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
            pairs = [(node.target, node.value)]
        elif isinstance(node, ast.For | ast.comprehension):
            pairs = [(node.target, node.iter)]
        for target, value in pairs:
            strings, names = _expected(value, skipped)
            for name in _names(target):
                known = bound.setdefault(name, ([], set()))
                known[0].extend(strings)
                known[1].update(names)
    return bound


def _resolve(names: set[str], bound: dict[str, tuple[list[str], set[str]]]) -> Iterator[str]:
    pending, seen = list(names), set()
    while pending:
        name = pending.pop()
        if name in seen or name not in bound:
            continue
        seen.add(name)
        strings, more = bound[name]
        yield from strings
        pending.extend(more)


def sources_of_tests() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(ROOT.glob("tests/**/*.py"))]


def asserted_strings(sources: Iterable[str]) -> set[str]:
    """Every string that reaches an assert about a response in the test modules ``sources``."""
    asserted: set[str] = set()
    for source in sources:
        tree = ast.parse(source)
        functions = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)]
        # helpers of the module that read a response make a call to them one that reads it; what
        # such a call is given is sent, like a request's arguments
        readers: set[str] = set()
        for _ in range(3):
            readers |= {f.name for f in functions if _reads_response(f, readers)}
        skipped = SENDING | readers
        module = _bindings(tree.body, skipped)
        for function in functions:
            local = _bindings(ast.walk(function), skipped)
            parametrized = {name: (values, set()) for name, values in _parametrized(function).items()}
            bound = {**module, **parametrized, **local}
            response_names = _response_names(function, readers)
            for node in ast.walk(function):
                if isinstance(node, ast.Assert) and _reads_response(node.test, readers, response_names):
                    strings, names = _expected(node.test, skipped)
                    asserted.update(strings)
                    asserted.update(_resolve(names, bound))
    return asserted


def _expected(node: ast.AST, skipped: set[str]) -> tuple[list[str], set[str]]:
    """The strings and names under ``node``, leaving out the arguments of calls named in ``skipped``
    (what they are given is sent, not expected)."""
    strings: list[str] = []
    names: set[str] = set()
    pending = [node]
    while pending:
        part = pending.pop()
        if isinstance(part, ast.Call) and _call_name(part) in skipped:
            pending.append(part.func)
            continue
        if isinstance(part, ast.Constant | ast.JoinedStr):
            strings.extend(_strings(part))
            continue
        if isinstance(part, ast.Name):
            names.add(part.id)
        pending.extend(ast.iter_child_nodes(part))
    return strings, names


def _response_names(function: ast.FunctionDef, readers: set[str]) -> set[str]:
    """The names a function gives a response, or something read from one."""
    names: set[str] = set()
    for _ in range(3):
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Assign | ast.AnnAssign)
                and node.value is not None
                and _reads_response(node.value, readers, names)
            ):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(name for target in targets for name in _names(target))
    return names


def _reads_response(node: ast.AST, readers: set[str], names: set[str] | None = None) -> bool:
    for part in ast.walk(node):
        if isinstance(part, ast.Attribute) and part.attr in RESPONSE_PARTS:
            return True
        if isinstance(part, ast.Call) and (_call_name(part) in readers or _call_name(part) in SENDING):
            return True
        if names and isinstance(part, ast.Name) and part.id in names:
            return True
    return False


def unasserted(messages: set[str]) -> list[str]:
    """The messages no string of an assert about a response contains."""
    asserted = "\n".join(asserted_strings(sources_of_tests()))
    return sorted(m for m in messages if m not in asserted)
