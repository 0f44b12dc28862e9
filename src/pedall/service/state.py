"""What the HTTP service shares between requests, kept in ``app.state.pedall``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from pedall.knowledge.base import KnowledgeBase
from pedall.query.export import GraphStatistics
from pedall.query.library import LibraryQuery
from pedall.service.graph_downloads import GraphDownloads
from pedall.service.query_workers import QueryWorkerPool
from pedall.service.settings import ServiceSettings
from pedall.service.term_views import TermViews
from pedall.service.upload_workers import UploadWorkerPool


@dataclass(eq=False)
class ServiceState:
    """The settings, the knowledge base (inference done), the query workers, the query
    library, the term views, the graph downloads, the page templates and the upload
    workers of one running service. It holds no patient data."""

    settings: ServiceSettings
    knowledge: KnowledgeBase
    query_pool: QueryWorkerPool
    statistics: GraphStatistics
    library: list[LibraryQuery]
    term_views: TermViews
    downloads: GraphDownloads
    templates: Jinja2Templates
    upload_pool: UploadWorkerPool


def service_state(request: Request) -> ServiceState:
    """The shared state of the service answering ``request``."""
    state: ServiceState = request.app.state.pedall
    return state
