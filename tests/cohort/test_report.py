"""The cohort report (``pedall report``; ``POST /report`` in ``test_router_report.py``): one
HTML file with no external reference, inline SVG charts with a text alternative, the patient
table with criteria and sources, the research-use notice, and the 10-year EFS of Fig. 1 read
from the graph; the same report from Parquet results (a file, or a folder as Spark writes);
and in headless Chromium, offline at desktop and phone width, with every request on the file
itself."""

from __future__ import annotations

import re
import shutil
import stat
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser

from pedall import RESEARCH_NOTICE
from pedall.api import classify_input
from pedall.classify.schemes import Schemes, read_schemes
from pedall.cli.main import main
from pedall.cohort.report import cohort_report, outcome_figures
from pedall.cohort.report_data import ReportContent, is_results_file
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import DATA_KINDS, DataFiles

pytestmark = pytest.mark.slow  # charts drawn with matplotlib

pq = pytest.importorskip("pyarrow.parquet")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patients.csv"
# Tags that would fetch what an attribute names.
FETCHING = {
    "script": "src",
    "img": "src",
    "link": "href",
    "iframe": "src",
    "source": "src",
    "audio": "src",
    "video": "src",
    "embed": "src",
    "object": "data",
    "use": "href",
    "image": "href",
    "input": "src",
    "track": "src",
    "font-face-uri": "href",
}


class Page(HTMLParser):
    """What the tests look for in a report: every tag with its attributes, and the text of
    each element by id."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag not in ("br", "meta", "path", "use", "rect", "line", "circle"):
            self._open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text_by_id.setdefault(attributes["id"], "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            opened, _ = self._open.pop()
            if opened == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attributes for name, attributes in self.tags if name == tag]


def report_of(kb: KnowledgeBase, payload: bytes, source: str = "cohort.csv") -> str:
    content = ReportContent.for_schemes(read_schemes(kb.graph))
    content.add_classified(source, classify_input(kb, payload, "text/csv", source=source))
    return cohort_report(kb, content)


@pytest.fixture(scope="module")
def example_report(knowledge_base: KnowledgeBase) -> str:
    return report_of(knowledge_base, EXAMPLES.read_bytes(), "examples/patients.csv")


def assert_self_contained(html: str) -> None:
    page = Page(html)
    for tag, attributes in page.tags:
        fetched = attributes.get(FETCHING.get(tag, ""), "") or attributes.get("xlink:href", "")
        assert not re.match(r"\s*(https?:)?//", fetched), (tag, attributes)
        assert not fetched or fetched.startswith("#") or tag == "a", (tag, attributes)
    assert page.all("script") == [] and page.all("link") == [] and page.all("img") == []
    assert "@import" not in html
    assert re.findall(r"url\(\s*['\"]?(?!#)", html) == [], "every url() points into the page"
    assert "<!DOCTYPE svg" not in html and ".dtd" not in html


def test_the_report_is_one_file_with_no_external_reference(example_report: str) -> None:
    assert_self_contained(example_report)
    page = Page(example_report)
    (policy,) = [m for m in page.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in policy["content"]
    ids = [attributes["id"] for _, attributes in page.tags if "id" in attributes]
    assert len(ids) == len(set(ids)), "several inline charts share no id"


def test_the_charts_are_inline_svg_with_a_text_alternative(example_report: str) -> None:
    page = Page(example_report)
    charts = [svg for svg in page.all("svg") if svg.get("role") == "img"]
    ids = {"chart-risk", "chart-nci-rome", "chart-efs", "chart-issues"}
    assert {svg["id"] for svg in charts} >= ids
    for svg in charts:
        assert svg["width"] == "100%" and svg["viewbox"].startswith("0 0 ")
        title, desc = svg["aria-labelledby"].split()
        assert page.text_by_id[title].strip() and page.text_by_id[desc].strip()
    assert "very-high 5" in page.text_by_id["chart-risk-desc"]


def test_the_patient_table_has_every_patient_with_criteria_and_sources(
    example_report: str, knowledge_base: KnowledgeBase
) -> None:
    outcome = classify_input(knowledge_base, EXAMPLES.read_bytes(), "text/csv")
    page = Page(example_report)
    table = page.text_by_id["patient-table"]
    for result in outcome.results:
        assert result.patient_id in table
        for criterion in result.outcome.criteria:
            assert criterion.label in table
    sources = {a["href"] for a in page.all("a")}
    assert {s for r in outcome.results for c in r.outcome.criteria for s in c.sources} <= sources
    assert "P13" not in table  # the row with an error is not classified ...
    assert "age_years" in page.text_by_id["issues-table"]  # ... its error is reported
    assert page.text_by_id["research-notice"] == RESEARCH_NOTICE


def test_the_efs_figures_come_from_the_graph(tmp_path: Path, example_report: str) -> None:
    source = DataFiles.default().root
    for kind in DATA_KINDS:
        shutil.copytree(source / kind, tmp_path / kind)
    outcomes = tmp_path / "ontology" / "outcomes.ttl"
    text = outcomes.read_text(encoding="utf-8")
    assert text.count("pedall:value 91.2 ;") == 1
    outcomes.write_text(text.replace("pedall:value 91.2 ;", "pedall:value 77.7 ;"), "utf-8")
    changed = KnowledgeBase.load(tmp_path)
    assert outcome_figures(changed)["low"].efs_percent == 77.7
    html = report_of(changed, EXAMPLES.read_bytes())
    page = Page(html)
    efs = [td["data-efs"] for td in page.all("td") if td.get("data-efs")]
    assert efs == ["77.7", "98.1", "81.5", "59.4"]  # low changed, the others as in the graph
    assert "low 77.7 %" in page.text_by_id["chart-efs-desc"]
    assert 'data-efs="91.2"' in example_report and 'data-efs="77.7"' not in example_report


def test_patient_text_is_shown_as_written_never_run(knowledge_base: KnowledgeBase) -> None:
    table = b'patient_id,age_years,$x$ col\n"<script>alert(1)</script>",16,"a</td>"\n'
    html = report_of(knowledge_base, table)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert_self_contained(html)


def test_cli_report_writes_a_private_file_and_exits_1_on_errors(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(EXAMPLES), "-o", str(out)])
    assert result.exit_code == 1, result.output  # P13's age
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "patient-table" in out.read_text(encoding="utf-8")
    clean = tmp_path / "clean.csv"
    clean.write_text("patient_id,age_years\nA,16\n", encoding="utf-8")
    assert CliRunner().invoke(main, ["report", str(clean), "-o", str(out)]).exit_code == 0


def _summary_counts(html: str) -> dict[str, str]:
    page = Page(html)
    return {
        "totals": " ".join(page.text_by_id["totals"].split()),
        "risk": page.text_by_id["chart-risk-desc"],
        "nci": page.text_by_id["chart-nci-rome-desc"],
        "issues": page.text_by_id["issues-table"],
    }


def test_the_report_from_parquet_results_is_the_report_from_the_table(
    tmp_path: Path, schemes: Schemes
) -> None:
    results = tmp_path / "results.parquet"
    written = CliRunner().invoke(
        main, ["classify", str(EXAMPLES), "--format", "parquet", "-o", str(results)]
    )
    assert written.exit_code == 1, written.output
    assert is_results_file(results, schemes)
    from_table, from_results = tmp_path / "table.html", tmp_path / "results.html"
    assert CliRunner().invoke(main, ["report", str(EXAMPLES), "-o", str(from_table)]).exit_code == 1
    assert (
        CliRunner().invoke(main, ["report", str(results), "-o", str(from_results)]).exit_code == 1
    )
    table_html = from_table.read_text(encoding="utf-8")
    results_html = from_results.read_text(encoding="utf-8")
    assert _summary_counts(results_html) == _summary_counts(table_html)
    wheres = re.findall(r"results\.parquet, row (\d+)<", results_html)
    assert wheres == [str(n) for n in range(1, 13)]  # row 13 (P13) had an error
    assert_self_contained(results_html)


def test_a_folder_of_results_as_spark_writes_it(tmp_path: Path) -> None:
    results = tmp_path / "results.parquet"
    CliRunner().invoke(main, ["classify", str(EXAMPLES), "--format", "parquet", "-o", str(results)])
    whole = pq.read_table(results)
    folder = tmp_path / "spark-results.parquet"
    folder.mkdir()
    pq.write_table(whole.slice(0, 5), folder / "part-00000-a.snappy.parquet")
    pq.write_table(whole.slice(5), folder / "part-00001-a.snappy.parquet")
    (folder / "_SUCCESS").write_bytes(b"")
    (folder / ".part-00000-a.snappy.parquet.crc").write_bytes(b"crc")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(folder), "-o", str(out)])
    assert result.exit_code == 1, result.output
    page = Page(out.read_text(encoding="utf-8"))
    assert " ".join(page.text_by_id["totals"].split()).startswith("12 patients classified")


def test_a_patient_table_in_parquet_is_classified(tmp_path: Path, schemes: Schemes) -> None:
    import pyarrow as pa

    table = tmp_path / "patients.parquet"
    pq.write_table(pa.table({"patient_id": ["A", "B"], "age_years": ["16", "0.5"]}), table)
    assert not is_results_file(table, schemes)
    out = tmp_path / "report.html"
    assert CliRunner().invoke(main, ["report", str(table), "-o", str(out)]).exit_code == 0
    assert "2 patients classified" in " ".join(
        Page(out.read_text("utf-8")).text_by_id["totals"].split()
    )


def test_a_parquet_file_that_is_not_results_or_a_table_is_a_located_error(tmp_path: Path) -> None:
    fake = tmp_path / "results.parquet"
    fake.write_bytes(b"not parquet")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(fake), "-o", str(out)])
    assert result.exit_code == 1
    issues = Page(out.read_text("utf-8")).text_by_id["issues-table"]
    assert "(whole row or file)" in issues and "Parquet" in issues


# -- in headless Chromium -------------------------------------------------------------

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory, example_report: str) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(example_report, encoding="utf-8")
    return path


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_the_report_opens_offline_at_desktop_and_phone_width(
    browser: Browser, report_file: Path, width: int
) -> None:
    """Debian's Chromium, driven by Playwright (the ``browser`` fixture of conftest), with
    the network switched off."""
    context = browser.new_context(offline=True, viewport={"width": width, "height": 800})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report_file.as_uri())
    page.wait_for_load_state("load")
    charts = page.locator("svg[role='img']")
    assert charts.count() >= 4
    for index in range(charts.count()):
        chart = charts.nth(index)
        box = chart.bounding_box()
        assert box is not None and 0 < box["width"] <= width
        assert chart.evaluate("svg => svg.querySelector('title').textContent").strip()
    rows = page.locator("#patient-table tbody tr")
    assert rows.count() == 12
    assert "P01" in rows.first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    table_box = page.locator("#patients .table-scroll").bounding_box()
    assert table_box is not None and table_box["width"] <= width
    assert RESEARCH_NOTICE in page.inner_text("#research-notice")
    assert AXE.exists(), "axe-core is missing: run `make browser`"
    page.evaluate(AXE.read_text(encoding="utf-8"))  # by the test itself, not the page
    violations = page.evaluate(
        "async () => (await axe.run(document)).violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    assert [v for v in violations if v["impact"] in ("serious", "critical")] == []
    context.close()
    assert requests == [report_file.as_uri()], "every request stays on the file itself"
