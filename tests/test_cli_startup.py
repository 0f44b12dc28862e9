"""``pedall --help`` starts without the heavy libraries: they are imported by the commands
that use them (a fresh interpreter shows what an import really pulls in)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from pedall.cli import publish_command
from pedall.cli.knowledge_commands import EXPORT_FORMAT_NAMES
from pedall.cli.main import main
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
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def imported_by(*arguments: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after ``pedall ARGUMENTS``."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


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
