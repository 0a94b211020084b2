"""Every decision the repository cites exists in ``docs/decisions.md``.

Entries are numbered ``§<group>.<n>`` under a heading that names their group ``(§<group>)``. A
citation anywhere in the code, tests, templates or documents must name an entry that is there; the
contract's rulings (``../shared/contract/``) are cited with their file named, never as a bare
"decision 12" or "§4.4", numbers nothing in the repository defines."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DECISIONS = ROOT / "docs" / "decisions.md"
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".js", ".html", ".css", ".toml", ".txt", ".cfg", ".json"}
NAMES = {"Makefile", "run"}
GENERATED = {Path("infra/template.yaml")}
SELF = Path(__file__).resolve()  # quotes the forms it looks for

ENTRY = re.compile(r"^- (§[a-z]+\.\d+) ", re.M)
HEADING = re.compile(r"^## .*\(§([a-z]+)\)$", re.M)
CITATION = re.compile(r"§[a-z]+\.\d+")
# A contract ruling's number: "decision 12", "decisions 5", "Decision 9", "§4.4".
BARE = re.compile(r"\b[Dd]ecisions? \d+|§\d")
CONTRACT = "../shared/contract/"
CONTEXT = 200  # characters before a contract number in which its file must be named


def defined(text: str) -> list[str]:
    return ENTRY.findall(text)


def uncited(text: str, known: set[str]) -> list[str]:
    """The citations of ``text`` that ``known`` lacks, and contract numbers cited without their file."""
    problems = [c for c in CITATION.findall(text) if c not in known]
    flat = re.sub(r"\s+", " ", text)
    for match in BARE.finditer(flat):
        if CONTRACT not in flat[max(0, match.start() - CONTEXT) : match.start()]:
            problems.append(match.group())
    return problems


def _files() -> list[Path]:
    found = []
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if any(part.startswith(".") or part in {"node_modules", "__pycache__"} for part in relative.parts):
            continue
        if relative in GENERATED or path == SELF or not path.is_file():
            continue
        if path.suffix in SUFFIXES or path.name in NAMES:
            found.append(path)
    return found


def test_entries_are_numbered_once_within_their_group() -> None:
    text = DECISIONS.read_text(encoding="utf-8")
    entries = defined(text)
    assert entries, "no numbered entry"
    assert [e for e, n in Counter(entries).items() if n > 1] == []
    headings = list(HEADING.finditer(text))
    grouped = []
    for start, end in zip(headings, [*headings[1:], None], strict=True):
        section = defined(text[start.end() : end.start() if end else len(text)])
        assert all(e.startswith(f"§{start.group(1)}.") for e in section), start.group()
        numbers = [int(e.split(".")[1]) for e in section]
        assert numbers == sorted(numbers), start.group()
        grouped += section
    assert grouped == entries  # none outside a group's heading


def test_every_cited_decision_exists() -> None:
    known = set(defined(DECISIONS.read_text(encoding="utf-8")))
    problems = {}
    for path in _files():
        found = uncited(path.read_text(encoding="utf-8", errors="replace"), known)
        if found:
            problems[str(path.relative_to(ROOT))] = found
    assert problems == {}


def test_the_check_finds_unknown_and_bare_citations() -> None:
    text = (
        "see §api.1 and §api.2; sentry-behaviour §4.4; decision 12 of nothing.\n"
        + "x" * CONTEXT
        + "\n(`../shared/contract/decisions.md` 12), `../shared/contract/sentry-behaviour.md` §4.6"
    )
    assert uncited(text, {"§api.1"}) == ["§api.2", "§4", "decision 12"]
