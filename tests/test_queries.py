"""pedall.queries: the library's headers and lookup, and one test per competency question."""

from __future__ import annotations

from pathlib import Path

import pytest

from pedall.errors import DataFileError, UnknownQueryError
from pedall.queries import QueryHeader, find_query, load_library, load_query, parse_header
from pedall.resources import DataFiles

GOOD = """#+ summary: Genes of each lesion
#+ description: Every lesion with the genes it involves.
#+ tags:
#+   - lesions
#+   - genes

PREFIX pedall: <https://w3id.org/pedall/>
SELECT * WHERE { ?s ?p ?o }
"""


def test_header_fields_are_read() -> None:
    assert parse_header(GOOD, "genes.rq") == QueryHeader(
        summary="Genes of each lesion",
        description="Every lesion with the genes it involves.",
        tags=("lesions", "genes"),
    )


def test_inline_tags() -> None:
    text = "#+ summary: s\n#+ description: d\n#+ tags: therapy, drugs\nASK {}"
    assert parse_header(text, "x.rq").tags == ("therapy", "drugs")


def test_header_lines_after_the_query_begins_are_not_header() -> None:
    text = "#+ summary: s\n#+ description: d\nASK {}\n#+ tags: late\n"
    assert parse_header(text, "x.rq").tags == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#+ description: d\nASK {}", "lacks summary"),
        ("#+ summary: s\nASK {}", "lacks description"),
        ("#+ summary: s\n#+ description: d\n#+ sumary: typo\nASK {}", "line 3: expected 'key"),
        ("#+ summary: s\n#+ summary: t\n#+ description: d\nASK {}", "'summary' given twice"),
        ("#+ summary:\n#+ description: d\nASK {}", "'summary' is empty"),
        ("#+ summary: s\n#+   - stray\n#+ description: d\nASK {}", "outside 'tags:'"),
        ("SELECT * WHERE { ?s ?p ?o }", "lacks summary, description"),
    ],
)
def test_bad_headers_are_data_file_errors(text: str, message: str) -> None:
    with pytest.raises(DataFileError, match=message) as caught:
        parse_header(text, "bad.rq")
    assert "bad.rq" in str(caught.value)


def test_load_query_names_it_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "genes-of-lesions.rq"
    path.write_text(GOOD, encoding="utf-8")
    query = load_query(path)
    assert (query.name, query.summary, query.text) == (
        "genes-of-lesions",
        "Genes of each lesion",
        GOOD,
    )


def test_a_users_file_may_lack_a_header_but_a_library_file_may_not(tmp_path: Path) -> None:
    path = tmp_path / "mine.rq"
    path.write_text("ASK { ?s ?p ?o }", encoding="utf-8")
    assert find_query(str(path), DataFiles.default()).summary == "mine"
    with pytest.raises(DataFileError, match="lacks summary"):
        load_query(path)


def test_library_is_every_rq_file_by_name() -> None:
    files = DataFiles.default()
    names = [query.name for query in load_library(files)]
    assert names == [path.stem for path in files.query_files()]
    assert len(names) >= 12


def test_find_query_by_name() -> None:
    files = DataFiles.default()
    first = load_library(files)[0]
    assert find_query(first.name, files) == first
    assert find_query(first.name + ".rq", files) == first


def test_unknown_name_suggests_the_closest() -> None:
    files = DataFiles.default()
    name = load_library(files)[0].name
    with pytest.raises(UnknownQueryError, match=f"did you mean {name}") as caught:
        find_query(name[:-1] + "x", files)
    assert isinstance(caught.value, LookupError)


def test_missing_file_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(UnknownQueryError, match="no query file"):
        find_query(str(tmp_path / "absent.rq"), DataFiles.default())
