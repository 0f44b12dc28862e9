"""Files safe to hand on: a ``pedall classify -o OUT`` stopped by SIGTERM or SIGINT leaves
no partial file and no hidden temporary one (and an OUT that was there stays as it was),
and a file that cannot be read in a run of several loses nothing of the others."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli_runner import CliInvoke
from pedall.testing.cohort import write_cohort_file

pytestmark = pytest.mark.slow  # `pedall` subprocesses stopped by signals

COHORT_ROWS = 200_000  # far more than a run classifies before the signal comes
WAIT_SECONDS = 300.0  # for the first results to be written (loading comes first)
PREVIOUS = '{"previous": "results"}\n'


@pytest.fixture(scope="module")
def large_cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cohort_file(tmp_path_factory.mktemp("cohort") / "cohort.csv", COHORT_ROWS)


def temporary_files(folder: Path, name: str) -> list[Path]:
    """The hidden temporary files an atomic write of ``name`` makes in ``folder``."""
    return sorted(folder.glob(f".{name}.*.tmp"))


def stop_while_writing(cohort: Path, folder: Path, stop: signal.Signals) -> int:
    """Start ``pedall classify COHORT --format json -o OUT`` in ``folder``, send ``stop``
    once results are being written to its temporary output file (the cohort's worker
    processes are running then), and return its exit status."""
    command = [sys.executable, "-c", "from pedall.cli.main import main; main()"]
    command += ["classify", str(cohort), "--format", "json", "-o", "out.json"]
    with subprocess.Popen(command, cwd=folder, stderr=subprocess.PIPE) as process:
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            while not any(t.stat().st_size for t in temporary_files(folder, "out.json")):
                assert process.poll() is None, process.communicate()[1].decode()
                assert time.monotonic() < deadline, "the output's temporary file never appeared"
                time.sleep(0.05)
            process.send_signal(stop)
            process.communicate(timeout=120)
            return process.returncode
        finally:
            if process.poll() is None:
                process.kill()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_run_leaves_no_partial_file(
    large_cohort: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    status = stop_while_writing(large_cohort, tmp_path, stop)
    assert status != 0
    assert temporary_files(tmp_path, "out.json") == []
    assert not (tmp_path / "out.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_stopped_run_keeps_the_previous_output(large_cohort: Path, tmp_path: Path) -> None:
    (tmp_path / "out.json").write_text(PREVIOUS, encoding="utf-8")
    status = stop_while_writing(large_cohort, tmp_path, signal.SIGTERM)
    assert status == 128 + signal.SIGTERM
    assert temporary_files(tmp_path, "out.json") == []
    assert (tmp_path / "out.json").read_text(encoding="utf-8") == PREVIOUS


BROKEN = {
    "invalid UTF-8": ("second.csv", b"patient_id,age_years\nB1,5\nB2,caf\xe9\n"),
    "Turtle syntax error": (
        "second.ttl",
        b'@prefix p: <https://w3id.org/pedall/> .\n[] a p:Patient ;\n  p:patientId "B1" oops .\n',
    ),
    "cell over the csv module's limit": (
        "second.csv",
        b"patient_id,age_years,site\nB1,5," + b"x" * 140_000 + b"\n",
    ),
    "JSON-LD nested too deeply": ("second.jsonld", b"[" * 5_000 + b"]" * 5_000),
}


@pytest.mark.parametrize("output_format", ["json", "table"])
@pytest.mark.parametrize("broken", list(BROKEN))
def test_a_broken_second_file_keeps_the_first_and_third(
    cli: CliInvoke, tmp_path: Path, broken: str, output_format: str
) -> None:
    first, third = tmp_path / "first.csv", tmp_path / "third.csv"
    first.write_text("patient_id,age_years,lesions\nA1,16,\n", encoding="utf-8")
    third.write_text("patient_id,age_years,lesions\nC1,16,\n", encoding="utf-8")
    name, content = BROKEN[broken]
    second = tmp_path / name
    second.write_bytes(content)
    out = tmp_path / f"out.{output_format}"
    result = cli(
        "classify", str(first), str(second), str(third), "--format", output_format, "-o", str(out)
    )
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    text = out.read_text(encoding="utf-8")
    if output_format == "json":
        document = json.loads(text)
        ids = {r["patient_id"] for r in document["results"]}
        assert {"A1", "C1"} <= ids
        assert any(e["source"] == str(second) for e in document["errors"])
        assert all(e["source"] == str(second) for e in document["errors"])
    else:
        assert "A1" in text and "C1" in text
        assert name in text
