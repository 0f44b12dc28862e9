"""What pedall compiles from one knowledge base: the patient model, the RDF patient fields,
both classification engines and the data-quality checker, built on first use and shared.

It sits above the knowledge layer, so ``KnowledgeBase`` never needs to know about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from threading import Lock
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from pedall.classify.fast_engine import FastEngine
from pedall.classify.schemes import Schemes, read_schemes
from pedall.classify.spec import EngineSpec
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.model import PatientModel
from pedall.patients.readers.rdf import RdfPatientFields
from pedall.validate.checker import DataQualityChecker

if TYPE_CHECKING:
    from pedall.classify.reference_engine import ReferenceEngine


@dataclass(eq=False)
class Toolkit:
    """What one knowledge base compiles to, built on first use and then shared."""

    kb: KnowledgeBase

    @cached_property
    def model(self) -> PatientModel:
        return PatientModel.from_knowledge(self.kb)

    @cached_property
    def rdf_fields(self) -> RdfPatientFields:
        return RdfPatientFields.from_knowledge(self.kb, self.model)

    @cached_property
    def schemes(self) -> Schemes:
        """The risk schemes in report order (cheap: no shape is compiled)."""
        return read_schemes(self.kb.graph)

    @cached_property
    def engine_spec(self) -> EngineSpec:
        return EngineSpec.from_knowledge(self.kb, self.model)

    @cached_property
    def fast_engine(self) -> FastEngine:
        return FastEngine(self.engine_spec)

    @cached_property
    def reference_engine(self) -> ReferenceEngine:
        # imported on first use: only the commands run with --engine reference need it
        from pedall.classify.reference_engine import ReferenceEngine

        return ReferenceEngine(self.engine_spec)

    @cached_property
    def data_quality(self) -> DataQualityChecker:
        return DataQualityChecker.from_knowledge(self.kb, self.model)


_TOOLKITS: WeakKeyDictionary[KnowledgeBase, Toolkit] = WeakKeyDictionary()
_TOOLKITS_LOCK = Lock()


def toolkit(kb: KnowledgeBase) -> Toolkit:
    """The shared toolkit of ``kb``: compiled once per knowledge base, and kept as long as
    the knowledge base is (the knowledge layer knows nothing of what is compiled from it)."""
    with _TOOLKITS_LOCK:
        tools = _TOOLKITS.get(kb)
        if tools is None:
            tools = _TOOLKITS[kb] = Toolkit(kb)
        return tools
