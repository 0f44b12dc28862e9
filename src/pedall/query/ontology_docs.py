"""HTML documentation of the ontology, rendered by pyLODE, whole in one offline page.

What is documented: the asserted triples of every ontology module (``ontology/*.ttl``,
merged as ``KnowledgeBase.graph`` merges them) under the one ontology IRI. Not the OWL RL
closure, which would list every class as a subclass of itself and of ``owl:Thing``; the
headers of the modules (an ``owl:Ontology`` other than ``ONTOLOGY_IRI``) are left out, so
the page's metadata is the ontology's. pyLODE's OntPub profile documents classes and
properties; the individuals (criteria, statements, figures) have their term pages.

The page loads nothing: pyLODE writes its stylesheet inline, its icons as ``data:`` URLs
and no script but the JSON-LD data block; ``render_ontology_docs`` refuses a page that
would fetch a stylesheet, script, font or image (a future pyLODE might link one). The
inline stylesheet's CSP hash (``style_sources``) lets a strict policy allow it alone.

>>> docs = render_ontology_docs(KnowledgeBase.load())  # doctest: +SKIP
>>> docs.write(Path("site"))  # doctest: +SKIP
PosixPath('site/index.html')
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from rdflib import OWL, RDF, Graph, URIRef

from pedall import RESEARCH_NOTICE
from pedall.atomic_files import write_atomically
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import ONTOLOGY_IRI

INDEX_NAME = "index.html"
PYLODE_INSTALL = "pip install 'pedall[docs]'"
_STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
# url(...) and @import in CSS that name another host.
_CSS_URL = re.compile(
    r"""url\(\s*['"]?\s*((?:https?:)?//[^'")\s]+)|@import\s+['"]?((?:https?:)?//[^'";\s]+)""",
    re.IGNORECASE,
)
# Elements whose attribute makes a browser fetch what it names (links in <a> do not).
_FETCHING_ATTRIBUTES = {
    "link": "href",
    "script": "src",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "track": "src",
    "audio": "src",
    "video": "src",
    "embed": "src",
    "input": "src",
    "object": "data",
}


@dataclass(frozen=True)
class OntologyDocs:
    """The rendered documentation: one HTML page."""

    html: str

    @property
    def style_sources(self) -> tuple[str, ...]:
        """The CSP sources (``'sha256-...'``) of the page's inline stylesheets."""
        return tuple(
            "'sha256-"
            + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
            + "'"
            for css in _STYLE_ELEMENT.findall(self.html)
        )

    def write(self, folder: Path) -> Path:
        """Write the page to ``folder/index.html`` (the folder is created), whole or not at
        all; a new file gets 0666 less the umask, a replaced one keeps its mode."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / INDEX_NAME
        write_atomically(self.html.encode("utf-8"), path, private=False)
        return path


def documented_graph(knowledge: KnowledgeBase) -> Graph:
    """A copy of the asserted ontology with only the ontology IRI as ``owl:Ontology``
    (pyLODE adds triples to the graph it is given, so it never gets the shared one)."""
    graph = Graph()
    for prefix, namespace in knowledge.graph.namespaces():
        graph.bind(prefix, namespace, override=True)
    graph += knowledge.graph
    for header in set(graph.subjects(RDF.type, OWL.Ontology)) - {URIRef(ONTOLOGY_IRI)}:
        graph.remove((header, None, None))
    return graph


def external_assets(page: str) -> list[str]:
    """The URLs on another host (``http://``, ``https://``, ``//``) that ``page`` would
    fetch to show itself: stylesheets, scripts, fonts, images, frames, CSS imports."""
    finder = _AssetFinder()
    finder.feed(page)
    finder.close()
    for css in _STYLE_ELEMENT.findall(page):
        finder.found.extend(url for match in _CSS_URL.findall(css) for url in match if url)
    return finder.found


@contextmanager
def _event_loop_closed_after() -> Iterator[None]:
    """An event loop for this thread while pyLODE runs, closed after.

    pyLODE builds its page with dominate, which asks ``asyncio.get_event_loop()`` for every
    tag; outside a running loop that makes a loop and leaves it set on the thread, never
    closed, so whoever next sets the thread's loop (``asyncio.run``) drops it and the
    garbage collector warns of an unclosed loop and its sockets, at some later moment. In
    a running loop (none in pedall's callers) nothing is changed.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            yield
        finally:
            asyncio.set_event_loop(None)
            loop.close()
        return
    yield


def render_ontology_docs(knowledge: KnowledgeBase) -> OntologyDocs:
    """The documentation of ``knowledge``'s ontology (a few seconds: pyLODE walks the graph).

    Raises ``ModuleNotFoundError`` (with how to install it) when pyLODE is missing, and
    ``RuntimeError`` if pyLODE's page would fetch anything from another host.
    """
    ontology_document = _ontology_document_class()
    with warnings.catch_warnings(), _event_loop_closed_after():
        # pyLODE reads its stylesheet with open(...).read() and leaves closing it to the
        # garbage collector, which warns; the file is closed all the same.
        warnings.simplefilter("ignore", ResourceWarning)
        page = ontology_document(documented_graph(knowledge)).make_html()
    assert isinstance(page, str)
    page = page.replace("<html>", '<html lang="en">', 1)
    notice = f'<p id="notice"><strong>{escape(RESEARCH_NOTICE)}</strong></p>'
    page = page.replace('<div id="content">', f'<div id="content">\n{notice}', 1)
    fetched = external_assets(page)
    if fetched:
        raise RuntimeError(f"pyLODE's page would fetch from other hosts: {', '.join(fetched)}")
    return OntologyDocs(page)


def _ontology_document_class() -> Any:
    """pyLODE's OntPub, imported on first use. Importing pyLODE calls
    ``logging.basicConfig(level=DEBUG)`` (its supermodel loader), which would turn on
    every library's debug log in this process; the root logger is put back as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from pylode.profiles.ontpub import OntPub
    except ModuleNotFoundError as error:
        message = f"HTML documentation needs pyLODE (module {error.name} is missing): "
        raise ModuleNotFoundError(message + PYLODE_INSTALL, name=error.name) from error
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return OntPub


class _AssetFinder(HTMLParser):
    """Collects the external URLs of fetching attributes and of inline ``style``s."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        fetching = _FETCHING_ATTRIBUTES.get(tag)
        urls = [values.get(fetching, "")] if fetching else []
        urls += [part.split()[0] for part in values.get("srcset", "").split(",") if part.strip()]
        urls += [url for match in _CSS_URL.findall(values.get("style", "")) for url in match]
        self.found.extend(url for url in urls if _is_external(url))


def _is_external(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://", "//"))
