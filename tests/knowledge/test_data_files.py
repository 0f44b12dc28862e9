"""The data files themselves: canonical Turtle, valid query headers, and files that ship."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from pedall.knowledge.canonical import canonical_turtle, turtle_files
from pedall.knowledge.data_files import DATA_KINDS, DataFiles
from pedall.query.library import load_query
from pedall.query.sparql import check_query

FILES = DataFiles.default()
CHECKOUT = Path(__file__).resolve().parents[2]


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", turtle_files(FILES), ids=_name)
def test_turtle_file_is_canonical(path: Path) -> None:
    # Equality also shows the form is stable: the canonical form of this text is itself.
    assert path.read_text(encoding="utf-8") == canonical_turtle(path), (
        f"{_name(path)} is not in canonical form: run `pedall canonicalize` and commit the result"
    )


@pytest.mark.parametrize("path", FILES.query_files() + FILES.qc_query_files(), ids=_name)
def test_query_file_has_a_header_and_passes_the_policy(path: Path) -> None:
    query = load_query(path)
    assert query.summary and query.description
    check_query(query.text)


@pytest.mark.parametrize("kind", DATA_KINDS)
def test_data_files_are_found(kind: str) -> None:
    folder = FILES.folder(kind)
    assert folder.is_dir()
    assert any(folder.glob("*.ttl" if kind != "queries" else "*.rq")), f"no {kind} files"


def test_the_wheel_ships_every_data_folder_where_resources_looks() -> None:
    project = tomllib.loads((CHECKOUT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert shipped == {kind: f"pedall/data/{kind}" for kind in DATA_KINDS}
    assert all((CHECKOUT / kind).is_dir() for kind in shipped)


def test_queries_readme_lists_every_query() -> None:
    readme = (FILES.folder("queries") / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", readme, flags=re.MULTILINE))
    assert listed == {path.stem for path in FILES.query_files()}
