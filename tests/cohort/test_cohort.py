"""Streaming a patient table through the cohort runner: the same output as classifying in
memory (JSON bytes, CSV, issues), in input order, with the worker processes or without,
reading only a bounded number of rows ahead of what is written."""

from __future__ import annotations

import gc
import io
import json
import multiprocessing
import threading
import tracemalloc
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from pedall import RESEARCH_NOTICE
from pedall.api import classify_input, validate_input
from pedall.cli.main import main
from pedall.cohort.output_files import open_output
from pedall.cohort.result_writers import NoResults
from pedall.cohort.runner import CohortRunner
from pedall.errors import CohortWorkerError, InputFormatError, PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.testing.cohort import cohort_csv
from pedall.toolkit import toolkit
from pedall.writers.csv_results import CsvResults
from pedall.writers.json_results import JsonResults
from pedall.writers.registry import Rendered
from pedall.writers.results import results_csv


def troubled_cohort(count: int) -> str:
    """A generated cohort with extra columns, unreadable cells, a duplicate id, unknown
    lesions and data-quality errors spread through it."""
    lines = cohort_csv(count, seed=11).splitlines()
    lines[0] += ",site"
    for index in range(1, len(lines)):
        lines[index] += f",site-{index % 3}"
        cells = lines[index].split(",")
        if index % 53 == 0:
            cells[2] = "-4"  # negative age: a data-quality error
        if index % 71 == 0:
            cells[5] = "CNS9"  # not a code: the reader's error
        if index % 89 == 0:
            cells[11] = "no-such-lesion"
        if index % 97 == 0:
            cells[0] = "P0000002"  # duplicate id
        lines[index] = ",".join(cells)
    return "\n".join(lines) + "\n"


def expected_json(kb: KnowledgeBase, payload: bytes, source: str) -> str:
    outcome = classify_input(kb, payload, "text/csv", source=source)
    document = outcome.as_json()
    document["notice"] = RESEARCH_NOTICE
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def streamed(runner: CohortRunner, payload: bytes, source: str, render: str) -> str:
    out = io.StringIO()
    schemes = toolkit(runner.kb).schemes
    writer = JsonResults(out) if render == "json" else CsvResults(out, schemes)
    summary = runner.classify(io.BytesIO(payload), source, writer)
    writer.finish(summary.issues)
    return out.getvalue()


@pytest.fixture(scope="module")
def payload() -> bytes:
    return troubled_cohort(700).encode()


@pytest.mark.slow  # a cohort through the workers
@pytest.mark.parametrize("workers", [None, 2])
def test_streamed_output_is_what_classifying_in_memory_gives(
    knowledge_base: KnowledgeBase, payload: bytes, workers: int | None
) -> None:
    # workers=None with a high threshold: in this process; 2: the pool, in small batches.
    parallel_from = 10**9 if workers is None else 150
    before = set(multiprocessing.active_children())
    with CohortRunner(
        knowledge_base, workers=workers, batch_size=60, parallel_from=parallel_from
    ) as runner:
        as_json = streamed(runner, payload, "cohort.csv", "json")
        as_csv = streamed(runner, payload, "cohort.csv", "csv")
        validated = runner.validate(io.BytesIO(payload), "cohort.csv")
        assert len(set(multiprocessing.active_children()) - before) == (workers or 0)
    assert set(multiprocessing.active_children()) <= before  # the workers stop on exit
    assert as_json == expected_json(knowledge_base, payload, "cohort.csv")
    outcome = classify_input(knowledge_base, payload, "text/csv", source="cohort.csv")
    assert as_csv == results_csv(outcome.results, toolkit(knowledge_base).schemes)
    assert (
        validated.issues
        == validate_input(knowledge_base, payload, "text/csv", source="cohort.csv").issues
    )
    document = json.loads(as_json)
    assert {"duplicate patient_id", "age_years must not be negative", "unknown lesion code"} <= {
        error["message"].split(" (")[0].split(" '")[0] for error in document["errors"]
    }
    ids = [result["patient_id"] for result in document["results"]]
    assert ids == sorted(ids)  # input order
    assert {result["site"] for result in document["results"]} == {"site-0", "site-1", "site-2"}


def test_an_empty_table_and_a_table_of_errors_give_the_contract(
    knowledge_base: KnowledgeBase,
) -> None:
    for text in ("patient_id,age_years\n", "patient_id,age_years\nP1,old\n"):
        with CohortRunner(knowledge_base) as runner:
            got = streamed(runner, text.encode(), "t.csv", "json")
            table = streamed(runner, text.encode(), "t.csv", "csv")
        assert got == expected_json(knowledge_base, text.encode(), "t.csv")
        assert table == results_csv([], toolkit(knowledge_base).schemes)


class CountingStream(io.RawIOBase):
    """A table read lazily, counting the rows handed out."""

    def __init__(self, text: str) -> None:
        self.lines: Iterator[bytes] = iter(text.encode().splitlines(keepends=True))
        self.rows_read = 0
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self.pending:
            line = next(self.lines, None)
            if line is None:
                return 0
            self.rows_read += 1
            self.pending = line
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


class WatchingWriter(JsonResults):
    """Notes how many rows had been read when each result was written."""

    def __init__(self, out: io.StringIO, source: CountingStream) -> None:
        super().__init__(out)
        self.source = source
        self.read_when_written: list[int] = []

    def write(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        if rendered is not None:  # a result
            self.read_when_written.append(self.source.rows_read)
        super().write(rendered, issues)


@pytest.mark.slow  # a cohort through the workers
def test_reading_runs_only_a_bounded_way_ahead_of_writing(
    knowledge_base: KnowledgeBase,
) -> None:
    total = 3_000
    stream = CountingStream(cohort_csv(total, seed=3))
    writer = WatchingWriter(io.StringIO(), stream)
    batch, first = 100, 400
    with CohortRunner(knowledge_base, workers=2, batch_size=batch, parallel_from=first) as runner:
        summary = runner.classify(io.BufferedReader(stream, buffer_size=1024), "lazy.csv", writer)
    assert summary.rows == total
    # in flight: at most 2 x workers + 1 batches, plus what the text layer reads ahead
    ahead = first + 5 * batch + 200
    assert writer.read_when_written[0] <= ahead
    assert all(
        read <= written + ahead for written, read in enumerate(writer.read_when_written, start=1)
    )


@pytest.mark.slow  # a large cohort, traced
def test_what_is_remembered_is_bounded_by_profiles_not_patients(
    knowledge_base: KnowledgeBase,
) -> None:
    text = cohort_csv(1_500, seed=5)
    lines = text.splitlines()
    # The same patients again under new ids: new rows, no new profiles.
    renamed = "\n".join([lines[0]] + [line.replace("P0", "Q0", 1) for line in lines[1:]])
    with CohortRunner(knowledge_base, parallel_from=10**9) as runner:
        schemes = toolkit(knowledge_base).schemes
        runner.classify(io.BytesIO(text.encode()), "a.csv", CsvResults(io.StringIO(), schemes))
        gc.collect()
        tracemalloc.start()
        try:
            again = runner.classify(
                io.BytesIO(renamed.encode()), "b.csv", CsvResults(io.StringIO(), schemes)
            )
            classified = again.classified
            del again  # its issues are output, not what the runner remembers
            gc.collect()
            kept, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert classified > 1_000
    # Remembering anything for each of the 1,500 new patient ids takes far more (it took
    # ~300 kB when the data-quality memo was keyed by patient id).
    assert kept < 32 * 1024


def test_progress_shows_only_when_asked_or_on_a_terminal(
    knowledge_base: KnowledgeBase, capfd: pytest.CaptureFixture[str]
) -> None:
    text = cohort_csv(50, seed=1).encode()
    with CohortRunner(knowledge_base) as runner:  # stderr is not a terminal under pytest
        runner.classify(io.BytesIO(text), "quiet.csv", NoResults())
    assert capfd.readouterr().err == ""
    with CohortRunner(knowledge_base, progress=True) as runner:
        runner.classify(io.BytesIO(text), "shown.csv", NoResults())
    captured = capfd.readouterr()
    assert captured.out == ""
    assert "shown.csv" in captured.err


def test_a_table_that_is_not_utf8_is_an_input_format_error(
    knowledge_base: KnowledgeBase,
) -> None:
    with CohortRunner(knowledge_base) as runner, pytest.raises(InputFormatError, match="UTF-8"):
        runner.validate(io.BytesIO(b"patient_id,age_years\nP\xff,5\n"), "latin.csv")


def test_output_file_is_replaced_whole_or_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    target.write_text("before")
    with pytest.raises(RuntimeError), open_output(target) as out:
        out.write("partial")
        raise RuntimeError("stopped")
    assert target.read_text() == "before"
    assert list(tmp_path.iterdir()) == [target]
    with open_output(target) as out:
        out.write("after")
    assert target.read_text() == "after"


@pytest.mark.slow  # a cohort through the CLI
def test_cli_classify_and_validate_stream_the_same_documents(
    knowledge_base: KnowledgeBase, tmp_path: Path, payload: bytes
) -> None:
    table = tmp_path / "cohort.csv"
    table.write_bytes(payload)
    target = tmp_path / "out.json"
    result = CliRunner().invoke(
        main, ["classify", "--format", "json", "-o", str(target), str(table)]
    )
    assert result.exit_code == 1  # the table has errors; the valid rows are classified
    assert target.read_text() == expected_json(knowledge_base, payload, str(table))
    checked = CliRunner().invoke(main, ["validate", "--format", "json", str(table)])
    assert checked.exit_code == 1
    report = json.loads(checked.stdout)
    outcome = validate_input(knowledge_base, payload, "text/csv", source=str(table))
    assert report["errors"] == [i.as_dict() for i in outcome.errors]
    assert report["conforms"] is False


def test_one_engine_classifies_from_many_threads_as_from_one(
    knowledge_base: KnowledgeBase,
) -> None:
    # The HTTP service classifies from a thread pool with one shared engine.
    from concurrent.futures import ThreadPoolExecutor

    from pedall.classify.fast_engine import FastEngine
    from pedall.patients.readers.csv_table import read_csv
    from pedall.toolkit import toolkit

    model = toolkit(knowledge_base).model
    records = read_csv(cohort_csv(400, seed=21), model).records
    expected = [
        c.as_dict() for c in FastEngine.from_knowledge(knowledge_base, model).classify(records)
    ]
    shared = FastEngine.from_knowledge(knowledge_base, model)
    parts = [records[i::4] for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(shared.classify, parts))
    got = {c.patient_id: c.as_dict() for part in results for c in part}
    assert [got[r.patient_id] for r in records] == expected


class KillingTable(io.RawIOBase):
    """A table whose reading kills a cohort worker process (as the kernel does when memory
    runs out) once ``rows`` rows are read, then goes on."""

    def __init__(self, table: bytes, rows: int) -> None:
        self.lines = iter(table.splitlines(keepends=True))
        self.rows = rows
        self.before = {p.pid for p in multiprocessing.active_children()}
        self.killed: list[int] = []
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not self.pending:
            self.pending = next(self.lines, b"")
            self.rows -= 1
            if self.rows == 0:
                workers = [p for p in multiprocessing.active_children() if p.pid not in self.before]
                workers[0].kill()
                self.killed.append(workers[0].pid or 0)
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def test_a_worker_killed_mid_run_stops_the_run_with_a_clear_error(
    knowledge_base: KnowledgeBase,
) -> None:
    table = KillingTable(cohort_csv(3_000, seed=5).encode(), 1_500)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            with CohortRunner(knowledge_base, workers=2, batch_size=100, parallel_from=200) as r:
                r.classify(io.BufferedReader(table), "cohort.csv", NoResults())
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(120)  # liveness, not speed: a lost batch once left the run waiting forever
    assert not worker.is_alive(), "the run hung after its worker was killed"
    assert table.killed
    (error,) = outcome
    assert isinstance(error, CohortWorkerError)
    assert "worker process" in str(error) and "ended" in str(error)
