"""The risk calculator in headless Chromium, at desktop and phone width, as a clinician
fills it: a low-risk child, a T-ALL patient whose prephase response is not known yet, an
infant with KMT2A::AFF1, a patient whose genetics are pending, two sentinel fusions, a
WBC written with a thousands separator or in 10^9/L, a karyotype.

Each test reads the table row the page posted to /classify and asks the library API for
the same row, so the page is checked against the API's answer; the words it shows
(definitions, thresholds, NCI/Rome) are checked against the graph. The ``page`` fixture
(conftest.py) fails a test whose page requested anything from outside the service.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from rdflib import RDFS, SKOS, URIRef
from rdflib.namespace import SH

from pedall import RESEARCH_NOTICE
from pedall.api import classify_input
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL

pytestmark = pytest.mark.browser
WIDTHS = [1280, 390]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@dataclass(frozen=True)
class Patient:
    """What a person enters: field column -> value, lesion -> state, the WBC unit."""

    fields: dict[str, str]
    lesions: dict[str, str] = field(default_factory=dict)
    wbc_column: str | None = None
    genetics_pending: bool = False


COMPLETE_B = {
    "sex": "F",
    "age_years": "4",
    "wbc_per_ul": "12000",
    "immunophenotype": "B",
    "cns_status": "CNS1",
    "testicular_involvement": "false",
    "prephase_blasts_per_ul": "200",
    "mrd_eoi_percent": "0.005",
    "cr_after_induction": "true",
    "chromosome_count": "46",
    "down_syndrome": "false",
}
LOW_RISK_CHILD = Patient(COMPLETE_B, {"ETV6::RUNX1": "detected"})
T_ALL_PREPHASE_UNKNOWN = Patient(
    {
        **{k: v for k, v in COMPLETE_B.items() if k != "prephase_blasts_per_ul"},
        "age_years": "8",
        "wbc_per_ul": "20000",
        "immunophenotype": "T",
    }
)
INFANT_KMT2A = Patient(
    {"age_years": "0.5", "wbc_per_ul": "30000", "immunophenotype": "B"},
    {"KMT2A::AFF1": "detected"},
)
GENETICS_PENDING = Patient(COMPLETE_B, genetics_pending=True)
TWO_SENTINELS = Patient(
    {"age_years": "4", "wbc_per_ul": "12000", "immunophenotype": "B"},
    {"BCR::ABL1": "detected", "ETV6::RUNX1": "detected"},
)


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def sized(request: pytest.FixtureRequest, page: Page) -> Page:
    width: int = request.param
    page.set_viewport_size({"width": width, "height": 900})
    return page


def fill(page: Page, patient: Patient, path: str = "/calculator") -> None:
    page.goto(path)
    for column, value in patient.fields.items():
        control = page.locator(f"#field-{column}")
        if control.evaluate("node => node.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    if patient.wbc_column:
        page.select_option("#field-wbc_per_ul-unit", patient.wbc_column)
    for code, state in patient.lesions.items():
        page.get_by_label(code, exact=True).select_option(state)
    if patient.genetics_pending:
        page.check("#genetics-pending")


def classify(page: Page) -> str:
    """Click Classify; the CSV table the page posted."""
    with page.expect_request(lambda r: r.url.endswith("/classify") and r.method == "POST") as sent:
        page.click("#classify-button")
    page.wait_for_selector("#result[data-state='done']")
    body = sent.value.post_data
    assert body is not None
    return body


def posted_row(body: str) -> dict[str, str]:
    (row,) = csv.DictReader(io.StringIO(body))
    return row


def api_answer(knowledge_base: KnowledgeBase, body: str) -> dict[str, Any]:
    return classify_input(knowledge_base, body.encode(), "text/csv").as_json()


def the_result(answer: dict[str, Any]) -> dict[str, Any]:
    (result,) = answer["results"]
    assert isinstance(result, dict)
    return result


def words(code: str) -> str:
    return code.replace("-", " ")


def in_words(codes: list[str]) -> str:
    """Groups as the page lists them: "high", "high or very high", "a, b or c"."""
    named = [words(code) for code in codes]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]


def assert_page_holds_together(page: Page) -> None:
    """No sideways scrolling, focus on the result, nothing put in the address."""
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    assert page.evaluate("document.activeElement.id") == "result-heading"
    assert "#" not in page.url
    assert RESEARCH_NOTICE in page.inner_text("#result")


def text(knowledge_base: KnowledgeBase, iri: URIRef, predicate: URIRef) -> str:
    return str(knowledge_base.graph.value(iri, predicate))


def derived_threshold(knowledge_base: KnowledgeBase, finding: URIRef) -> str:
    """The label of the condition of the rule that derives ``finding`` (shapes/)."""
    shapes = knowledge_base.shapes
    (rule,) = shapes.subjects(SH.object, finding)
    return str(shapes.value(shapes.value(rule, SH.condition), RDFS.label))


def test_low_risk_child_is_low_with_each_criterion_in_words(
    sized: Page, knowledge_base: KnowledgeBase
) -> None:
    fill(sized, LOW_RISK_CHILD)
    body = classify(sized)
    assert posted_row(body)["lesions"] == "ETV6::RUNX1"
    result = the_result(api_answer(knowledge_base, body))
    assert (result["risk_group"], result["provisional"]) == ("low", False)

    assert sized.inner_text("#headline") == "Risk group: low"
    assert sized.locator("#still-possible").count() == 0
    assert sized.locator("#deciding").count() == 0
    assert sized.locator("#excluded").count() == 0  # nothing is lower than low
    items = sized.locator("#criteria > li")
    assert items.locator("a.criterion").all_inner_texts() == [
        c["label"] for c in result["criteria"]
    ]
    for index, criterion in enumerate(result["criteria"]):
        item = items.nth(index)
        assert item.locator("a.criterion").get_attribute("href") == "/id/" + criterion["id"]
        definition = text(knowledge_base, URIRef(criterion["iri"]), SKOS.definition)
        assert item.locator(".definition").inner_text() == definition
        sources = item.locator(".criterion-source a").evaluate_all("a => a.map(l => l.href)")
        assert sources == criterion["sources"]
        assert criterion["section"] in item.locator(".criterion-source").inner_text()
    nci = sized.locator("#nci-rome strong")
    assert nci.get_attribute("data-risk-code") == result["nci_rome"] == "standard"
    nci_definition = text(knowledge_base, PEDALL["NCI-Rome"], SKOS.definition)
    assert nci_definition in sized.inner_text("#nci-rome")
    sized.wait_for_selector("#efs-chart")
    assert sized.locator("#efs-chart rect.mine").get_attribute("data-risk-code") == "low"
    assert_page_holds_together(sized)


def test_t_all_without_prephase_response_is_at_least_high(
    sized: Page, knowledge_base: KnowledgeBase
) -> None:
    fill(sized, T_ALL_PREPHASE_UNKNOWN)
    result = the_result(api_answer(knowledge_base, classify(sized)))
    assert result["possible_groups"] == ["high", "very-high"]
    assert result["missing"] == ["prephase_blasts_per_ul"]

    assert sized.inner_text("#headline") == "Risk group: at least high; very high still possible"
    decide = sized.locator("#deciding > li[data-column='prephase_blasts_per_ul'] button")
    prephase = PEDALL.prephaseBlastsPerMicroliter
    assert decide.inner_text() == text(knowledge_base, prephase, RDFS.label)
    decide.click()
    assert sized.evaluate("document.activeElement.id") == "field-prephase_blasts_per_ul"
    assert sized.locator("#criteria-none").is_visible()
    for lower in ("low", "standard"):
        assert (
            sized.locator(f"#excluded li[data-group='{lower}']")
            .inner_text()
            .startswith(f"Not {lower}: ")
        )
    assert sized.get_attribute("#nci-rome strong", "data-risk-code") == "not-applicable"
    sized.wait_for_selector("#efs-chart")
    assert sized.get_attribute("#efs-chart rect.mine", "data-risk-code") == "high"
    assert sized.get_attribute("#efs-chart rect.possible", "data-risk-code") == "very-high"
    row = sized.locator("#chart-table tr[data-risk-code='very-high']")
    assert "still possible" in row.inner_text()
    sized.click("#result-heading")  # focus back where Classify left it
    assert_page_holds_together(sized)


def test_infant_with_kmt2a_aff1_is_very_high_and_says_why_not_lower(
    sized: Page, knowledge_base: KnowledgeBase
) -> None:
    fill(sized, INFANT_KMT2A)
    body = classify(sized)
    assert posted_row(body)["lesions"] == "KMT2A::AFF1"
    result = the_result(api_answer(knowledge_base, body))
    ids = [c["id"] for c in result["criteria"]]
    assert (result["risk_group"], result["provisional"]) == ("very-high", False)
    assert {"CMCP-ALL2008-very-high-infant", "CMCP-ALL2008-high-kmt2a"} <= set(ids)

    assert sized.inner_text("#headline") == "Risk group: very high"
    infant = sized.locator("#criteria li[data-criterion='CMCP-ALL2008-very-high-infant']")
    threshold = derived_threshold(knowledge_base, PEDALL.InfantAge)
    assert threshold in infant.locator(".threshold").inner_text()
    infant_label = text(knowledge_base, PEDALL["CMCP-ALL2008-very-high-infant"], RDFS.label)
    kmt2a_label = text(knowledge_base, PEDALL["CMCP-ALL2008-high-kmt2a"], RDFS.label)
    not_high = sized.inner_text("#excluded li[data-group='high']")
    assert infant_label in not_high and kmt2a_label not in not_high
    not_low = sized.inner_text("#excluded li[data-group='low']")
    assert infant_label in not_low and kmt2a_label in not_low
    assert sized.get_attribute("#nci-rome strong", "data-risk-code") == result["nci_rome"]
    assert_page_holds_together(sized)


def test_genetics_pending_sends_all_and_keeps_every_lesion_possible(
    sized: Page, knowledge_base: KnowledgeBase
) -> None:
    fill(sized, GENETICS_PENDING)
    selects = sized.locator("select[data-lesion]")
    assert set(selects.evaluate_all("s => s.map(e => e.value)")) == {"pending"}
    assert sized.locator("select[data-lesion] option[value='absent']:not([disabled])").count() == 0
    body = classify(sized)
    row = posted_row(body)
    assert (row["lesions"], row["lesions_pending"]) == ("", "all")
    result = the_result(api_answer(knowledge_base, body))
    assert result["possible_groups"] == ["low", "standard", "high", "very-high"]
    assert "lesions_pending" in result["missing"]

    assert sized.inner_text("#headline") == (
        "Risk group: at least low; standard, high or very high still possible"
    )
    assert sized.locator("#deciding li[data-column='lesions_pending']").count() == 1
    assert_page_holds_together(sized)
    sized.uncheck("#genetics-pending")  # switched off, the lesions are "not detected" again
    assert set(selects.evaluate_all("s => s.map(e => e.value)")) == {"absent"}


def test_one_pending_lesion_is_sent_as_pending(sized: Page, knowledge_base: KnowledgeBase) -> None:
    fill(sized, Patient(COMPLETE_B, {"BCR::ABL1": "pending", "ETV6::RUNX1": "detected"}))
    body = classify(sized)
    row = posted_row(body)
    assert (row["lesions"], row["lesions_pending"]) == ("ETV6::RUNX1", "BCR::ABL1")
    result = the_result(api_answer(knowledge_base, body))
    assert result["possible_groups"] == ["low", "very-high"]
    assert sized.inner_text("#headline") == "Risk group: at least low; very high still possible"


def test_two_sentinel_fusions_show_the_apis_warning(
    sized: Page, knowledge_base: KnowledgeBase
) -> None:
    fill(sized, TWO_SENTINELS)
    answer = api_answer(knowledge_base, classify(sized))
    warnings = answer["warnings"]
    assert warnings and {w["column"] for w in warnings} == {"lesions"}
    assert the_result(answer)["risk_group"] == "very-high"  # a warning does not stop the row

    listed = sized.locator("#warnings li").all_inner_texts()
    assert len(listed) == len(warnings)
    for shown, warning in zip(listed, warnings, strict=True):
        assert warning["message"] in shown
    beside = sized.locator("#genetics > .field-error .warning")
    assert beside.is_visible() and warnings[0]["message"] in beside.inner_text()
    assert sized.inner_text("#headline") == "Risk group: very high"
    assert_page_holds_together(sized)


def test_a_wbc_with_a_thousands_separator_is_an_error_next_to_the_wbc_field(
    sized: Page, knowledge_base: KnowledgeBase
) -> None:
    fill(sized, Patient({"age_years": "4", "wbc_per_ul": "60,000", "immunophenotype": "B"}))
    answer = api_answer(knowledge_base, classify(sized))
    (error,) = answer["errors"]
    assert (error["column"], error["value"]) == ("wbc_per_ul", "60,000")

    assert sized.locator("#headline").count() == 0
    slot = sized.locator("#field-wbc_per_ul-error")
    assert slot.is_visible()
    assert error["message"] in slot.inner_text() and "60,000" in slot.inner_text()
    assert "remove the thousands separator (write 60000)" in slot.inner_text()  # the hint
    assert sized.get_attribute("#field-wbc_per_ul", "aria-invalid") == "true"
    # beside the field: below its input, above the next field
    field_box = sized.locator("#field-wbc_per_ul").bounding_box()
    slot_box = slot.bounding_box()
    next_box = sized.locator("#field-immunophenotype").bounding_box()
    assert field_box and slot_box and next_box
    assert field_box["y"] + field_box["height"] <= slot_box["y"]
    assert slot_box["y"] + slot_box["height"] <= next_box["y"] or next_box["y"] < field_box["y"]
    sized.click("#errors li[data-column='wbc_per_ul'] button")
    assert sized.evaluate("document.activeElement.id") == "field-wbc_per_ul"
    assert sized.evaluate("document.scrollingElement.scrollWidth <= innerWidth")


def test_wbc_in_10e9_per_litre_is_sent_as_that_column(
    sized: Page, knowledge_base: KnowledgeBase
) -> None:
    fields = {"age_years": "4", "wbc_per_ul": "60", "immunophenotype": "B"}
    fill(sized, Patient(fields, wbc_column="wbc_10e9_per_l"))
    body = classify(sized)
    row = posted_row(body)
    assert row["wbc_10e9_per_l"] == "60" and "wbc_per_ul" not in row
    ids = [c["id"] for c in the_result(api_answer(knowledge_base, body))["criteria"]]
    assert "CMCP-ALL2008-high-wbc" in ids  # 60 x 10^9/L is 60,000/uL
    assert sized.locator("#criteria li[data-criterion='CMCP-ALL2008-high-wbc']").count() == 1

    sized.fill("#field-wbc_per_ul", "sixty")
    answer = api_answer(knowledge_base, classify(sized))
    assert [e["column"] for e in answer["errors"]] == ["wbc_10e9_per_l"]
    assert "sixty" in sized.inner_text("#field-wbc_per_ul-error")


def test_the_chart_scales_is_named_and_has_its_numbers_as_text(sized: Page) -> None:
    fill(sized, T_ALL_PREPHASE_UNKNOWN)
    classify(sized)
    chart = sized.locator("#efs-chart")
    assert chart.get_attribute("width") is None and chart.get_attribute("viewBox")
    box = chart.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= sized.viewport_size["width"]  # type: ignore[index]
    name = sized.evaluate(
        "document.getElementById(document.getElementById('efs-chart')"
        ".getAttribute('aria-labelledby')).textContent"
    )
    assert "event-free survival" in name
    bars = chart.locator("rect.bar").evaluate_all(
        "bars => bars.map(b => [b.dataset.riskCode, b.dataset.value])"
    )
    rows = sized.locator("#chart-table tbody tr")
    assert rows.count() == len(bars) == 4
    for index, (code, value) in enumerate(bars):
        assert rows.nth(index).get_attribute("data-risk-code") == code
        assert value in rows.nth(index).inner_text()
    # not colour alone: the patient's and the possible groups are marked in words
    standing = chart.locator("text.standing").evaluate_all("t => t.map(e => e.textContent)")
    assert standing == ["patient", "possible"]
    assert len(sized.locator("#chart-legend li").all_inner_texts()) == 3
    # each value label sits above its whisker
    gaps = chart.evaluate(
        """svg => Array.from(svg.querySelectorAll('text.value')).map(label => {
             const whisker = svg.querySelector(
               "line.whisker:not(.cap)[data-risk-code='" + label.dataset.riskCode + "']");
             const box = label.getBBox();
             return Number(whisker.getAttribute('y1')) - (box.y + box.height);
           })"""
    )
    assert len(gaps) == 4 and min(gaps) >= 0
    assert "Fig. 1" in sized.inner_text("#chart-caption")


def test_a_link_holds_the_inputs_only_when_asked_for(
    page: Page, knowledge_base: KnowledgeBase
) -> None:
    fill(page, INFANT_KMT2A)
    classify(page)
    assert "#" not in page.url
    headline = page.inner_text("#headline")
    page.click("#make-link")
    link = page.input_value("#link-text")
    assert link == page.url and "age_years=0.5" in link
    page.goto("/")
    page.goto(link)
    assert page.input_value("#field-age_years") == "0.5"
    assert page.get_by_label("KMT2A::AFF1", exact=True).input_value() == "detected"
    classify(page)
    assert page.inner_text("#headline") == headline


@pytest.mark.parametrize(
    "patient", [TWO_SENTINELS, T_ALL_PREPHASE_UNKNOWN], ids=["warning", "range"]
)
def test_calculator_with_a_result_has_no_serious_accessibility_violation(
    sized: Page, patient: Patient
) -> None:
    assert AXE.exists(), "axe-core is missing: run `make browser`"
    fill(sized, patient)
    classify(sized)
    sized.wait_for_selector("#efs-chart")
    sized.evaluate(AXE.read_text(encoding="utf-8"))
    violations = sized.evaluate(
        "async () => (await axe.run(document)).violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def test_errors_have_no_serious_accessibility_violation(sized: Page) -> None:
    fill(sized, Patient({"age_years": "seven", "wbc_per_ul": "60,000"}))
    classify(sized)
    sized.evaluate(AXE.read_text(encoding="utf-8"))
    impacts = sized.evaluate("async () => (await axe.run(document)).violations.map(v => v.impact)")
    assert not {"serious", "critical"} & set(impacts)
    assert sized.locator("#field-age_years-error").is_visible()


# --- Waiting on the classifier's karyotype column and its `deciding` answer (issue 10) ---


def test_a_karyotype_is_sent_and_read(sized: Page, knowledge_base: KnowledgeBase) -> None:
    fields = {k: v for k, v in COMPLETE_B.items() if k != "chromosome_count"}
    karyotype = "54,XX,+4,+6,+10,+14,+17,+18,+21,+21[20]"
    fill(sized, Patient({**fields, "karyotype": karyotype}))
    body = classify(sized)
    assert posted_row(body)["karyotype"] == karyotype
    result = the_result(api_answer(knowledge_base, body))
    assert "chromosome_count" not in result["missing"]  # the karyotype gives the count
    assert "CMCP-ALL2008-low-genetics" in [c["id"] for c in result["criteria"]]
    assert sized.inner_text("#headline") == "Risk group: low"


def test_a_malformed_karyotype_is_an_error_next_to_its_field(
    sized: Page, knowledge_base: KnowledgeBase
) -> None:
    fill(sized, Patient({"age_years": "4", "karyotype": "46,XY,foo"}))
    answer = api_answer(knowledge_base, classify(sized))
    assert [e["column"] for e in answer["errors"]] == ["karyotype"]
    slot = sized.locator("#field-karyotype-error")
    assert slot.is_visible() and answer["errors"][0]["message"] in slot.inner_text()


def test_what_would_decide_lists_each_answer_and_its_groups(
    page: Page, knowledge_base: KnowledgeBase
) -> None:
    fill(page, T_ALL_PREPHASE_UNKNOWN)
    result = the_result(api_answer(knowledge_base, classify(page)))
    (deciding,) = result["deciding"]
    assert deciding["column"] == "prephase_blasts_per_ul"
    shown = page.locator("#deciding > li[data-column='prephase_blasts_per_ul'] li")
    assert shown.all_inner_texts() == [
        outcome["when"] + ": " + in_words(outcome["possible_groups"])
        for outcome in deciding["outcomes"]
    ]
