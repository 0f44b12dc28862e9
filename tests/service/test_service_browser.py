"""The pages in headless Chromium (Debian's ``chromium``, driven by Playwright; the
``browser`` and ``page`` fixtures are in conftest.py): a person runs a library query, edits
one, searches a term; axe-core checks every page. The calculator's own tests are in
test_calculator_browser.py.

``make browser`` installs Chromium when it is missing; Playwright never downloads one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from pedall import RESEARCH_NOTICE

pytestmark = pytest.mark.browser


def test_query_page_runs_a_library_query(page: Page) -> None:
    page.goto("/query")
    page.click("#library button[data-query='efs-by-risk-group']")
    assert "efsPercent" in page.input_value("#query-text")
    page.click("#run-query")
    page.wait_for_selector("#result-table tr td")
    assert int(page.get_attribute("#query-status", "data-rows") or 0) > 0
    assert RESEARCH_NOTICE in page.inner_text("#research-notice")


def natural_order(text: str) -> list[tuple[int, str]]:
    """The order a person reads: numbers by value, letters without case."""
    return [
        (int(part), "") if part.isdigit() else (-1, part.lower())
        for part in re.split(r"(\d+)", text)
    ]


def test_query_editor_highlights_completes_and_runs_with_ctrl_enter(page: Page) -> None:
    page.goto("/query")
    assert page.locator("#query-highlight .tok-keyword").first.inner_text() == "SELECT"
    editor = page.locator("#query-text")
    editor.fill("")
    editor.type("SELECT ?s WHERE { ?s a sko")
    page.wait_for_selector("#query-completions li")
    assert "skos:" in page.inner_text("#query-completions")
    page.keyboard.press("Tab")
    assert page.input_value("#query-text").endswith("skos:")
    editor.fill("SELECT ?g ?label WHERE { ?g a pedall:Gene ; rdfs:label ?label }")
    editor.press("Control+Enter")
    page.wait_for_selector("#result-table tbody tr td")
    rows = int(page.get_attribute("#query-status", "data-rows") or 0)
    assert rows > 1
    assert page.inner_text("#row-count") == f"{rows} rows"
    # sortable: a click on a heading sorts the rows by it, a second click reverses them
    page.click("#result-table th:nth-child(2) button")
    labels = page.locator("#result-table tbody tr td:nth-child(2)").all_inner_texts()
    assert labels == sorted(labels, key=natural_order)  # MLLT3 before MLLT10
    page.click("#result-table th:nth-child(2) button")
    reverse = page.locator("#result-table tbody tr td:nth-child(2)").all_inner_texts()
    assert reverse == labels[::-1]
    # the link keeps the query: a new page opened on it runs the same query
    shared = page.url
    assert "#query=" in shared
    page.goto("/")
    page.goto(shared)
    page.wait_for_selector("#result-table tbody tr td")
    assert "pedall:Gene" in page.input_value("#query-text")


def test_query_editor_downloads_csv(page: Page) -> None:
    page.goto("/query")
    page.click("#library button[data-query='efs-by-risk-group']")
    page.click("#run-query")
    page.wait_for_selector("#download-csv:visible")
    with page.expect_download() as download_info:
        page.click("#download-csv")
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert "efsPercent" in text.splitlines()[0]
    assert len(text.splitlines()) > 1


def test_query_editor_shows_the_parser_error_at_its_line(page: Page) -> None:
    page.goto("/query")
    page.fill("#query-text", "SELECT ?x WHERE {\n  ?x a pedall:Gene\n  FILTER(\n}")
    page.click("#run-query")
    page.wait_for_selector("#query-error")
    message = page.inner_text("#query-error")
    assert message.startswith("400")
    assert "line" in message
    assert "done" not in page.inner_text("#query-status")
    assert page.locator("#query-highlight .error-line").count() == 1


def test_term_search_finds_a_synonym(page: Page) -> None:
    page.goto("/terms")
    page.fill("#term-search-q", "BCR-ABL")
    page.press("#term-search-q", "Enter")
    page.wait_for_selector("ul.search-hits a")
    first = page.locator("ul.search-hits a").first
    assert first.get_attribute("href") == "/id/BCR-ABL1"
    page.goto("/id/MLL")
    assert page.url.endswith("/id/KMT2A-rearrangement")
    assert page.locator("h1").inner_text().strip() != ""


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_PAGES = (
    "/",
    "/calculator",
    "/terms",
    "/id/BCR-ABL1",
    "/id/gene-BCR",
    "/id/imatinib",
    "/search?q=MLL",
    "/id/NoSuchLesion",
    "/query",
    "/docs",
)


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("path", AXE_PAGES)
def test_pages_have_no_serious_accessibility_violation(page: Page, path: str, width: int) -> None:
    """axe-core (from npm, package.json; `make browser` installs it) is evaluated in the
    page by the test itself: the service never serves it. At desktop and phone width,
    and the page never scrolls sideways."""
    assert AXE.exists(), "axe-core is missing: run `make browser`"
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(path)
    if path != "/calculator":  # the calculator's width is checked by its own tests
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        "async () => (await axe.run(document)).violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def test_skip_link_and_notice_landmark(page: Page) -> None:
    page.goto("/terms")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.locator("aside[aria-label='Research notice'] #research-notice").count() == 1
