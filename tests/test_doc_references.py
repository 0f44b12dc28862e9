"""The Markdown documents name files and modules that exist: every `path` in backticks under
one of the project's folders (a glob such as `shapes/*.ttl` must match something) and every
`pedall.module.name` in backticks. A moved test module or a renamed package otherwise
leaves the README pointing at nothing."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("tests", "src", "benchmarks", "ontology", "shapes", "queries", "examples")
PATH = re.compile(rf"`((?:{'|'.join(FOLDERS)})/[^`\s:]+)`")
MODULE = re.compile(r"`(pedall(?:\.[A-Za-z_]+)+)")
# Dotted names in backticks that are not Python: file names and module IRIs of the ontology.
NOT_PYTHON = re.compile(r"\.(ttl|rq|json|csv)$")
# Ontology and shape modules named by their IRI's last segment, as `owl:imports` gives them.
MODULE_IRIS = re.compile(r"^(ontology|shapes)/[a-z0-9-]+$")


def documents() -> list[Path]:
    found = [ROOT / "README.md"]
    for folder in FOLDERS:
        found += sorted((ROOT / folder).rglob("*.md"))
    return found


def resolves(name: str) -> bool:
    """Whether a dotted name is a module of pedall or an attribute of one."""
    parts = name.split(".")
    for end in range(len(parts), 1, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        for attribute in parts[end:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_named_paths_exist(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    missing = [
        path
        for path in PATH.findall(text)
        if not MODULE_IRIS.match(path)
        and not any(ROOT.glob(path))
        and not any(document.parent.glob(path))
    ]
    assert missing == []


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_named_modules_exist(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    missing = [
        name for name in MODULE.findall(text) if not NOT_PYTHON.search(name) and not resolves(name)
    ]
    assert missing == []


def test_a_missing_name_is_caught() -> None:
    assert not resolves("pedall.fast_engine")
    assert not resolves("pedall.classify.fast_engine.NoSuchThing")
    assert resolves("pedall.classify.fast_engine.FastEngine")
    assert PATH.findall("see `tests/test_gone.py` and `shapes/*.ttl`") == [
        "tests/test_gone.py",
        "shapes/*.ttl",
    ]
