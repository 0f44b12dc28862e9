"""Output files get the permissions their content calls for: patient data (``classify`` and
``validate`` outputs) readable by its owner only (0600), knowledge exports 0666 less the
umask (a replaced export keeps its mode)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pedall.atomic_files import open_atomically, write_atomically
from pedall.cli.main import main
from pedall.cohort.output_files import open_output
from pedall.query.export import write_atomically as write_export

VALID_CSV = "patient_id,age_years,immunophenotype,lesions\nA1,16,B,\nA2,5,T,\n"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the umask the test changes."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_shared_files_follow_the_umask(tmp_path: Path, mask: int, expected: int) -> None:
    os.umask(mask)
    write_atomically(b"x", tmp_path / "a.ttl", private=False)
    write_export(b"x", tmp_path / "b.ttl")
    assert mode_of(tmp_path / "a.ttl") == expected
    assert mode_of(tmp_path / "b.ttl") == expected


@pytest.mark.usefixtures("umask")
def test_a_replaced_shared_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "a.ttl"
    path.write_bytes(b"old")
    path.chmod(0o600)
    write_export(b"new", path)
    assert (path.read_bytes(), mode_of(path)) == (b"new", 0o600)


@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize("mask", [0o000, 0o022, 0o077])
def test_private_files_are_the_owners_only(tmp_path: Path, mask: int) -> None:
    os.umask(mask)
    existing = tmp_path / "results.csv"
    existing.write_text("old")
    existing.chmod(0o644)
    write_atomically(b"new", existing, private=True)
    with open_atomically(tmp_path / "b.json", private=True) as stream:
        stream.write("{}")
    with open_output(tmp_path / "c.json") as stream:
        stream.write("{}")
    for name in ("results.csv", "b.json", "c.json"):
        assert mode_of(tmp_path / name) == 0o600, name
    assert existing.read_bytes() == b"new"
    assert sorted(entry.name for entry in tmp_path.iterdir()) == [
        "b.json",
        "c.json",
        "results.csv",
    ]


@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize(
    "args",
    [
        ["classify", "--format", "csv"],  # streamed (open_output)
        ["classify", "--format", "ttl"],  # written whole (emit)
        ["validate", "--format", "json"],
    ],
)
def test_cli_patient_outputs_are_private(tmp_path: Path, args: list[str]) -> None:
    table = tmp_path / "patients.csv"
    table.write_text(VALID_CSV)
    target = tmp_path / "out"
    result = CliRunner().invoke(main, [*args, "-o", str(target), str(table)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    assert mode_of(target) == 0o600


@pytest.mark.slow  # serializes the whole graph
@pytest.mark.usefixtures("umask")
def test_cli_export_follows_the_umask(tmp_path: Path) -> None:
    os.umask(0o002)
    target = tmp_path / "graph.nt"
    result = CliRunner().invoke(main, ["export", "--format", "nt", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert mode_of(target) == 0o664
