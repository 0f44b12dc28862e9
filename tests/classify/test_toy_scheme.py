"""Scheme identity is data: a third risk scheme added to a copy of the data files (its
groups and criterion in the ontology, its rule in the classification shapes) is reported
under its own key by both engines and every writer, with no code change."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from data_copies import TOY_RULE, TOY_SCHEME, TWO_PATIENTS, copy_data_files
from pedall.api import classify_input
from pedall.cli.main import main
from pedall.knowledge.base import KnowledgeBase
from pedall.toolkit import toolkit

pytestmark = pytest.mark.slow  # a copy of the data files, closed and compiled again


@pytest.fixture(scope="module")
def toy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_data_files(tmp_path_factory.mktemp("toy"))
    (root / "ontology" / "toy-scheme.ttl").write_text(TOY_SCHEME, encoding="utf-8")
    with (root / "shapes" / "nci-rome.ttl").open("a", encoding="utf-8") as shapes:
        shapes.write(TOY_RULE)  # a file of the classification shape group
    return root


@pytest.fixture(scope="module")
def toy_kb(toy_root: Path) -> KnowledgeBase:
    return KnowledgeBase.load(toy_root)


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_a_third_scheme_is_reported_under_its_key_by_both_engines(
    toy_kb: KnowledgeBase, engine: str
) -> None:
    outcome = classify_input(toy_kb, TWO_PATIENTS, "text/csv", engine=engine)
    assert outcome.errors == []
    older, younger = (r.as_dict() for r in outcome.results)
    assert (older["toy_group"], younger["toy_group"]) == ("older", "younger")
    assert (older["risk_group"], younger["risk_group"]) == ("high", "standard")
    assert list(older)[-2:] == ["nci_rome", "toy_group"]  # the schemes in report order


def test_every_writer_reports_the_third_scheme(
    toy_root: Path, toy_kb: KnowledgeBase, tmp_path: Path
) -> None:
    runner = CliRunner()
    table_file = tmp_path / "p.csv"
    table_file.write_bytes(TWO_PATIENTS)
    args = ["classify", str(table_file), "--data-root", str(toy_root), "--format"]
    as_json = runner.invoke(main, [*args, "json", "--summary"])
    as_csv = runner.invoke(main, [*args, "csv"])
    table = runner.invoke(main, [*args, "table"])
    assert as_json.exit_code == as_csv.exit_code == table.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    assert [r["toy_group"] for r in document["results"]] == ["older", "younger"]
    assert document["summary"]["toy_group"] == {"younger": 1, "older": 1, "undetermined": 0}
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["toy_group"] for r in rows] == ["older", "younger"]
    assert list(rows[0])[-3:] == ["nci_rome", "toy_group", "deciding"]
    assert "CMCP-ALL2008, NCI/Rome, Toy" in table.stdout
    assert [s.report_key for s in toolkit(toy_kb).schemes.reported] == [
        "risk_group",
        "nci_rome",
        "toy_group",
    ]


def test_the_shipped_data_report_two_schemes(knowledge_base: KnowledgeBase) -> None:
    outcome = classify_input(knowledge_base, TWO_PATIENTS, "text/csv")
    assert "toy_group" not in outcome.results[0].as_dict()
