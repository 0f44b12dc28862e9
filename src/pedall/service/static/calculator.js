"use strict";
// The risk calculator: sends one patient as a one-row CSV table to /classify and explains
// the answer with the schemes' words the page carries (#calculator-data, read from the
// graph by the service): the certain group and the range, what would decide it, each
// criterion with its thresholds and sources, why the lower groups are excluded, NCI/Rome,
// every warning, and each error next to its field. pedallChart (efs_chart.js) draws the
// groups' survival. Nothing goes into the page's address unless the user asks for a link.
(function () {
  const form = document.getElementById("calculator");
  if (!form) return;
  const data = JSON.parse(document.getElementById("calculator-data").textContent);
  const scheme = data.schemes.scheme;
  const otherSchemes = data.schemes.others;  // each reported by its group only, in order
  const criterionWords = data.schemes.criteria;
  const resultSection = document.getElementById("result");
  const resultBody = document.getElementById("result-body");
  const heading = document.getElementById("result-heading");
  const pendingSwitch = document.getElementById("genetics-pending");
  const lesionSelects = Array.from(form.querySelectorAll("select[data-lesion]"));
  const TERM_BASE = "https://w3id.org/pedall/";

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  function csvCell(value) {
    return /[",\r\n]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
  }

  function inWords(items, joint) {
    if (items.length < 2) return items.join("");
    return items.slice(0, -1).join(", ") + " " + (joint || "or") + " " + items[items.length - 1];
  }

  function groupIn(schemeWords, code) {
    return schemeWords.groups.find((group) => group.code === code) || null;
  }

  function groupWords(code) {
    const group = groupIn(scheme, code);
    return group ? group.words : code;
  }

  function columnWords(column) {
    return data.columns[column] || column;
  }

  function termHref(iri) {
    return iri.startsWith(TERM_BASE) ? "/id/" + iri.slice(TERM_BASE.length) : iri;
  }

  function sourceNote(sources, section) {
    const note = element("span", { class: "source" }, "(");
    (sources || []).forEach((source, index) => {
      if (index > 0) note.append(", ");
      note.append(element("a", { href: source }, source.replace(/^https?:\/\//, "")));
    });
    if (section) note.append((sources && sources.length ? ", " : "") + section);
    note.append(")");
    return note;
  }

  // --- The form as one row of the patient table ------------------------------------------

  function valueInputs() {
    return Array.from(form.querySelectorAll("input[data-column], select[data-column]"));
  }

  function columnOf(input) {
    const unit = input.dataset.unitSelect;
    return unit ? document.getElementById(unit).value : input.dataset.column;
  }

  function lesionsIn(state) {
    return lesionSelects.filter((select) => select.value === state).map((select) => select.dataset.lesion);
  }

  function patientCells() {
    const cells = [];
    for (const input of valueInputs()) {
      const value = input.value.trim();
      if (value !== "") cells.push([columnOf(input), value]);
    }
    cells.push([form.dataset.lesionsColumn, lesionsIn("detected").join(";")]);
    const pending = pendingSwitch.checked ? form.dataset.allPending : lesionsIn("pending").join(";");
    if (pending !== "") cells.push([form.dataset.pendingColumn, pending]);
    return cells;
  }

  function patientTable() {
    const cells = [[form.dataset.idColumn, "calculator"], ...patientCells()];
    const line = (index) => cells.map((cell) => csvCell(cell[index])).join(",") + "\r\n";
    return line(0) + line(1);
  }

  // "Genetics pending": every lesion not detected is shown, and sent, as pending.
  function applyPendingSwitch() {
    for (const select of lesionSelects) {
      const absent = select.querySelector("option[value='absent']");
      if (pendingSwitch.checked) {
        if (select.value === "absent") {
          select.value = "pending";
          select.dataset.bySwitch = "true";
        }
        absent.disabled = true;
      } else {
        absent.disabled = false;
        if (select.dataset.bySwitch === "true" && select.value === "pending") select.value = "absent";
        delete select.dataset.bySwitch;
      }
    }
  }
  function markStates() {
    for (const select of lesionSelects) select.closest(".lesion").dataset.state = select.value;
  }
  pendingSwitch.addEventListener("change", () => {
    applyPendingSwitch();
    markStates();
  });
  lesionSelects.forEach((select) => select.addEventListener("change", () => {
    delete select.dataset.bySwitch;
    markStates();
  }));

  // --- Fields and the issues placed next to them -----------------------------------------

  function containerFor(column) {
    return column ? form.querySelector('[data-columns~="' + CSS.escape(column) + '"]') : null;
  }

  function controlOf(container) {
    return container.querySelector(":scope > input, :scope > select, :scope > .with-unit > input")
      || container.querySelector("select, input");
  }

  function focusField(container) {
    const control = controlOf(container);
    container.scrollIntoView({ block: "center" });
    if (control) control.focus();
  }

  function fieldButton(column) {
    const container = containerFor(column);
    const words = columnWords(column);
    if (!container) return element("span", {}, words);
    const button = element("button", { type: "button", class: "link", "data-column": column }, words);
    button.addEventListener("click", () => focusField(container));
    return button;
  }

  function issueText(issue) {
    return (issue.value ? issue.value + ": " : "") + issue.message;
  }

  function clearIssues() {
    for (const slot of form.querySelectorAll(".field-error")) {
      slot.replaceChildren();
      slot.hidden = true;
    }
    for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  }

  function placeIssue(issue, kind) {
    const container = containerFor(issue.column);
    if (!container) return;
    const slot = container.querySelector(":scope > .field-error");
    slot.append(element("span", { class: kind }, (kind === "error" ? "Error: " : "Warning: ") + issueText(issue)));
    slot.hidden = false;
    const control = controlOf(container);
    if (kind === "error" && control && container.tagName !== "FIELDSET") control.setAttribute("aria-invalid", "true");
  }

  function showIssues(issues, kind) {
    if (issues.length === 0) return;
    const title = kind === "error" ? "Input errors" : "Warnings";
    resultBody.append(element("h3", {}, title));
    if (kind === "error") {
      resultBody.append(element("p", {}, "The patient was not classified. Each error also stands next to its field."));
    }
    const list = element("ul", { class: kind === "error" ? "errors" : "warnings", id: kind === "error" ? "errors" : "warnings" });
    for (const issue of issues) {
      placeIssue(issue, kind);
      const item = element("li", { "data-column": issue.column || "" });
      if (issue.column) item.append(fieldButton(issue.column), ": ");
      item.append(issueText(issue));
      list.append(item);
    }
    resultBody.append(list);
  }

  // --- The result -------------------------------------------------------------------------

  function showHeadline(result) {
    const headline = element("p", { class: "headline", id: "headline" }, "Risk group: ");
    if (result.provisional) headline.append("at least ");
    headline.append(element("strong", { class: "risk-group", id: "risk-group", "data-risk-code": result[scheme.key] }, groupWords(result[scheme.key])));
    if (result.provisional) {
      const higher = result.possible_groups.filter((code) => code !== result[scheme.key]).map(groupWords);
      headline.append("; ", element("span", { id: "still-possible" }, inWords(higher) + " still possible"));
    }
    resultBody.append(headline);
    resultBody.append(element("p", { id: "possible-groups" }, "Possible groups: " + result.possible_groups.map(groupWords).join(", ")));
    resultBody.append(element("p", { class: "small", id: "scheme-line" }, scheme.label + ": " + scheme.definition + " ", sourceNote(scheme.sources, scheme.section)));
  }

  function showDeciding(result) {
    const deciding = Array.isArray(result.deciding) ? result.deciding : [];
    if (!result.provisional && deciding.length === 0 && result.missing.length === 0) return;
    resultBody.append(element("h3", {}, "What would decide it"));
    resultBody.append(element("p", {}, "Entering these would narrow the possible groups:"));
    const list = element("ul", { id: "deciding" });
    if (deciding.length > 0) {
      for (const item of deciding) {
        const outcomes = element("ul");
        for (const outcome of item.outcomes) {
          outcomes.append(element("li", {}, outcome.when + ": " + inWords(outcome.possible_groups.map(groupWords))));
        }
        list.append(element("li", { "data-column": item.column }, fieldButton(item.column), outcomes));
      }
    } else {
      for (const column of result.missing) list.append(element("li", { "data-column": column }, fieldButton(column)));
    }
    resultBody.append(list);
  }

  function showCriteria(result) {
    resultBody.append(element("h3", {}, "Criteria met"));
    if (result.criteria.length === 0) {
      resultBody.append(element("p", { id: "criteria-none" }, "No criterion is certain yet: the missing data decide."));
      return;
    }
    const list = element("ul", { class: "criteria", id: "criteria" });
    for (const criterion of result.criteria) {
      const words = criterionWords[criterion.iri] || { thresholds: [] };
      const item = element("li", { "data-criterion": criterion.id });
      item.append(element("a", { href: termHref(criterion.iri), class: "criterion" }, criterion.label),
        " ", element("span", { class: "group-tag" }, groupWords(criterion.group) + " risk"));
      if (words.definition) item.append(element("p", { class: "definition" }, words.definition));
      for (const threshold of words.thresholds) {
        item.append(element("p", { class: "threshold" }, "Threshold: " + threshold.text + " ", sourceNote(threshold.sources, threshold.section)));
      }
      if (words.interpretation) item.append(element("p", { class: "interpretation" }, "pedall's reading: " + words.interpretation));
      item.append(element("p", { class: "criterion-source" }, "Source: ", sourceNote(criterion.sources, criterion.section)));
      list.append(item);
    }
    resultBody.append(list);
  }

  // A lower group is excluded by the criteria met of higher groups, less those whose
  // condition the lower group shares (age 1 to under 10 is in low and in standard).
  function showExcluded(result) {
    const mine = groupIn(scheme, result[scheme.key]);
    const lower = mine ? scheme.groups.filter((group) => group.rank < mine.rank) : [];
    if (lower.length === 0) return;
    resultBody.append(element("h3", {}, "Why not a lower group"));
    const list = element("ul", { id: "excluded" });
    for (const group of lower) {
      const shared = new Set(group.criteria.map((iri) => (criterionWords[iri] || {}).condition));
      const reasons = result.criteria.filter((criterion) => {
        const owner = groupIn(scheme, criterion.group);
        return owner && owner.rank > group.rank && !shared.has((criterionWords[criterion.iri] || {}).condition);
      });
      // No single criterion certain: every value the missing data may take meets one of
      // a higher group (what would decide it lists them); the group's definition follows.
      const because = reasons.length
        ? inWords(reasons.map((c) => c.label + " (" + groupWords(c.group) + ")"), "and") + (reasons.length > 1 ? " hold." : " holds.")
        : "whatever the missing data turn out to be, a criterion of a higher group holds. " + group.label + ": " + group.definition;
      list.append(element("li", { "data-group": group.code }, "Not " + group.words + ": " + because));
    }
    resultBody.append(list);
  }

  function showOtherSchemes(result) {
    for (const other of otherSchemes) {
      const code = result[other.key];
      const group = groupIn(other, code);
      const line = element("p", { id: other.key.replaceAll("_", "-") }, other.name + ": ",
        element("strong", { "data-risk-code": code || "" }, group ? group.words : "not settled by the data given"),
        ". " + other.definition + " ", sourceNote(other.sources, other.section));
      resultBody.append(line);
    }
  }

  function showResult(result, warnings) {
    showHeadline(result);
    showIssues(warnings, "warning");
    showDeciding(result);
    showCriteria(result);
    showExcluded(result);
    showOtherSchemes(result);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearIssues();
    resultBody.replaceChildren();
    document.getElementById("outcome-chart").hidden = true;
    resultSection.hidden = false;
    resultSection.dataset.state = "busy";
    let result = null;
    try {
      const response = await fetch(form.dataset.classify, {
        method: "POST",
        headers: { "Content-Type": "text/csv", Accept: "application/json" },
        body: patientTable(),
      });
      const answer = await response.json();
      const errors = answer.errors || [];
      if (errors.length === 0 && !response.ok) errors.push({ column: null, value: null, message: answer.message || String(response.status) });
      result = answer.results && answer.results.length ? answer.results[0] : null;
      showIssues(errors, "error");
      if (result) showResult(result, answer.warnings || []);
      else showIssues(answer.warnings || [], "warning");
    } catch (error) {
      showIssues([{ column: null, value: null, message: String(error) }], "error");
    }
    heading.focus();
    if (result && window.pedallChart) {
      try {
        await window.pedallChart.show(form.dataset.sparql, scheme, result);
      } catch (error) {
        resultBody.append(element("p", { class: "small" }, "The chart could not be drawn: " + String(error)));
      }
    }
    resultSection.dataset.state = "done";
  });

  // --- A link to these inputs, only when asked for ---------------------------------------

  function setLesions(codes, state) {
    const wanted = new Set(codes.split(";").map((code) => code.trim().toLowerCase()).filter(Boolean));
    for (const select of lesionSelects) {
      if (wanted.has(select.dataset.lesion.toLowerCase())) select.value = state;
    }
  }

  function fillFromLink() {
    const params = new URLSearchParams(location.hash.slice(1));
    for (const [column, value] of params) {
      if (column === form.dataset.lesionsColumn) setLesions(value, "detected");
      else if (column === form.dataset.pendingColumn) {
        if (value === form.dataset.allPending) pendingSwitch.checked = true;
        else setLesions(value, "pending");
      } else {
        const container = containerFor(column);
        const input = container ? controlOf(container) : null;
        if (!input) continue;
        input.value = value;
        if (input.dataset.unitSelect) document.getElementById(input.dataset.unitSelect).value = column;
      }
    }
    applyPendingSwitch();
    markStates();
  }

  document.getElementById("make-link").addEventListener("click", () => {
    const params = new URLSearchParams(patientCells().filter((cell) => cell[1] !== ""));
    history.replaceState(null, "", "#" + params.toString());
    const output = document.getElementById("link-output");
    const text = document.getElementById("link-text");
    text.value = location.href;
    output.hidden = false;
    text.focus();
    text.select();
  });

  if (location.hash.length > 1) fillFromLink();
})();
