"""The pages for a person: the start page, the risk calculator, the query page and the
API documentation. Every asset they use is served by the service (``/static``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from rdflib import RDFS, SKOS, URIRef

from pedall import RESEARCH_NOTICE, __version__
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL, PREFIXES
from pedall.patients.model import ID_COLUMN, LESIONS_COLUMN, FieldKind
from pedall.query.export import EXPORT_FORMATS
from pedall.service.state import service_state
from pedall.toolkit import toolkit

# The library query whose rows the calculator draws as its survival chart.
OUTCOME_CHART_QUERY = "efs-by-risk-group"


@dataclass(frozen=True)
class FormField:
    """One input of the calculator: a column of the patient table."""

    column: str
    label: str
    help: str
    kind: str
    choices: list[tuple[str, str]] = field(default_factory=list)


def calculator_fields(knowledge: KnowledgeBase) -> list[FormField]:
    """The calculator's inputs, read from the patient model (the CSV contract as the
    ontology states it): one per column, lesions last as a list of choices."""
    model = toolkit(knowledge).model
    graph = knowledge.graph

    def text(iri: str, predicate: URIRef) -> str:
        value = graph.value(URIRef(iri), predicate)
        return "" if value is None else str(value)

    fields = []
    for patient_field in model.fields:
        choices = [
            (code, text(iri, RDFS.label) or code) for code, iri in patient_field.codes.items()
        ]
        fields.append(
            FormField(
                column=patient_field.column,
                label=text(patient_field.property, RDFS.label) or patient_field.column,
                help=text(patient_field.property, SKOS.definition),
                kind=patient_field.kind.value,
                choices=choices if patient_field.kind is FieldKind.CODED else [],
            )
        )
    # Lesion classes of the pedall namespace (not owl:Nothing), the root class left out.
    lesions = sorted(
        (
            (iri, label)
            for iri, label in model.lesions.display.items()
            if iri.startswith(str(PEDALL)) and iri != str(PEDALL.GeneticLesion)
        ),
        key=lambda item: item[1].lower(),
    )
    fields.append(
        FormField(
            column=LESIONS_COLUMN,
            label="Genetic lesions detected",
            help="",
            kind="lesions",
            choices=[(label, label) for _, label in lesions],
        )
    )
    return fields


def pages_router() -> APIRouter:
    """The routes of the pages."""
    router = APIRouter(include_in_schema=False)

    @router.get("/", name="home", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        state = service_state(request)
        context = {
            "notice": RESEARCH_NOTICE,
            "statistics": state.statistics,
            "formats": EXPORT_FORMATS,
            "version": __version__,
        }
        return state.templates.TemplateResponse(request, "index.html", context)

    @router.get("/calculator", name="calculator", response_class=HTMLResponse)
    def calculator(request: Request) -> HTMLResponse:
        state = service_state(request)
        chart_query = next(
            (query.text for query in state.library if query.name == OUTCOME_CHART_QUERY), ""
        )
        context = {
            "notice": RESEARCH_NOTICE,
            "fields": calculator_fields(state.knowledge),
            "id_column": ID_COLUMN,
            "chart_query": chart_query,
        }
        return state.templates.TemplateResponse(request, "calculator.html", context)

    @router.get("/query", name="query_page", response_class=HTMLResponse)
    def query_page(request: Request) -> HTMLResponse:
        state = service_state(request)
        context = {
            "notice": RESEARCH_NOTICE,
            "library": state.library,
            "timeout": state.settings.query_timeout,
            "prefixes": sorted(PREFIXES),
        }
        return state.templates.TemplateResponse(request, "query.html", context)

    @router.get("/docs", name="docs", response_class=HTMLResponse)
    def docs(request: Request) -> HTMLResponse:
        state = service_state(request)
        schema = request.app.openapi()
        operations = [
            (method.upper(), path, operation)
            for path, methods in schema.get("paths", {}).items()
            for method, operation in methods.items()
        ]
        context = {"notice": RESEARCH_NOTICE, "operations": operations, "info": schema["info"]}
        return state.templates.TemplateResponse(request, "docs.html", context)

    return router
