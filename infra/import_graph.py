"""Which modules a handler imports, resolved statically against a packaged tree.

The packaged wheels are built for Lambda (aarch64, Python 3.13), so they cannot be imported on
this machine; instead every ``import`` is read from the source (AST) and looked up as a file in
the given roots, the way Python's path finder would. Our own code is followed completely, imports
inside functions included (they run on first use). Third-party code is followed through the imports
it always runs: those guarded by ``try/except ImportError``, ``if TYPE_CHECKING`` or made inside a
function are optional features, resolved when present but not required."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

# Standard modules gone from Python 3.12/3.13, where the functions run.
REMOVED_FROM_STDLIB = frozenset(
    {
        "aifc", "asynchat", "asyncore", "audioop", "cgi", "cgitb", "chunk", "crypt", "distutils",
        "imghdr", "imp", "lib2to3", "mailcap", "msilib", "nis", "nntplib", "ossaudiodev", "pipes",
        "smtpd", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",
    }
)  # fmt: skip
_OPTIONAL_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
# Modules a package creates while it is imported (six's meta-path importer), present with it.
VIRTUAL_MODULES = {"six.moves": "six"}
_COMPARE = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}


@dataclass(frozen=True)
class ImportStatement:
    """One module an import statement needs, and whether the importer survives without it."""

    module: str
    required: bool
    names: tuple[str, ...] = ()


@dataclass
class ImportGraph:
    """Modules found (name → file) and modules not found (name → the modules importing them)."""

    modules: dict[str, Path] = field(default_factory=dict)
    missing: dict[str, set[str]] = field(default_factory=dict)

    def own(self, packages: Sequence[str]) -> set[str]:
        return {name for name in self.modules if name.split(".")[0] in packages}


def is_stdlib(module: str) -> bool:
    top = module.split(".")[0]
    return top in sys.stdlib_module_names and top not in REMOVED_FROM_STDLIB


def _catches_import_errors(node: ast.Try) -> bool:
    for handler in node.handlers:
        if handler.type is None:
            return True
        caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if any(isinstance(error, ast.Name) and error.id in _OPTIONAL_ERRORS for error in caught):
            return True
    return False


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _sys_value(node: ast.expr, python: tuple[int, int]) -> object:
    """The target's value of ``sys.version_info`` (sliced or indexed) or ``sys.platform``, or None."""
    if isinstance(node, ast.Subscript):
        whole = _sys_value(node.value, python)
        try:
            return whole[ast.literal_eval(node.slice)] if isinstance(whole, tuple) else None  # type: ignore[index]
        except ValueError:
            sliced = node.slice
            if isinstance(sliced, ast.Slice) and sliced.lower is None and isinstance(whole, tuple):
                return whole[: ast.literal_eval(sliced.upper)] if sliced.upper else whole
            return None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "sys":
        return {"version_info": (*python, 0), "platform": "linux"}.get(node.attr)
    return None


def condition(test: ast.expr, python: tuple[int, int]) -> bool | None:
    """Whether an ``if`` on ``sys.version_info``/``sys.platform`` holds on the target; None if unknown."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left = _sys_value(test.left, python)
    try:
        right = ast.literal_eval(test.comparators[0])
    except ValueError:
        return None
    compare = _COMPARE.get(type(test.ops[0]))
    if left is None or compare is None or type(left) is not type(right):
        return None
    if isinstance(left, tuple):
        left = left[: len(right)]
    return bool(compare(left, right))


def _absolute(module: str | None, level: int, importer: str, is_package: bool) -> str:
    if level == 0:
        return module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def import_statements(
    source: str, importer: str, is_package: bool, own: bool, python: tuple[int, int]
) -> Iterator[ImportStatement]:
    """The imports of one module. In our own code (``own``) every import is required; in other code
    imports inside functions and under conditions not known statically are optional."""

    def visit(nodes: list[ast.stmt], required: bool, in_function: bool) -> Iterator[ImportStatement]:
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield ImportStatement(alias.name, required)
            elif isinstance(node, ast.ImportFrom):
                module = _absolute(node.module, node.level, importer, is_package)
                yield ImportStatement(module, required, tuple(alias.name for alias in node.names))
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                yield from visit(node.orelse, required, in_function)
            elif isinstance(node, ast.If) and not own:
                holds = condition(node.test, python)
                if holds is not False:
                    yield from visit(node.body, required and holds is True, in_function)
                if holds is not True:
                    yield from visit(node.orelse, required and holds is False, in_function)
            elif isinstance(node, ast.Try | ast.TryStar):
                guarded = required and not _catches_import_errors(node)
                yield from visit(node.body, guarded, in_function)
                for part in (*node.handlers, node.orelse, node.finalbody):
                    yield from visit(part if isinstance(part, list) else part.body, required, in_function)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from visit(node.body, required and own, True)
            else:
                for child in ("body", "orelse", "finalbody", "handlers", "cases"):
                    block = getattr(node, child, None)
                    if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                        yield from visit(block, required, in_function)
                    elif isinstance(block, list):
                        for inner in block:
                            if hasattr(inner, "body"):
                                yield from visit(inner.body, required, in_function)

    yield from visit(ast.parse(source).body, True, False)


class Resolver:
    """Finds modules in ``roots`` like Python's path finder (packages, modules, extensions)."""

    def __init__(self, roots: Sequence[Path], extension_suffixes: Sequence[str]) -> None:
        self.roots = list(roots)
        self.extension_suffixes = tuple(extension_suffixes)

    def find(self, module: str) -> Path | None:
        for root in self.roots:
            found = _find_in(root, module, self.extension_suffixes)
            if found is not None:
                return found
        return None


@cache
def _find_in(root: Path, module: str, extension_suffixes: tuple[str, ...]) -> Path | None:
    """One root's file for ``module`` (remembered: the layer is searched once for every function)."""
    parts = module.split(".")
    base = root.joinpath(*parts)
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_name(parts[-1] + ".py").is_file():
        return base.with_name(parts[-1] + ".py")
    for suffix in extension_suffixes:
        if base.with_name(parts[-1] + suffix).is_file():
            return base.with_name(parts[-1] + suffix)
    return base if base.is_dir() else None  # a directory without __init__ is a namespace package


@cache
def _statements(path: Path, module: str, own: bool, python: tuple[int, int]) -> tuple[ImportStatement, ...]:
    """A file's imports, parsed once per run."""
    source = path.read_text(encoding="utf-8")
    return tuple(import_statements(source, module, path.name == "__init__.py", own, python))


def import_graph(
    entry: str,
    resolver: Resolver,
    python: tuple[int, int],
    own_packages: Sequence[str] = ("functions", "shared"),
) -> ImportGraph:
    """Follow ``entry``'s imports through ``resolver``'s roots; stdlib modules are taken as present."""
    graph = ImportGraph()
    walked: dict[str, bool] = {}  # module → walked as required (an optional module's imports are optional)
    pending: list[tuple[str, str, bool]] = [(entry, "<entry>", True)]
    while pending:
        module, importer, required = pending.pop()
        if (
            not module
            or is_stdlib(module)
            or walked.get(module, False)
            or (module in walked and not required)
        ):
            continue
        chain = module.split(".")
        parents = [".".join(chain[:i]) for i in range(1, len(chain))]
        path = resolver.find(VIRTUAL_MODULES.get(module, module))
        if path is None:
            if required:
                graph.missing.setdefault(module, set()).add(importer)
            continue
        graph.modules[module] = path
        walked[module] = required
        pending.extend((parent, module, required) for parent in parents)
        if path.suffix != ".py":
            continue
        own = chain[0] in own_packages
        for statement in _statements(path, module, own, python):
            needed = required and statement.required
            pending.append((statement.module, module, needed))
            for name in statement.names:
                submodule = f"{statement.module}.{name}"
                if name != "*" and resolver.find(submodule) is not None:
                    pending.append((submodule, module, needed))
    return graph
