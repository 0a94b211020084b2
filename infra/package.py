"""Build what ``sam deploy`` uploads, on any machine, without the Lambda runtime's Python.

``python -m infra.package lock`` pins ``[project.dependencies]`` of pyproject.toml for the template's
runtime and architecture in ``infra/requirements.lock`` (with hashes), and everything a development
machine installs (those dependencies, every optional extra, the build tools) for this machine's Python
in ``infra/requirements-dev.lock``, which ``make install`` installs. ``python -m infra.package
build`` turns that lock into the dependencies layer and every function into a zip holding only
``shared/`` and its own ``functions/<name>/``, at the paths the template's ``ContentUri`` and
``CodeUri`` name. Wheels are fetched by pip for the target (``--platform``, ``--python-version``,
``--only-binary``), never built here, so a compiled dependency matches Lambda, not this machine.

The installed layer is cached outside the checkout, keyed by the lock and the target, so a rebuild
with an unchanged lock only zips. Zips are reproducible (sorted entries, fixed timestamps): an
unchanged function gives the same bytes, and SAM skips uploading it again."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.cache import cache_root
from local.template import TEMPLATE, load_template, resources

ROOT = TEMPLATE.parent.parent
LOCK = ROOT / "infra" / "requirements.lock"
DEV_LOCK = ROOT / "infra" / "requirements-dev.lock"
MANIFEST = ROOT / "build" / "manifest.json"
SOURCE_PACKAGE = "shared"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# Lambda's python3.13 runs on Amazon Linux 2023 (glibc 2.34): wheels built for glibc 2.28 run there
# too (sentry-relay ships only those since 0.9), besides the older manylinux2014 ones.
_ARCHITECTURE_MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}
_GLIBC_TAGS = ("manylinux_2_28", "manylinux2014")
_SKIPPED = {"__pycache__"}


@dataclass(frozen=True)
class Target:
    """The Lambda runtime the template names, as pip's cross-install options."""

    python_version: str
    architecture: str

    @property
    def machine(self) -> str:
        return _ARCHITECTURE_MACHINES[self.architecture]

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(f"{tag}_{self.machine}" for tag in _GLIBC_TAGS)

    @property
    def pip_options(self) -> list[str]:
        return [
            *(option for platform in self.platforms for option in ("--platform", platform)),
            "--python-version",
            self.python_version,
            "--implementation",
            "cp",
            "--only-binary=:all:",
        ]

    @property
    def extension_suffixes(self) -> tuple[str, ...]:
        """File endings a compiled module may have to load on this runtime."""
        tag = self.python_version.replace(".", "")
        return (f".cpython-{tag}-{self.machine}-linux-gnu.so", ".abi3.so", ".so")


def target() -> Target:
    function_globals = load_template()["Globals"]["Function"]
    runtime = function_globals["Runtime"]
    (architecture,) = function_globals["Architectures"]
    version = re.fullmatch(r"python(\d+\.\d+)", runtime)
    if version is None:
        raise SystemExit(f"not a Python runtime: {runtime}")
    return Target(version.group(1), architecture)


def _pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def project_dependencies() -> list[str]:
    return list(_pyproject()["project"]["dependencies"])


def development_requirements() -> list[str]:
    """What ``make install`` puts into the development environment: the build tools (pip, and the
    build backend the editable install of this project needs), the functions' dependencies and
    every optional extra (``dev``, ``browser``)."""
    pyproject = _pyproject()
    extras = pyproject["project"]["optional-dependencies"]
    return [
        "pip",
        *pyproject["build-system"]["requires"],
        *project_dependencies(),
        *(requirement for extra in sorted(extras) for requirement in extras[extra]),
    ]


# --- the lock ---------------------------------------------------------------------------------


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args], check=True)


def _resolve(*args: str) -> list[dict[str, Any]]:
    """What pip would install for ``args`` into an empty folder: its report's ``install`` list."""
    with tempfile.TemporaryDirectory() as scratch:
        report_path = Path(scratch) / "report.json"
        _pip(
            "install",
            "--quiet",
            "--dry-run",
            "--ignore-installed",
            "--report",
            str(report_path),
            "--target",
            str(Path(scratch) / "target"),
            *args,
        )
        return json.loads(report_path.read_text(encoding="utf-8"))["install"]


def lock() -> None:
    """Both locks: the functions' dependencies for the target, then the development environment."""
    _lock_runtime()
    _lock_development()


def _lock_runtime() -> None:
    """Resolve pyproject's dependencies for the target and write them, pinned and hashed."""
    wanted = project_dependencies()
    runtime = target()
    installs = _resolve(*runtime.pip_options, *wanted)
    lines = [
        f"# Dependencies of the Lambda functions, pinned for python{runtime.python_version} on "
        f"{runtime.architecture} ({', '.join(runtime.platforms)}).",
        "# Generated by `make lock` from [project.dependencies] of pyproject.toml; do not edit.",
        *(f"# from: {requirement}" for requirement in wanted),
    ]
    for item in sorted(installs, key=lambda entry: entry["metadata"]["name"].lower()):
        digest = item["download_info"]["archive_info"]["hashes"]["sha256"]
        lines.append(f"{item['metadata']['name']}=={item['metadata']['version']} \\")
        lines.append(f"    --hash=sha256:{digest}")
    LOCK.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _lock_development() -> None:
    """Resolve the development environment for this machine's Python and write it pinned, the
    functions' dependencies held to the runtime lock's versions (tests run what Lambda runs).
    Versions only, no hashes: each machine installs the wheel for its own platform of that version."""
    wanted = development_requirements()
    _, runtime_pins = read_lock()
    with tempfile.TemporaryDirectory() as scratch:
        constraints = Path(scratch) / "runtime.txt"
        constraints.write_text("".join(f"{name}=={version}\n" for name, version in runtime_pins.items()))
        installs = _resolve("--constraint", str(constraints), *wanted)
    python = ".".join(str(part) for part in sys.version_info[:2])
    lines = [
        f"# The development environment (tests, lint, browser test, build tools) for Python {python}.",
        "# Generated by `make lock` from pyproject.toml, the functions' dependencies at the versions of",
        "# infra/requirements.lock; `make install` installs exactly this. Do not edit.",
        *(f"# from: {requirement}" for requirement in wanted),
    ]
    for item in sorted(installs, key=lambda entry: entry["metadata"]["name"].lower()):
        lines.append(f"{item['metadata']['name']}=={item['metadata']['version']}")
    DEV_LOCK.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_lock(text: str | None = None, path: Path = LOCK) -> tuple[list[str], dict[str, str]]:
    """The requirements a lock was made from, and its pins (normalised name → version)."""
    text = path.read_text(encoding="utf-8") if text is None else text
    sources = re.findall(r"^# from: (.+)$", text, re.MULTILINE)
    pins = {
        normalize(name): version for name, version in re.findall(r"^([\w.\-]+)==(\S+)", text, re.MULTILINE)
    }
    return sources, pins


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


# --- the build --------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Downloads and installed layers, outside the checkout, shared by every rerun."""
    return cache_root() / "deploy"


def _installed_layer(runtime: Target) -> Path:
    """The lock installed for ``runtime`` (a ``python/`` tree), from the cache when already there."""
    key = hashlib.sha256(f"{runtime}\n{LOCK.read_text(encoding='utf-8')}".encode()).hexdigest()[:16]
    layer = cache_dir() / "layers" / key
    if not (layer / "python").is_dir():
        cache_dir().mkdir(parents=True, exist_ok=True)  # a new machine has no cache yet
        staging = Path(tempfile.mkdtemp(prefix="layer-", dir=cache_dir()))
        _pip(
            "install",
            "--quiet",
            "--no-deps",
            "--require-hashes",
            "--no-compile",
            "--cache-dir",
            str(cache_dir() / "pip"),
            "--target",
            str(staging / "python"),
            *runtime.pip_options,
            "-r",
            str(LOCK),
        )
        layer.parent.mkdir(parents=True, exist_ok=True)
        staging.replace(layer)
    return layer


def _files(root: Path, *parts: str) -> list[tuple[Path, str]]:
    """Every file under ``root/parts`` as (path, name inside the zip), caches left out."""
    start = root.joinpath(*parts)
    found = [start] if start.is_file() else sorted(start.rglob("*"))
    return [
        (path, path.relative_to(root).as_posix())
        for path in found
        if path.is_file() and not _SKIPPED.intersection(path.relative_to(root).parts)
    ]


def write_zip(destination: Path, files: list[tuple[Path, str]], prefix: str = "") -> None:
    """A reproducible zip: sorted names, fixed dates, only the executable bit kept."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path, name in sorted(files, key=lambda item: item[1]):
            entry = zipfile.ZipInfo(prefix + name, date_time=_ZIP_DATE)
            entry.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    partial.replace(destination)


def function_package(handler: str) -> str:
    """``functions.ingest.app.handler`` → ``functions/ingest``: the folder a function's code lives in."""
    parts = handler.split(".")
    if len(parts) < 4 or parts[0] != "functions":
        raise SystemExit(f"handler outside functions/: {handler}")
    return f"functions/{parts[1]}"


def artifact_path(uri: Any) -> Path:
    """A template ``CodeUri``/``ContentUri`` (relative to the template) as a path."""
    if not isinstance(uri, str) or not uri.endswith(".zip"):
        raise SystemExit(f"expected a path to a built zip, got {uri!r}")
    return (TEMPLATE.parent / uri).resolve()


def _unzipped_size(files: list[tuple[Path, str]]) -> int:
    return sum(path.stat().st_size for path, _ in files)


def build() -> dict[str, Any]:
    """Build every artifact the template names; returns (and writes) the manifest of sizes."""
    runtime = target()
    target_entry = {**runtime.__dict__, "platforms": list(runtime.platforms)}
    manifest: dict[str, Any] = {"target": target_entry, "layers": {}, "functions": {}}
    for name, props in resources("AWS::Serverless::LayerVersion").items():
        installed = _installed_layer(runtime)
        files = _files(installed, "python")
        destination = artifact_path(props["ContentUri"])
        write_zip(destination, files)
        manifest["layers"][name] = _entry(destination, files)
    for name, props in sorted(resources("AWS::Serverless::Function").items()):
        files = [
            *_files(ROOT, SOURCE_PACKAGE),
            *_files(ROOT, "functions", "__init__.py"),
            *_files(ROOT, function_package(props["Handler"])),
        ]
        destination = artifact_path(props["CodeUri"])
        write_zip(destination, files)
        manifest["functions"][name] = _entry(destination, files)
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _entry(destination: Path, files: list[tuple[Path, str]]) -> dict[str, Any]:
    return {
        "zip": destination.relative_to(ROOT).as_posix(),
        "zipped_bytes": destination.stat().st_size,
        "unzipped_bytes": _unzipped_size(files),
    }


def _report(manifest: dict[str, Any]) -> None:
    mib = 1024 * 1024
    for kind in ("layers", "functions"):
        for name, entry in manifest[kind].items():
            print(
                f"{name:32} {entry['zipped_bytes'] / mib:7.2f} MiB zipped "
                f"{entry['unzipped_bytes'] / mib:7.2f} MiB unzipped  {entry['zip']}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package")
    parser.add_argument("command", choices=["lock", "build"])
    args = parser.parse_args(argv)
    if args.command == "lock":
        lock()
    else:
        _report(build())
    return 0


if __name__ == "__main__":
    sys.exit(main())
