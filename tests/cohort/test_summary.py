"""The cohort summary (``pedall classify --summary``; ``POST /classify?summary=true`` in
``test_router_patients.py``) and the to-do list (``--to-do COLUMN``): the counts equal what
the per-patient results say, the JSON contract is unchanged without ``--summary``, and what
each column would settle is counted from the outcomes' ``deciding``, largest first."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pedall.api import classify_input
from pedall.classify.fast_engine import FastEngine
from pedall.classify.result import Classification, Deciding, DecidingOutcome, Outcome
from pedall.classify.schemes import read_schemes
from pedall.cli.main import main
from pedall.cohort.result_writers import IssueCounting, NoResults
from pedall.cohort.runner import CohortRunner, PatientFile
from pedall.cohort.summary import UNDETERMINED, ClassificationSummary, SummaryEntry, summarize
from pedall.cohort.to_do import ToDoList
from pedall.knowledge.base import KnowledgeBase
from pedall.writers.json_results import JsonResults

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patients.csv"
# A cohort with every kind of row: complete, provisional (one or several missing fields,
# unknown genetics), T-lineage, an unreadable cell, a failed data-quality rule, a
# duplicate id and a warning.
COHORT_ROWS = [
    {"patient_id": "C01", "age_years": "4", "wbc_per_ul": "12000", "immunophenotype": "B"},
    {
        "patient_id": "C02",
        "age_years": "4",
        "wbc_per_ul": "12000",
        "immunophenotype": "B",
        "cns_status": "CNS1",
        "testicular_involvement": "false",
        "prephase_blasts_per_ul": "100",
        "mrd_eoi_percent": "0.001",
        "cr_after_induction": "true",
        "chromosome_count": "46",
        "lesions": "ETV6::RUNX1",
        "down_syndrome": "false",
    },
    {"patient_id": "C03", "age_years": "16"},
    {"patient_id": "C04", "age_years": "7", "immunophenotype": "T", "wbc_per_ul": "20000"},
    {"patient_id": "C05", "age_years": "seven"},
    {"patient_id": "C06", "age_years": "-3"},
    {"patient_id": "C03", "age_years": "5"},
    {"patient_id": "C07", "age_years": "5", "lesions": "BCR::ABL1;ETV6::RUNX1"},
    {"patient_id": "C08", "age_years": "0.5", "mrd_eoi_percent": "0.5"},
]


def cohort_csv(rows: Sequence[Mapping[str, str]] = COHORT_ROWS) -> bytes:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def expected_summary(
    document: Mapping[str, Any], deciding_by_id: Mapping[str, Sequence[Deciding]] | None = None
) -> dict[str, object]:
    """The summary computed here from the per-patient JSON results and the issues (each
    result's ``deciding`` from the JSON, or from ``deciding_by_id`` by patient id)."""
    results = document["results"]
    provisional = [r for r in results if r["provisional"]]

    def decidings(result: Mapping[str, Any]) -> list[tuple[str, bool]]:
        """Each column of the result's deciding and whether it settles."""
        if deciding_by_id is not None:
            return [(d.column, d.settles()) for d in deciding_by_id[result["patient_id"]]]
        return [
            (d["column"], all(len(o["possible_groups"]) == 1 for o in d["outcomes"]))
            for d in result.get("deciding", [])
        ]

    deciding = Counter(column for r in provisional for column, _ in decidings(r))
    settles = Counter(column for r in provisional for column, yes in decidings(r) if yes)
    places = {
        (e["source"] or "", e["line"], e["node"], e["patient_id"]) for e in document["errors"]
    }
    return {
        "classified": len(results),
        "provisional": len(provisional),
        "rows_with_errors": len(places),
        "errors": len(document["errors"]),
        "warnings": len(document["warnings"]),
        "risk_group": Counter(r["risk_group"] for r in results),
        "nci_rome": Counter(r["nci_rome"] or UNDETERMINED for r in results),
        "deciding": {c: (n, settles[c]) for c, n in deciding.items()},
    }


def as_expected(summary: Mapping[str, Any]) -> dict[str, object]:
    """A ``summary`` object in the form of ``expected_summary`` (zero counts dropped)."""
    return {
        **{key: summary[key] for key in ("classified", "provisional", "rows_with_errors")},
        "errors": summary["errors"],
        "warnings": summary["warnings"],
        "risk_group": Counter({k: v for k, v in summary["risk_group"].items() if v}),
        "nci_rome": Counter({k: v for k, v in summary["nci_rome"].items() if v}),
        "deciding": {d["column"]: (d["provisional"], d["settles"]) for d in summary["deciding"]},
    }


def with_deciding(outcome: Outcome) -> Outcome:
    """``outcome`` with a ``deciding`` where it has none and is provisional: the first
    missing column splits the groups one to an answer (it settles), every other leaves them
    all open. (Once the engines fill ``deciding`` this changes nothing.)"""
    if outcome.deciding or not outcome.provisional:
        return outcome
    splits = tuple(DecidingOutcome(g, None, None, (g,)) for g in outcome.possible_groups)
    unsettled = (DecidingOutcome("any value", None, None, outcome.possible_groups),)
    deciding = tuple(
        Deciding(column, splits if index == 0 else unsettled)
        for index, column in enumerate(outcome.missing)
    )
    return replace(outcome, deciding=deciding)


@pytest.fixture
def engine_with_deciding(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    original = FastEngine.classify

    def classify(self: FastEngine, records: Any) -> list[Classification]:
        return [replace(r, outcome=with_deciding(r.outcome)) for r in original(self, records)]

    monkeypatch.setattr(FastEngine, "classify", classify)
    yield


def classify_json(arguments: Sequence[str], stdin: bytes | None = None) -> tuple[int, Any]:
    result = CliRunner().invoke(main, ["classify", *arguments], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def entry(
    patient_id: str, groups: tuple[str, ...], deciding: tuple[Deciding, ...] = ()
) -> SummaryEntry:
    missing = tuple(d.column for d in deciding)
    outcome = Outcome(groups, missing, (), (("nci_rome", "standard"),), "risk_group", deciding)
    return SummaryEntry.of(Classification(patient_id, outcome, 2, "t.csv"))


MRD_SETTLES = Deciding(
    "mrd_eoi_percent",
    (
        DecidingOutcome("at most 0.01 %", {"max": 0.01, "max_inclusive": True}, None, ("low",)),
        DecidingOutcome("above 0.01 %", {"min": 0.01, "min_inclusive": False}, None, ("high",)),
    ),
)
BLASTS_OPEN = Deciding(
    "prephase_blasts_per_ul",
    (
        DecidingOutcome("under 1,000/uL", {"max": 1000, "max_inclusive": False}, None, ("low",)),
        DecidingOutcome(
            "1,000/uL or more", {"min": 1000, "min_inclusive": True}, None, ("low", "high")
        ),
    ),
)
LESION_SETTLES = Deciding(
    "lesions_pending",
    (
        DecidingOutcome("BCR::ABL1 detected", None, ("BCR::ABL1",), ("very-high",)),
        DecidingOutcome("not detected", None, (), ("high",)),
    ),
)


def test_settles_counts_each_column_whose_every_answer_leaves_one_group(
    knowledge_base: KnowledgeBase,
) -> None:
    summary = ClassificationSummary.for_schemes(read_schemes(knowledge_base.graph))
    summary.add(entry("A", ("low", "high"), (MRD_SETTLES, BLASTS_OPEN)))
    summary.add(entry("B", ("low", "high"), (BLASTS_OPEN, MRD_SETTLES)))
    summary.add(entry("C", ("low", "high"), (BLASTS_OPEN,)))
    summary.add(entry("D", ("high", "very-high"), (LESION_SETTLES,)))
    summary.add(entry("E", ("standard",)))
    assert MRD_SETTLES.settles() and not BLASTS_OPEN.settles()
    assert [c.as_dict() for c in summary.columns()] == [
        {"column": "mrd_eoi_percent", "provisional": 2, "settles": 2},
        {"column": "lesions_pending", "provisional": 1, "settles": 1},
        {"column": "prephase_blasts_per_ul", "provisional": 3, "settles": 0},
    ]
    as_dict = summary.as_dict()
    assert (as_dict["classified"], as_dict["provisional"]) == (5, 4)
    assert as_dict["risk_group"] == {"low": 3, "standard": 1, "high": 1, "very-high": 0}
    assert as_dict["nci_rome"] == {"standard": 5, "high": 0, "not-applicable": 0, UNDETERMINED: 0}


def test_a_certain_patient_counts_under_no_column(knowledge_base: KnowledgeBase) -> None:
    summary = ClassificationSummary.for_schemes(read_schemes(knowledge_base.graph))
    summary.add(entry("E", ("standard",)))
    assert summary.columns() == []
    assert summary.as_dict()["deciding"] == []


def test_settles_is_unknown_when_an_entry_does_not_say(knowledge_base: KnowledgeBase) -> None:
    summary = ClassificationSummary.for_schemes(read_schemes(knowledge_base.graph))
    summary.add(
        SummaryEntry(
            "R1",
            "r.parquet",
            None,
            ("low", "high"),
            (("nci_rome", None),),
            ("mrd_eoi_percent",),
            None,
        )
    )
    summary.add(entry("A", ("low", "high"), (MRD_SETTLES,)))
    assert [c.as_dict() for c in summary.columns()] == [
        {"column": "mrd_eoi_percent", "provisional": 2, "settles": None}
    ]


def test_rows_with_errors_count_each_row_once(knowledge_base: KnowledgeBase) -> None:
    outcome = classify_input(knowledge_base, cohort_csv(), "text/csv", source="c.csv")
    lines_with_errors = {issue.line for issue in outcome.errors}
    summary = summarize(outcome.results, outcome.issues, read_schemes(knowledge_base.graph))
    assert summary.rows_with_errors == len(lines_with_errors) == 3  # C05, C06, second C03
    assert summary.errors == len(outcome.errors)
    assert summary.warnings == len(outcome.warnings) > 0


@pytest.mark.parametrize("output_format", ["json", "table"])
def test_rows_with_errors_are_counted_past_the_issue_cap(
    tmp_path: Path, output_format: str
) -> None:
    """--max-issues caps the issues listed, not the summary's counts (they were counted from
    the capped list: 1 row with errors of 5)."""
    table = tmp_path / "cohort.csv"
    rows = "".join(f"E{n},-{n + 1}\n" for n in range(5)) + "OK1,5\n"
    table.write_text("patient_id,age_years,lesions\n" + rows.replace("\n", ",\n"))
    arguments = [str(table), "--summary", "--max-issues", "1", "--format", output_format]
    if output_format == "json":
        status, document = classify_json(arguments)
        assert len(document["errors"]) == 1 and document["errors_not_shown"] == 4
        counted = document["summary"]
        assert (counted["rows_with_errors"], counted["errors"]) == (5, 5)
    else:
        result = CliRunner().invoke(main, ["classify", *arguments])
        status = result.exit_code
        assert "5 row(s) with errors (5 error(s)" in " ".join(result.stdout.split())
    assert status == 1


@pytest.mark.slow  # classifies a cohort twice
def test_cli_summary_counts_equal_what_the_results_say(
    tmp_path: Path, knowledge_base: KnowledgeBase, engine_with_deciding: None
) -> None:
    table = tmp_path / "cohort.csv"
    table.write_bytes(cohort_csv())
    status, document = classify_json([str(table), str(EXAMPLES), "--format", "json", "--summary"])
    assert status == 1  # the rows with errors
    assert list(document) == ["results", "errors", "warnings", "summary", "notice"]
    deciding_by_id = {
        r.patient_id: r.outcome.deciding
        for payload in (cohort_csv(), EXAMPLES.read_bytes())
        for r in classify_input(knowledge_base, payload, "text/csv").results
    }
    assert as_expected(document["summary"]) == expected_summary(document, deciding_by_id)
    assert document["summary"]["provisional"] > 0 and document["summary"]["deciding"]
    settles = [d["settles"] for d in document["summary"]["deciding"]]
    assert settles == sorted(settles, reverse=True)


@pytest.mark.slow  # classifies a cohort twice
def test_without_summary_the_json_document_is_unchanged(tmp_path: Path) -> None:
    table = tmp_path / "cohort.csv"
    table.write_bytes(cohort_csv())
    plain = CliRunner().invoke(main, ["classify", str(table), "--format", "json"]).stdout
    summarized = json.loads(
        CliRunner().invoke(main, ["classify", str(table), "--format", "json", "--summary"]).stdout
    )
    assert "summary" not in json.loads(plain)
    del summarized["summary"]
    assert json.dumps(summarized, indent=2, ensure_ascii=False) + "\n" == plain


def test_the_summary_streamed_through_worker_processes_is_the_same(
    knowledge_base: KnowledgeBase, tmp_path: Path
) -> None:
    rows = [
        dict(row, patient_id=f"{row['patient_id']}-{n}") for n in range(30) for row in COHORT_ROWS
    ]
    table = tmp_path / "large.csv"
    table.write_bytes(cohort_csv(rows))
    schemes = read_schemes(knowledge_base.graph)
    summary = ClassificationSummary.for_schemes(schemes)
    out = io.StringIO()
    files = [PatientFile(lambda: table.open("rb"), "text/csv", str(table))]
    with CohortRunner(knowledge_base, workers=2, batch_size=40, parallel_from=80) as runner:
        writer = IssueCounting(JsonResults(out, summary=summary), summary)
        runner.classify_files(files, writer, summary.add)
    document = json.loads(out.getvalue())
    assert document["summary"] == summary.as_dict()
    assert as_expected(document["summary"]) == expected_summary(document)
    assert document["summary"]["classified"] == 6 * 30  # three rows of each copy have errors


def test_cli_summary_for_a_person(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["classify", str(EXAMPLES), "--summary"])
    assert result.exit_code == 1
    assert "12 patient(s) classified" in result.stdout
    assert "CMCP-ALL2008 risk group" in result.stdout and "NCI/Rome" in result.stdout
    assert result.stdout.rstrip().endswith(
        "For research and education only; not for clinical decision-making."
    )


@pytest.mark.slow  # a cohort, twice
def test_cli_to_do_lists_the_provisional_patients_its_column_would_decide(
    tmp_path: Path, knowledge_base: KnowledgeBase, engine_with_deciding: None
) -> None:
    table = tmp_path / "cohort.csv"
    table.write_bytes(cohort_csv())
    status, document = classify_json([str(table), "--to-do", "mrd_eoi_percent", "--format", "json"])
    assert status == 1
    outcome = classify_input(knowledge_base, cohort_csv(), "text/csv", source=str(table))
    expected: list[dict[str, Any]] = [
        {
            "patient_id": r.patient_id,
            "source": str(table),
            "line": r.line,
            "possible_groups": list(r.outcome.possible_groups),
        }
        for r in outcome.results
        if r.outcome.provisional and "mrd_eoi_percent" in [d.column for d in r.outcome.deciding]
    ]
    assert expected, "the cohort has provisional patients waiting for MRD"
    assert document["column"] == "mrd_eoi_percent"
    assert document["to_do"] == expected
    assert len(document["errors"]) == len(outcome.errors)
    listed = (
        CliRunner()
        .invoke(main, ["classify", str(table), "--to-do", "mrd_eoi_percent", "--format", "csv"])
        .stdout
    )
    rows = list(csv.DictReader(io.StringIO(listed)))
    assert [row["patient_id"] for row in rows] == [e["patient_id"] for e in expected]
    assert rows[0]["possible_groups"] == ";".join(expected[0]["possible_groups"])


def test_to_do_keeps_only_provisional_patients_naming_the_column() -> None:
    to_do = ToDoList("mrd_eoi_percent")
    for one in (
        entry("A", ("low", "high"), (MRD_SETTLES, BLASTS_OPEN)),
        entry("B", ("low", "high"), (BLASTS_OPEN,)),
        entry("C", ("standard",)),
    ):
        to_do.add(one)
    assert to_do.rows() == [
        {"patient_id": "A", "source": "t.csv", "line": 2, "possible_groups": ["low", "high"]}
    ]
    assert to_do.as_csv().splitlines() == [
        "patient_id,source,line,possible_groups",
        "A,t.csv,2,low;high",
    ]


def test_to_do_cells_are_spreadsheet_safe() -> None:
    to_do = ToDoList("mrd_eoi_percent")
    to_do.add(entry("=1+1", ("low", "high"), (MRD_SETTLES,)))
    assert to_do.as_csv().splitlines()[1].startswith("'=1+1,")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--to-do", "mrd"], "not a column of the patient table"),
        (["--summary", "--format", "csv"], "--summary is written as table or json"),
        (["--to-do", "mrd_eoi_percent", "--format", "ttl"], "--to-do is written as"),
        (["--summary", "--to-do", "mrd_eoi_percent"], "give one of them"),
    ],
)
def test_unusable_summary_options_are_usage_errors(arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["classify", str(EXAMPLES), *arguments])
    assert result.exit_code == 2
    assert message in result.stderr


def test_the_streamed_and_the_in_memory_summary_agree(knowledge_base: KnowledgeBase) -> None:
    """The reference engine's path counts results classified in memory; the same function
    on the fast engine's results gives what streaming gives."""
    outcome = classify_input(knowledge_base, cohort_csv(), "text/csv", source="c.csv")
    in_memory = summarize(outcome.results, outcome.issues, read_schemes(knowledge_base.graph))
    streamed = ClassificationSummary.for_schemes(read_schemes(knowledge_base.graph))
    files = [PatientFile(lambda: io.BytesIO(cohort_csv()), "text/csv", "c.csv")]
    with CohortRunner(knowledge_base) as runner:
        issues = runner.classify_files(files, NoResults(), streamed.add)
    streamed.add_issues(issues)
    assert streamed.as_dict() == in_memory.as_dict()
