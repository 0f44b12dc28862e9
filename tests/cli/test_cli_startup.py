"""``pedall --help`` starts without the heavy libraries: they are imported by the commands
that use them (a fresh interpreter shows what an import really pulls in). ``pedall
classify`` with the fast engine and a warm closure cache needs neither pyshacl nor owlrl
(nor the reference engine, nor the service)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from patient_rows import COMPLETE_PATIENT
from pedall.cli import publish_command
from pedall.cli.knowledge_commands import EXPORT_FORMAT_NAMES
from pedall.cli.main import main
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.cache import ENV_CACHE_DIR, ENV_NO_CACHE, ClosureCache
from pedall.namespaces import ONTOLOGY_IRI
from pedall.query.export import EXPORT_FORMATS

HEAVY = ("pyshacl", "owlrl", "fastapi", "uvicorn", "starlette", "pyoxigraph", "rich", "rdflib")

PROBE = """
import json, sys
from pedall.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def modules_after(*arguments: str, environment: dict[str, str] | None = None) -> set[str]:
    """The modules a fresh interpreter has loaded after ``pedall ARGUMENTS``."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=environment,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def imported_by(*arguments: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after ``pedall ARGUMENTS``."""
    return {name.split(".")[0] for name in modules_after(*arguments)}


@pytest.mark.parametrize(
    "arguments",
    [
        ("--help",),
        ("--version",),
        ("query", "--help"),
        ("classify", "--help"),
        ("publish", "--help"),
        ("serve", "--help"),
    ],
)
def test_help_imports_no_heavy_library(arguments: tuple[str, ...]) -> None:
    loaded = imported_by(*arguments)
    assert "click" in loaded  # the probe did run the command line
    heavy = loaded & set(HEAVY)
    assert not heavy, f"pedall {' '.join(arguments)} imported {sorted(heavy)}"


def test_the_names_written_out_for_help_are_the_library_ones() -> None:
    assert sorted(EXPORT_FORMAT_NAMES) == sorted(EXPORT_FORMATS)
    assert publish_command.ONTOLOGY_IRI == ONTOLOGY_IRI


def test_help_lists_every_command_and_the_no_cache_option() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    commands = ("canonicalize", "check", "classify", "export", "info", "publish", "query")
    for command in (*commands, "serve", "validate"):
        assert command in result.output
    assert "--no-cache" in result.output


@pytest.mark.slow  # a `pedall` subprocess
def test_classify_with_the_fast_engine_imports_neither_pyshacl_nor_owlrl(
    knowledge_base: KnowledgeBase, tmp_path: Path
) -> None:
    cache = ClosureCache(tmp_path / "cache")  # warm: filled with the session's closure
    cache.write(cache.key(knowledge_base.files), knowledge_base.graph, knowledge_base.inferred)
    table = tmp_path / "patients.csv"
    columns = ["patient_id", *COMPLETE_PATIENT]
    table.write_text(
        ",".join(columns) + "\n" + ",".join(["p1", *COMPLETE_PATIENT.values()]) + "\n",
        encoding="utf-8",
    )
    results = tmp_path / "results.json"
    environment = {**os.environ, ENV_CACHE_DIR: str(cache.folder)}
    environment.pop(ENV_NO_CACHE, None)
    arguments = ("classify", str(table), "--engine", "fast", "--format", "json", "-o")
    loaded = modules_after(*arguments, str(results), environment=environment)
    assert [r["patient_id"] for r in json.loads(results.read_text())["results"]] == ["p1"]
    unwanted = {"pyshacl", "owlrl", "fastapi", "uvicorn", "starlette"}
    assert not {name.split(".")[0] for name in loaded} & unwanted
    assert "pedall.classify.reference_engine" not in loaded
