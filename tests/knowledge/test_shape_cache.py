"""The compiled-shapes cache: a second process reads the compiled shapes instead of parsing
and compiling the shapes files; what it reads is what compiling gives; a damaged or stale
file, or no cache, means compiling again; the JSON keeps every value's kind."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from patient_rows import COMPLETE_PATIENT
from pedall.api import classify_input, validate_input
from pedall.classify.spec import CLASSIFICATION_SHAPES, EngineSpec
from pedall.knowledge import shape_cache
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.cache import ClosureCache
from pedall.knowledge.data_files import DataFiles
from pedall.knowledge.turtle import parse_turtle_files
from pedall.namespaces import PEDALL
from pedall.shacl import shape_codec
from pedall.shacl.compiler import ShapeCompiler
from pedall.validate.checker import DataQualityChecker

GROUPS = (CLASSIFICATION_SHAPES, "data-quality")
PATIENT = str(PEDALL.Patient)


def knowledge_with_cache(knowledge_base: KnowledgeBase, folder: Path) -> KnowledgeBase:
    """A knowledge base of ``knowledge_base``'s files over a cache folder of its own (the
    closure copied in, so nothing is inferred again)."""
    cache = ClosureCache(folder)
    cache.write(cache.key(knowledge_base.files), knowledge_base.graph, knowledge_base.inferred)
    return KnowledgeBase(knowledge_base.files, cache)


def refuse_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(paths: list[Path]) -> Graph:
        raise AssertionError(f"the shapes were parsed: {paths}")

    monkeypatch.setattr(shape_cache, "parse_turtle_files", refuse)


BLANK_NODE = re.compile(r"'n[0-9a-f]{32}b[0-9]+'")  # rdflib's labels: new in each parse


def compiled(kb: KnowledgeBase) -> tuple[str, str]:
    """What the engines and the checker were given, written out (values' types shown; the
    labels of blank-node shapes, which differ from one parse to the next, as one)."""
    spec = EngineSpec.from_knowledge(kb)
    checks = DataQualityChecker.from_knowledge(kb).checks
    engines = repr((spec.rules, sorted(spec.conditions.items()), sorted(spec.domains.items())))
    quality = repr([(c.shape, c.path, c.message, c.severity, c.reads, c.cuts) for c in checks])
    return BLANK_NODE.sub("_:b", engines), BLANK_NODE.sub("_:b", quality)


def test_a_second_process_reads_the_compiled_shapes_not_the_files(
    knowledge_base: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = knowledge_with_cache(knowledge_base, tmp_path / "cache")
    written = compiled(first)
    names = sorted(p.name for p in (tmp_path / "cache").glob("compiled-shapes-*.json"))
    assert [n.rsplit("-", 1)[0] for n in names] == [
        "compiled-shapes-classification",
        "compiled-shapes-data-quality",
    ]
    answers = classified_and_checked(first)
    refuse_parsing(monkeypatch)
    second = KnowledgeBase(knowledge_base.files, ClosureCache(tmp_path / "cache"))
    assert compiled(second) == written
    assert classified_and_checked(second) == answers  # neither needs the shapes graph


def classified_and_checked(kb: KnowledgeBase) -> tuple[object, object]:
    """Two patients (one complete, one with a WBC too high and its lesions unknown)
    classified and checked by the fast engine and the compiled checker."""
    header = ",".join(["patient_id", *COMPLETE_PATIENT])
    unknown = {**COMPLETE_PATIENT, "wbc_per_ul": "9000000", "lesions": "", "age_years": ""}
    rows = [",".join(["P1", *COMPLETE_PATIENT.values()]), ",".join(["P2", *unknown.values()])]
    payload = "\n".join([header, *rows, ""]).encode()
    classified = classify_input(kb, payload, "text/csv")
    issues = validate_input(kb, payload, "text/csv").issues
    return classified.as_json(), [repr(i) for i in issues]


def test_the_cached_shapes_are_what_compiling_gives(knowledge_base: KnowledgeBase) -> None:
    uncached = KnowledgeBase(knowledge_base.files, None)
    assert compiled(uncached) == compiled(knowledge_base)


def test_the_reference_engine_still_gets_the_shapes_graph(
    knowledge_base: KnowledgeBase, tmp_path: Path
) -> None:
    kb = knowledge_with_cache(knowledge_base, tmp_path / "cache")
    compiled(kb)
    spec = EngineSpec.from_knowledge(KnowledgeBase(knowledge_base.files, kb.cache))
    checker = DataQualityChecker.from_knowledge(KnowledgeBase(knowledge_base.files, kb.cache))
    for group, graph in ((CLASSIFICATION_SHAPES, spec.shapes), ("data-quality", checker.shapes)):
        files = knowledge_base.files.shape_group(group)
        assert isomorphic(graph, parse_turtle_files(files))


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text.replace('"severity"', '"sevxrity"', 1),  # the body's hash fails
        lambda text: text.split("\n", 1)[1],  # no format line
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: "\n".join(text.split("\n")[:3]) + "\n{}",  # a body that is not a table
    ],
)
def test_a_damaged_cache_file_is_compiled_again_and_rewritten(
    knowledge_base: KnowledgeBase, tmp_path: Path, damage: object
) -> None:
    kb = knowledge_with_cache(knowledge_base, tmp_path / "cache")
    written = compiled(kb)
    for path in (tmp_path / "cache").glob("compiled-shapes-*.json"):
        assert callable(damage)
        path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    again = KnowledgeBase(knowledge_base.files, kb.cache)
    assert compiled(again) == written
    for group in GROUPS:
        table = again.shape_group(group).cache_path
        assert table is not None
        body = table.read_text(encoding="utf-8").split("\n", 3)[3]
        assert shape_codec.loads(body).node_shapes or shape_codec.loads(body).targeting


def test_a_changed_shapes_file_is_compiled_again(
    knowledge_base: KnowledgeBase, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    for kind in ("ontology", "shapes", "queries"):
        shutil.copytree(knowledge_base.files.folder(kind), root / kind)
    files = DataFiles(root)
    cache = ClosureCache(tmp_path / "cache")
    cache.write(cache.key(files), knowledge_base.graph, knowledge_base.inferred)
    before = DataQualityChecker.from_knowledge(KnowledgeBase(files, cache)).checks
    shapes = root / "shapes" / "patient-data.ttl"
    text = shapes.read_text(encoding="utf-8")
    assert text.count("sh:maxExclusive 30 ;") == 1
    shapes.write_text(text.replace("sh:maxExclusive 30 ;", "sh:maxExclusive 20 ;"), "utf-8")
    after = DataQualityChecker.from_knowledge(KnowledgeBase(files, cache)).checks
    assert [c.cuts for c in before] != [c.cuts for c in after]
    assert any(c.cuts and 20.0 in c.cuts for c in after)
    assert len(list((tmp_path / "cache").glob("compiled-shapes-data-quality-*.json"))) == 2


def test_without_a_cache_nothing_is_written(knowledge_base: KnowledgeBase, tmp_path: Path) -> None:
    kb = KnowledgeBase(knowledge_base.files, None)
    group = kb.shape_group("data-quality")
    assert group.cache_path is None
    assert group.node_shapes_targeting(PATIENT)
    group.save()
    assert not list(tmp_path.iterdir())


def test_an_unwritable_cache_folder_is_left_alone(
    knowledge_base: KnowledgeBase, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    kb = KnowledgeBase(knowledge_base.files, ClosureCache(blocker / "cache"))
    group = kb.shape_group("data-quality")
    assert group.node_shapes_targeting(PATIENT)
    group.save()  # no error: the cache is an optimisation
    assert blocker.read_text(encoding="utf-8") == ""


def test_the_json_keeps_each_values_kind_and_shared_shapes(
    knowledge_base: KnowledgeBase,
) -> None:
    compiler = ShapeCompiler(
        parse_turtle_files(knowledge_base.files.shape_group(CLASSIFICATION_SHAPES))
    )
    table = shape_codec.ShapeTable(
        triple_rules={PATIENT: tuple(compiler.triple_rules(PATIENT))},
        targeting={PATIENT: tuple(compiler.node_shapes_targeting(PATIENT))},
    )
    read = shape_codec.loads(shape_codec.dumps(table))
    assert repr(read) == repr(table)  # URIRef and str, 30 and 30.0, True and 1 kept apart
    assert shape_codec.dumps(read) == shape_codec.dumps(table)
    rules = read.triple_rules[PATIENT]
    conditions = [c for r in rules for c in r.conditions]
    shared = {c.iri for c in conditions if [d.iri for d in conditions].count(c.iri) > 1}
    for iri in shared:  # a condition two rules share is one object again
        assert len({id(c) for c in conditions if c.iri == iri}) == 1


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"shapes": [], "node_shapes": {"x": 0}, "triple_rules": {}, "targeting": {}}',
        '{"shapes": [], "node_shapes": {}, "triple_rules": {"c": [{"order": "1"}]}, '
        '"targeting": {}}',
    ],
)
def test_the_codec_refuses_what_it_did_not_write(text: str) -> None:
    with pytest.raises((ValueError, KeyError, TypeError)):
        shape_codec.loads(text)
