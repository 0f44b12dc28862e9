"""``pedall export --format sssom``: the SKOS mappings as an SSSOM/TSV mapping set that the
real ``sssom validate`` (the sssom package's CLI, from the same environment) accepts."""

from __future__ import annotations

import csv
import io
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDFS

from pedall.cli.main import main
from pedall.errors import DataFileError
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import DataFiles
from pedall.namespaces import ONTOLOGY_IRI
from pedall.query.sssom_tsv import COLUMNS, MAPPING_PREDICATES, mapping_set

SSSOM = Path(sys.executable).with_name("sssom")
CHECKOUT = Path(__file__).resolve().parents[2]

MINI_MAPPINGS = """
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix pedall: <https://w3id.org/pedall/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
pedall:ontology a owl:Ontology .
pedall:Unlabelled skos:broadMatch obo:MONDO_0004967 .
obo:MONDO_0004967 rdfs:label "acute lymphoblastic leukemia"@en .
"""


class NetworkUsed(OSError):
    pass


def refuse(*args: object, **kwargs: object) -> None:
    raise NetworkUsed(f"network used: {args}")


def read_sssom(text: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The metadata block and the rows of an SSSOM/TSV text."""
    lines = text.splitlines(keepends=True)
    header = "".join(line[1:] for line in lines if line.startswith("#"))
    table = "".join(line for line in lines if not line.startswith("#"))
    return yaml.safe_load(header), list(csv.DictReader(io.StringIO(table), delimiter="\t"))


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SSSOM), "validate", str(path)], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """``pedall export --format sssom -o FILE`` on the shipped data, with every outbound
    connection and name lookup refused."""
    path = tmp_path_factory.mktemp("sssom") / "pedall.sssom.tsv"
    with pytest.MonkeyPatch.context() as patch:
        for name in ("connect", "connect_ex"):
            patch.setattr(socket.socket, name, refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        patch.setattr(socket, "create_connection", refuse)
        result = CliRunner().invoke(main, ["export", "--format", "sssom", "-o", str(path)])
    return result, path


@pytest.mark.slow  # `sssom validate` (linkml)
def test_sssom_validate_accepts_the_export(exported: tuple[Result, Path]) -> None:
    result, path = exported
    assert result.exit_code == 0, result.output
    assert "mappings to" in result.stderr
    validation = validate(path)
    assert validation.returncode == 0, validation.stdout + validation.stderr


@pytest.mark.slow  # `sssom validate` (linkml)
def test_sssom_validate_rejects_a_broken_copy(
    exported: tuple[Result, Path], tmp_path: Path
) -> None:
    # the validator has teeth: an unknown justification is refused
    broken = tmp_path / "broken.sssom.tsv"
    text = exported[1].read_text(encoding="utf-8")
    broken.write_text(text.replace("semapv:ManualMappingCuration", "semapv:Guess"), "utf-8")
    assert validate(broken).returncode != 0


def test_one_row_per_mapping_of_the_graph(
    exported: tuple[Result, Path], knowledge_base: KnowledgeBase
) -> None:
    metadata, rows = read_sssom(exported[1].read_text(encoding="utf-8"))
    curie_map = metadata["curie_map"]

    def expand(curie: str) -> URIRef:
        prefix, local = curie.split(":", 1)
        return URIRef(curie_map[prefix] + local)

    graph = knowledge_base.graph
    in_graph = {(s, p, o) for p in MAPPING_PREDICATES for s, o in graph.subject_objects(p)}
    in_file = [
        (expand(r["subject_id"]), expand(r["predicate_id"]), expand(r["object_id"])) for r in rows
    ]
    assert len(in_file) == len(in_graph) > 40
    assert set(in_file) == in_graph
    assert list(rows[0]) == list(COLUMNS)
    assert {prefix for row in rows for prefix in (row["object_id"].split(":")[0],)} >= {
        "NCIT",
        "MONDO",
        "HGNC",
        "CHEBI",
    }
    assert set(curie_map) == {
        curie.split(":")[0]
        for row in rows
        for curie in (row["subject_id"], row["predicate_id"], row["object_id"])
    } | {"semapv"}


def test_rows_carry_labels_justification_and_where_each_id_was_checked(
    exported: tuple[Result, Path], knowledge_base: KnowledgeBase
) -> None:
    _, rows = read_sssom(exported[1].read_text(encoding="utf-8"))
    by_subject = {(row["subject_id"], row["object_id"]): row for row in rows}
    gene = by_subject[("pedall:gene-ABL1", "HGNC:76")]
    assert (gene["subject_label"], gene["predicate_id"]) == ("ABL1", "skos:exactMatch")
    assert by_subject[("pedall:BCR-ABL1", "MONDO:0035940")]["predicate_id"] == "skos:relatedMatch"
    assert by_subject[("pedall:BCR-ABL1", "MONDO:0035940")]["subject_label"] == "BCR::ABL1"
    assert {row["mapping_justification"] for row in rows} == {"semapv:ManualMappingCuration"}
    assert all(row["object_label"] == "" for row in rows)  # the graph names no external label
    # each row points to the log of checks, and the log has that section
    log = (CHECKOUT / "ontology" / "README.md").read_text(encoding="utf-8")
    assert "## Identifiers: what was checked, and where" in log
    for row in rows:
        prefix = row["object_id"].split(":")[0]
        assert row["comment"].startswith(f"{prefix} identifier checked")
        assert "ontology/README.md, section Identifiers" in row["comment"]


def test_metadata_comes_from_the_ontology_header(
    exported: tuple[Result, Path], knowledge_base: KnowledgeBase
) -> None:
    metadata, _ = read_sssom(exported[1].read_text(encoding="utf-8"))
    ontology = URIRef(ONTOLOGY_IRI)
    graph = knowledge_base.graph
    assert metadata["mapping_set_id"] == f"{ONTOLOGY_IRI}/mappings.sssom.tsv"
    assert metadata["license"] == str(graph.value(ontology, DCTERMS.license))
    version = str(graph.value(ontology, OWL.versionInfo))
    assert metadata["mapping_set_version"] == version == metadata["publication_date"]
    assert metadata["creator_label"] == ["pedall developers"]
    assert "not for clinical decision-making" in metadata["comment"]
    assert "mapping_date" not in metadata  # not recorded in the graph, so not made up


@pytest.mark.slow  # `sssom validate` (linkml)
def test_a_graph_without_header_or_labels_still_gives_a_valid_set(tmp_path: Path) -> None:
    graph = Graph().parse(data=MINI_MAPPINGS.replace("pedall:ontology a owl:Ontology .", ""))
    mappings = mapping_set(graph)
    metadata, rows = read_sssom(mappings.tsv())
    assert "license" not in metadata and "mapping_set_version" not in metadata
    (row,) = rows
    assert (row["subject_id"], row["subject_label"]) == ("pedall:Unlabelled", "")
    assert row["object_label"] == "acute lymphoblastic leukemia"  # known, so written
    path = tmp_path / "mini.sssom.tsv"
    path.write_text(mappings.tsv(), encoding="utf-8")
    validation = validate(path)
    assert validation.returncode == 0, validation.stdout + validation.stderr


def test_a_mapping_to_an_iri_without_a_known_prefix_is_named() -> None:
    graph = Graph().parse(
        data=MINI_MAPPINGS + "pedall:Unlabelled skos:exactMatch <http://example.org/x/1> .\n"
    )
    with pytest.raises(DataFileError, match=r"<http://example.org/x/1> is not an IRI"):
        mapping_set(graph)
    literal = Graph().parse(data=MINI_MAPPINGS + 'pedall:Unlabelled skos:closeMatch "ALL" .\n')
    with pytest.raises(DataFileError, match="is not an IRI with a known prefix"):
        mapping_set(literal)


def test_cli_reports_a_bad_mapping_and_refuses_inferred(
    make_data_root: Callable[[dict[str, str]], Path],
) -> None:
    root = make_data_root(
        {"mini.ttl": MINI_MAPPINGS + "pedall:Unlabelled skos:exactMatch <urn:x:1> .\n"}
    )
    assert DataFiles(root).ontology_files()
    bad = CliRunner().invoke(main, ["export", "--format", "sssom", "--data-root", str(root)])
    assert bad.exit_code == 1 and "<urn:x:1> is not an IRI" in bad.output
    inferred = CliRunner().invoke(main, ["export", "--format", "sssom", "--inferred"])
    assert inferred.exit_code == 2 and "--inferred does not apply" in inferred.output


def test_labels_are_one_line() -> None:
    graph = Graph().parse(data=MINI_MAPPINGS)
    graph.add(
        (URIRef("https://w3id.org/pedall/Unlabelled"), RDFS.label, Literal("two\tparts\nhere"))
    )
    (row,) = read_sssom(mapping_set(graph).tsv())[1]
    assert row["subject_label"] == "two parts here"
