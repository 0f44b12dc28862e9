"""The pages for a person: the start page, the risk calculator, the query page and the
API documentation. Every asset they use is served by the service (``/static``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pedall import RESEARCH_NOTICE, __version__
from pedall.namespaces import PREFIXES
from pedall.patients.model import ID_COLUMN, LESIONS_COLUMN
from pedall.query.export import EXPORT_FORMATS
from pedall.service.calculator_form import ALL_PENDING, PENDING_COLUMN, calculator_form
from pedall.service.criteria_in_words import calculator_words
from pedall.service.state import service_state

# The library query whose rows the calculator draws as its survival chart.
OUTCOME_CHART_QUERY = "efs-by-risk-group"


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
            "form": calculator_form(state.knowledge),
            "words": calculator_words(state.knowledge),
            "id_column": ID_COLUMN,
            "lesions_column": LESIONS_COLUMN,
            "pending_column": PENDING_COLUMN,
            "all_pending": ALL_PENDING,
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
