"""The static import resolver the artifact test relies on finds what is missing, and only that."""

from __future__ import annotations

from pathlib import Path

from infra.import_graph import Resolver, import_graph

TARGET_SUFFIXES = (".cpython-313-aarch64-linux-gnu.so", ".abi3.so", ".so")


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _graph(root: Path, entry: str = "functions.demo.app"):
    return import_graph(entry, Resolver([root], TARGET_SUFFIXES), (3, 13))


def test_own_code_needs_every_import_even_inside_functions(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "functions/__init__.py": "",
            "functions/demo/__init__.py": "",
            "functions/demo/app.py": "import json\nfrom shared import rules\n",
            "shared/__init__.py": "",
            "shared/rules.py": "def f():\n    import local.seed\n    from .gone import x\n",
        },
    )
    graph = _graph(root)
    assert set(graph.missing) == {"local.seed", "shared.gone"}
    assert graph.missing["shared.gone"] == {"shared.rules"}
    assert {"functions.demo.app", "shared.rules", "shared"} <= set(graph.modules)


def test_third_party_optional_imports_are_not_required(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "functions/demo/app.py": "import lib\n",
            "lib/__init__.py": (
                "import sys\n"
                "from typing import TYPE_CHECKING\n"
                "try:\n    import speedups\nexcept ImportError:\n    speedups = None\n"
                "if TYPE_CHECKING:\n    import stubs_only\n"
                "if sys.version_info >= (3, 14):\n    import future_only\n"
                "if sys.version_info < (3, 12):\n    import old_only\nelse:\n    import lib.modern\n"
                "def later():\n    import plugin\n"
            ),
            "lib/modern.py": "import needed_by_modern\n",
        },
    )
    assert set(_graph(root).missing) == {"needed_by_modern"}


def test_a_compiled_module_for_another_platform_does_not_count(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "functions/demo/app.py": "import fast\nimport portable\n",
            "fast/__init__.py": "from ._core import run\n",
            "fast/_core.cpython-313-x86_64-linux-gnu.so": "",
            "portable/__init__.py": "from ._core import run\n",
            "portable/_core.cpython-313-aarch64-linux-gnu.so": "",
        },
    )
    graph = _graph(root)
    assert set(graph.missing) == {"fast._core"}
    assert graph.modules["portable._core"].name.endswith("aarch64-linux-gnu.so")


def test_a_module_removed_from_the_runtime_stdlib_is_missing(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"functions/demo/app.py": "import imghdr\nimport json\n"})
    assert set(_graph(root).missing) == {"imghdr"}
