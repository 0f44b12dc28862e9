"""Shape groups are data: which shapes files each engine loads is read from the files'
``owl:Ontology`` headers (``pedall:shapeGroup`` on a root, ``owl:imports`` for the rest), so
a new shapes file that names its group in its header is loaded with no code change."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from data_copies import TOY_RULE, TOY_SCHEME, TWO_PATIENTS, copy_data_files
from pedall.api import classify_input
from pedall.errors import DataFileError
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import DataFiles
from pedall.knowledge.shape_groups import read_header
from pedall.query.checks import group_failures

PREFIXES = """PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX pedall: <https://w3id.org/pedall/>
PREFIX pshape: <https://w3id.org/pedall/shapes/>
"""
PSHAPE = "https://w3id.org/pedall/shapes/"


def header(name: str, imports: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> str:
    """A shapes file's header in canonical form: ``pshape:NAME`` with its imports and groups."""
    lines = [f"pshape:{name}", "    a owl:Ontology ;"]
    lines += [f"    owl:imports pshape:{target} ;" for target in imports]
    lines += [f'    pedall:shapeGroup "{group}" ;' for group in groups]
    return PREFIXES + "\n" + "\n".join(lines) + "\n.\n"


def shapes_root(tmp_path: Path, files: dict[str, str]) -> DataFiles:
    """A data root whose shapes folder holds ``files`` (name without ``.ttl``: text)."""
    (tmp_path / "shapes").mkdir()
    for name, text in files.items():
        (tmp_path / "shapes" / f"{name}.ttl").write_text(text, encoding="utf-8")
    return DataFiles(tmp_path)


def names(paths: list[Path]) -> list[str]:
    return [path.name for path in paths]


def test_the_shipped_groups_list_imported_files_first() -> None:
    files = DataFiles.default()
    assert names(files.shape_group("classification")) == [
        "derived-findings.ttl",
        "risk-conditions.ttl",
        "cmcp-all2008.ttl",
        "nci-rome.ttl",
    ]
    assert names(files.shape_group("data-quality")) == ["derived-findings.ttl", "patient-data.ttl"]
    assert list(files.shape_groups()) == ["classification", "data-quality"]


def test_a_group_is_its_roots_with_what_they_import(tmp_path: Path) -> None:
    files = shapes_root(
        tmp_path,
        {
            "base": header("base"),
            "middle": header("middle", imports=("base",)),
            "z-root": header("z-root", imports=("middle",), groups=("one",)),
            "a-root": header("a-root", imports=("base",), groups=("one", "two")),
            "unrelated": header("unrelated", groups=("two",)),
        },
    )
    assert names(files.shape_group("one")) == [
        "base.ttl",
        "a-root.ttl",
        "middle.ttl",
        "z-root.ttl",
    ]
    assert names(files.shape_group("two")) == ["base.ttl", "a-root.ttl", "unrelated.ttl"]


def test_an_unknown_group_names_the_groups_declared() -> None:
    with pytest.raises(DataFileError, match="unknown shape group 'nope'") as caught:
        DataFiles.default().shape_group("nope")
    assert "'classification', 'data-quality'" in str(caught.value)


def test_an_import_of_a_missing_file_names_it(tmp_path: Path) -> None:
    files = shapes_root(tmp_path, {"root": header("root", imports=("gone",), groups=("g",))})
    with pytest.raises(DataFileError, match=r"root\.ttl imports <.*/shapes/gone>") as caught:
        files.shape_group("g")
    assert f"{tmp_path / 'shapes' / 'gone.ttl'} does not exist" in str(caught.value)


def test_pedall_check_reports_a_group_with_a_missing_import(tmp_path: Path) -> None:
    shutil.copytree(DataFiles.default().folder("shapes"), tmp_path / "shapes")
    (tmp_path / "shapes" / "risk-conditions.ttl").unlink()
    assert group_failures(DataFiles.default()) == []
    [failure] = group_failures(DataFiles(tmp_path))
    assert failure.check == "groups"
    assert "imports <https://w3id.org/pedall/shapes/risk-conditions>" in failure.problem
    assert "risk-conditions.ttl does not exist" in failure.problem


@pytest.mark.parametrize(
    "text",
    [
        # not first: the header after another statement, as rdflib's longturtle writes it
        PREFIXES + 'pshape:A a pshape:B .\npshape:x pedall:shapeGroup "g" ; a owl:Ontology ;'
        " owl:imports pshape:y , pshape:z .\n",
        # first, in the other prefix syntax, on one line, with comments and a nested node
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .  # the OWL namespace\n"
        "@prefix pedall: <https://w3id.org/pedall/> .\n"
        "@prefix p: <https://w3id.org/pedall/shapes/> .\n"
        "# the header\np:x a owl:Ontology ; p:note [ p:a ( 1 2.5 ) ] ;"
        ' pedall:shapeGroup "g" ; owl:imports p:y, <https://w3id.org/pedall/shapes/z> ;\n.\n'
        "p:y a p:Thing .\n",
        # first, with an escaped quote the small reader leaves to rdflib
        PREFIXES + "pshape:x a owl:Ontology ; owl:imports pshape:y , pshape:z ;"
        ' pedall:shapeGroup "g" ; pedall:note "say \\"hi\\"" .\n',
    ],
    ids=["not-first", "other-syntax", "escapes"],
)
def test_a_header_reads_the_same_however_it_is_written(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.ttl"
    path.write_text(text, encoding="utf-8")
    read = read_header(path)
    assert (read.iri, sorted(read.imports), read.groups) == (
        PSHAPE + "x",
        [PSHAPE + "y", PSHAPE + "z"],
        ("g",),
    )


def test_reading_the_groups_reads_only_the_headers() -> None:
    # The canonical headers are read without rdflib, whose parser would cost about a
    # millisecond a file at the start of every command that classifies or validates.
    script = (
        "import sys; from pedall.knowledge.data_files import DataFiles; "
        "files = DataFiles.default(); [files.shape_group(g) for g in files.shape_groups()]; "
        "print('rdflib' in sys.modules)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == "False"


@pytest.fixture(scope="module")
def extra_shapes_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the data files with a toy scheme, whose rules are a new shapes file that
    joins the classification group by its header."""
    root = copy_data_files(tmp_path_factory.mktemp("extra-shapes"))
    (root / "ontology" / "toy-scheme.ttl").write_text(TOY_SCHEME, encoding="utf-8")
    toy_header = header("toy-rules", imports=("risk-conditions",), groups=("classification",))
    (root / "shapes" / "toy-rules.ttl").write_text(toy_header + TOY_RULE, encoding="utf-8")
    return root


def test_a_new_shapes_file_joins_its_group_by_its_header(extra_shapes_root: Path) -> None:
    files = DataFiles(extra_shapes_root)
    assert names(files.shape_group("classification"))[-1] == "toy-rules.ttl"
    assert "toy-rules.ttl" not in names(files.shape_group("data-quality"))


@pytest.fixture(scope="module")
def extra_shapes_kb(extra_shapes_root: Path) -> KnowledgeBase:
    return KnowledgeBase.load(extra_shapes_root)


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_both_engines_load_a_new_shapes_file_of_the_group(
    extra_shapes_kb: KnowledgeBase, engine: str
) -> None:
    outcome = classify_input(extra_shapes_kb, TWO_PATIENTS, "text/csv", engine=engine)
    assert outcome.errors == []
    assert [r.as_dict()["toy_group"] for r in outcome.results] == ["older", "younger"]
