"""``pedall check``: the curator's checks pass on the shipped data files and fail, naming
the problem, on a copy that breaks them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pedall.cli.main import main
from pedall.knowledge.data_files import DATA_KINDS, DataFiles
from pedall.query.checks import canonical_failures, header_failures

pytestmark = pytest.mark.slow  # `pedall check`: pyshacl and the quality checks over the whole graph


def run_check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the shipped ontology/, shapes/ and queries/ folders."""
    shipped = DataFiles.default()
    for kind in DATA_KINDS:
        shutil.copytree(shipped.folder(kind), tmp_path / kind)
    return tmp_path


def replace_once(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert count == 1, pattern
    path.write_text(changed, encoding="utf-8")


def test_check_passes_on_the_shipped_data() -> None:
    result = run_check()
    assert result.exit_code == 0, result.output
    assert "all checks passed" in result.output


def test_check_fails_naming_a_term_whose_definition_was_removed(data_copy: Path) -> None:
    # The definition of pedall:factor-mrd, the line after its altLabel "MRD".
    replace_once(
        data_copy / "ontology" / "factors.ttl",
        r'(    skos:altLabel "MRD"@en ;\n)    skos:definition "[^\n]*\n',
        r"\1",
    )
    result = run_check("--data-root", str(data_copy))
    assert result.exit_code == 1
    failures = [line for line in result.output.splitlines() if "factor-mrd" in line]
    assert any(line.startswith("shapes: pedall:factor-mrd") for line in failures), result.output
    assert any(line.startswith("qc: term-without-definition-violation") for line in failures)


def test_check_fails_on_a_traceable_evidence_type_without_a_reference(data_copy: Path) -> None:
    replace_once(
        data_copy / "ontology" / "evidence.ttl",
        r'^    pedall:citedReference "26" ;\n',
        "",
    )
    result = run_check("--data-root", str(data_copy))
    assert result.exit_code == 1
    assert "qc: eco-traceable-without-reference-violation" in result.output
    assert "ev-etp-first-study" in result.output


def test_a_header_that_is_not_yaml_is_named(data_copy: Path) -> None:
    query = data_copy / "queries" / "lesion-genes.rq"
    replace_once(query, r"^#\+ summary: (.*)$", r"#+ summary: \1: with a colon")
    (failure,) = header_failures(DataFiles(data_copy))
    assert failure.check == "header" and failure.where == str(query)
    assert "not valid YAML" in failure.problem


def test_shipped_query_headers_are_yaml_mappings() -> None:
    assert header_failures(DataFiles.default()) == []


def test_a_file_out_of_canonical_form_is_named(data_copy: Path) -> None:
    path = data_copy / "ontology" / "sources.ttl"
    path.write_text(path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    (failure,) = canonical_failures(DataFiles(data_copy))
    assert failure.where == str(path) and "pedall canonicalize" in failure.problem
