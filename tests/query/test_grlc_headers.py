"""Query headers as grlc reads them: every shipped header is YAML that grlc reads the same
as pedall, and each way a header can pass pedall's parser but mislead grlc is named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pedall.knowledge.data_files import DataFiles
from pedall.query.checks import header_failures
from pedall.query.grlc_headers import grlc_problems, grlc_yaml
from pedall.query.library import LibraryQuery, load_query, parse_header

SHIPPED = DataFiles.default()
GOOD = "#+ summary: Genes\n#+ description: Genes of\n#+   each lesion.\n#+ tags:\n#+   - genes\n"


def library_query(text: str) -> LibraryQuery:
    header = parse_header(text, "q.rq")
    return LibraryQuery("q", header.summary, header.description, header.tags, text)


@pytest.mark.parametrize(
    "path",
    SHIPPED.query_files() + SHIPPED.qc_query_files(),
    ids=lambda path: path.name,
)
def test_each_shipped_header_is_a_yaml_mapping_grlc_reads_like_pedall(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    decorators = yaml.safe_load(grlc_yaml(text))
    assert isinstance(decorators, dict) and {"summary", "description"} <= set(decorators)
    query = load_query(path)
    assert grlc_problems(query) == []
    assert decorators["summary"] == query.summary and decorators.get("tags", []) == list(query.tags)


def test_grlc_reads_every_column_zero_mark_line_and_strips_the_mark() -> None:
    text = GOOD + "  #+ indented: skipped\nSELECT * WHERE {}\n#+ late: read\n"
    assert grlc_yaml(text).splitlines() == [
        " summary: Genes",
        " description: Genes of",
        "   each lesion.",
        " tags:",
        "   - genes",
        " late: read",
    ]
    assert grlc_problems(library_query(GOOD + "SELECT * WHERE {}\n")) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        # a comma-separated tag line is a list to pedall, a string to grlc
        ("#+ summary: s\n#+ description: d\n#+ tags: a, b\nASK {}", "'tags' as str 'a, b'"),
        # YAML reads a bare number or yes/no as a number or a boolean
        ("#+ summary: 2017\n#+ description: d\nASK {}", "'summary' as int 2017"),
        ("#+ summary: s\n#+ description: yes\nASK {}", "'description' as bool True"),
        ("#+ summary: s\n#+ description: d\n#+ tags:\n#+   - 4\nASK {}", "each must be a string"),
        # a colon and a space inside a value is a second mapping to YAML
        ("#+ summary: s: t\n#+ description: d\nASK {}", "not valid YAML as grlc reads it"),
        # grlc skips a mark that is not in the first column
        (" #+ summary: s\n#+ description: d\nASK {}", "grlc reads summary '', pedall reads 's'"),
        # grlc reads a mark line after the query begins
        ("#+ summary: s\n#+ description: d\nASK {}\n#+ summary: t", "grlc reads summary 't'"),
        # quotes are YAML's, not part of the value
        ('#+ summary: "s"\n#+ description: d\nASK {}', "grlc reads summary 's'"),
    ],
)
def test_a_header_grlc_reads_otherwise_is_named(text: str, problem: str) -> None:
    problems = grlc_problems(library_query(text))
    assert any(problem in found for found in problems), problems


def test_the_check_names_a_file_whose_header_grlc_misreads(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED.folder("queries"), tmp_path / "queries")
    query = tmp_path / "queries" / "lesion-genes.rq"
    text = query.read_text(encoding="utf-8")
    query.write_text(text + "\n#+ tags: late\n", encoding="utf-8")
    (failure,) = header_failures(DataFiles(tmp_path))
    assert failure.check == "header" and failure.where == str(query)
    assert "'tags'" in failure.problem and "'late'" in failure.problem
