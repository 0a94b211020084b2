"""What ``make package`` builds is what Lambda can run: each function's zip holds exactly its
production code, every handler's imports resolve against that code and the dependencies layer
(wheels for the template's runtime and architecture), and every function fits Lambda's limit."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path
from typing import Any

import pytest
from packaging.tags import parse_tag

from infra.import_graph import Resolver, import_graph
from infra.package import ROOT, build, function_package, normalize, read_lock, target
from local.template import load_template, resources

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
OWN_PACKAGES = ("functions", "shared")


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    """Build the artifacts as ``make package`` does (the installed layer comes from the cache)."""
    return build()


@pytest.fixture(scope="module")
def unpacked(manifest: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every artifact of the manifest, unzipped: logical id → folder."""
    folders = {}
    for kind in ("layers", "functions"):
        for name, entry in manifest[kind].items():
            folder = tmp_path_factory.mktemp(name)
            with zipfile.ZipFile(ROOT / entry["zip"]) as archive:
                archive.extractall(folder)
            folders[name] = folder
    return folders


def _layer(unpacked: dict[str, Path]) -> Path:
    (name,) = resources("AWS::Serverless::LayerVersion")
    return unpacked[name] / "python"


def _functions() -> dict[str, dict[str, Any]]:
    return resources("AWS::Serverless::Function")


def _source_files(*parts: str) -> dict[str, bytes]:
    start = ROOT.joinpath(*parts)
    paths = [start] if start.is_file() else start.rglob("*")
    return {
        path.relative_to(ROOT).as_posix(): path.read_bytes()
        for path in paths
        if path.is_file() and "__pycache__" not in path.parts
    }


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()
    }


def test_every_function_and_layer_has_an_artifact(manifest: dict[str, Any]) -> None:
    assert set(manifest["functions"]) == set(_functions())
    assert set(manifest["layers"]) == set(resources("AWS::Serverless::LayerVersion"))
    assert len(manifest["layers"]) == 1
    for props in _functions().values():
        assert props.get("CodeUri", "").startswith("../build/functions/"), props["Handler"]


def test_each_function_holds_exactly_its_own_production_code(unpacked: dict[str, Path]) -> None:
    for name, props in _functions().items():
        expected = {
            **_source_files("shared"),
            **_source_files("functions", "__init__.py"),
            **_source_files(function_package(props["Handler"])),
        }
        assert _tree(unpacked[name]) == expected, f"{name} differs from the checkout: run `make package`"


def test_every_handler_imports_resolve_against_the_package(unpacked: dict[str, Path]) -> None:
    runtime = target()
    python = tuple(int(part) for part in runtime.python_version.split("."))
    layer = _layer(unpacked)
    for name, props in _functions().items():
        module, attribute = props["Handler"].rsplit(".", 1)
        resolver = Resolver([unpacked[name], layer], runtime.extension_suffixes)
        graph = import_graph(module, resolver, python, OWN_PACKAGES)  # type: ignore[arg-type]
        assert graph.missing == {}, f"{name}: unresolved imports {graph.missing}"
        assert module in graph.modules
        tops = {module_name.split(".")[0] for module_name in graph.modules}
        assert not tops & {"local", "tests", "cli", "bench", "infra"}, f"{name} imports {tops}"
        assert "aws_lambda_powertools" in tops, f"{name}: dependencies not reached"
        tree = ast.parse(graph.modules[module].read_text(encoding="utf-8"))
        defined = {target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets}
        defined |= {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert attribute in defined, f"{props['Handler']} is not defined"


_ELF_MACHINES = {"aarch64": 183, "x86_64": 62}


def test_layer_holds_exactly_the_locked_wheels_for_the_runtime(unpacked: dict[str, Path]) -> None:
    runtime = target()
    layer = _layer(unpacked)
    _, pins = read_lock()
    installed = {}
    cpython = "cp" + runtime.python_version.replace(".", "")
    machine = runtime.machine
    for dist_info in layer.glob("*.dist-info"):
        metadata = (dist_info / "METADATA").read_text(encoding="utf-8")
        fields = dict(line.split(": ", 1) for line in metadata.splitlines()[:3] if ": " in line)
        installed[normalize(fields["Name"])] = fields["Version"]
        wheel = (dist_info / "WHEEL").read_text(encoding="utf-8")
        for line in wheel.splitlines():
            if not line.startswith("Tag: "):
                continue
            for tag in parse_tag(line.removeprefix("Tag: ")):
                assert tag.interpreter in {"py3", "py2", cpython}, f"{dist_info.name}: {tag}"
                assert tag.platform == "any" or tag.platform.endswith(machine), f"{dist_info.name}: {tag}"
    assert installed == pins
    compiled = list(layer.rglob("*.so"))
    assert compiled, "expected compiled wheels (pydantic-core, brotli)"
    for path in compiled:
        # An extension module is for this interpreter; a library loaded through cffi (sentry-relay's)
        # has no interpreter tag. Both are ELF files for the runtime's machine.
        assert path.name.endswith(runtime.extension_suffixes[:2]) or ".cpython-" not in path.name, path.name
        with path.open("rb") as handle:
            header = handle.read(20)
        assert header[:4] == b"\x7fELF", f"{path.name} is not an ELF file"
        elf_machine = int.from_bytes(header[18:20], "little")
        assert elf_machine == _ELF_MACHINES[machine], f"{path.name} is not for {runtime}"


def test_layer_declares_the_functions_runtime_and_architecture() -> None:
    function_globals = load_template()["Globals"]["Function"]
    for props in resources("AWS::Serverless::LayerVersion").values():
        assert props["CompatibleRuntimes"] == [function_globals["Runtime"]]
        assert props["CompatibleArchitectures"] == function_globals["Architectures"]


def test_every_function_fits_lambdas_unzipped_limit(unpacked: dict[str, Path]) -> None:
    layer_bytes = sum(path.stat().st_size for path in _layer(unpacked).rglob("*") if path.is_file())
    for name in _functions():
        code_bytes = sum(path.stat().st_size for path in unpacked[name].rglob("*") if path.is_file())
        assert code_bytes + layer_bytes < LAMBDA_UNZIPPED_LIMIT, f"{name}: {code_bytes + layer_bytes} bytes"


def test_tracing_can_be_turned_on_with_the_packaged_layer(unpacked: dict[str, Path]) -> None:
    """``Tracing=true`` makes the API functions load powertools' Tracer, which imports aws-xray-sdk
    lazily (unseen by the import graph): the SDK's own imports must resolve in the layer."""
    runtime = target()
    python = tuple(int(part) for part in runtime.python_version.split("."))
    resolver = Resolver([_layer(unpacked)], runtime.extension_suffixes)
    graph = import_graph("aws_xray_sdk.core", resolver, python, OWN_PACKAGES)  # type: ignore[arg-type]
    assert graph.missing == {} and "aws_xray_sdk.core" in graph.modules
    assert "wrapt" in {module.split(".")[0] for module in graph.modules}
