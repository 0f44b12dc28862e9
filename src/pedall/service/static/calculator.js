"use strict";
// The risk calculator: sends one patient as a one-row CSV table to /classify, shows the
// result, then draws the risk groups' outcome figures fetched from the graph via /sparql.
(function () {
  const form = document.getElementById("calculator");
  if (!form) return;
  const resultSection = document.getElementById("result");
  const resultBody = document.getElementById("result-body");
  const SVG = "http://www.w3.org/2000/svg";

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svgElement(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function csvCell(value) {
    return /[",\r\n]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
  }

  function patientTable() {
    const columns = [form.dataset.idColumn];
    const values = ["calculator"];
    for (const input of form.querySelectorAll("input[data-column], select[data-column]")) {
      const value = input.value.trim();
      if (value !== "") {
        columns.push(input.dataset.column);
        values.push(value);
      }
    }
    const lesionBox = form.querySelector("fieldset.lesions");
    if (lesionBox) {
      const ticked = Array.from(lesionBox.querySelectorAll("input:checked")).map((box) => box.value);
      columns.push(lesionBox.dataset.column);
      values.push(ticked.join(";"));
    }
    return columns.map(csvCell).join(",") + "\r\n" + values.map(csvCell).join(",") + "\r\n";
  }

  function link(href, text) {
    const anchor = element("a", { href: href }, text);
    return anchor;
  }

  function termHref(iri) {
    const base = "https://w3id.org/pedall/";
    return iri.startsWith(base) ? "/id/" + iri.slice(base.length) : iri;
  }

  function showErrors(errors) {
    const list = element("ul", { class: "errors" });
    for (const error of errors) {
      const where = error.column ? "field " + error.column + ": " : "";
      list.appendChild(element("li", {}, where + error.message + (error.value ? " (given: " + error.value + ")" : "")));
    }
    resultBody.appendChild(element("h3", {}, "Input errors"));
    resultBody.appendChild(list);
  }

  function showResult(result) {
    const group = element("p", {}, "Risk group: ");
    group.appendChild(element("span", { class: "risk-group", id: "risk-group" }, result.risk_group));
    resultBody.appendChild(group);
    if (result.provisional) {
      const note = element("p", { class: "provisional", id: "provisional" },
        "Provisional: still possible are " + result.possible_groups.join(", ") + ".");
      resultBody.appendChild(note);
    }
    resultBody.appendChild(element("p", { id: "possible-groups" }, "Possible groups: " + result.possible_groups.join(", ")));
    if (result.missing.length > 0) {
      resultBody.appendChild(element("p", { id: "missing" }, "Data that would decide: " + result.missing.join(", ")));
    }
    if (result.nci_rome) {
      resultBody.appendChild(element("p", { id: "nci-rome" }, "NCI/Rome: " + result.nci_rome));
    }
    const table = element("table", { class: "results", id: "criteria" });
    const head = element("tr");
    for (const title of ["Criterion met", "Group", "Source", "Section"]) head.appendChild(element("th", {}, title));
    table.appendChild(head);
    for (const criterion of result.criteria) {
      const row = element("tr");
      const label = element("td");
      label.appendChild(link(termHref(criterion.iri), criterion.label));
      row.appendChild(label);
      row.appendChild(element("td", {}, criterion.group));
      const sources = element("td");
      criterion.sources.forEach((source, index) => {
        if (index > 0) sources.appendChild(document.createTextNode(", "));
        sources.appendChild(link(source, source.replace(/^https?:\/\//, "")));
      });
      row.appendChild(sources);
      row.appendChild(element("td", {}, criterion.section || ""));
      table.appendChild(row);
    }
    resultBody.appendChild(element("h3", {}, "Criteria"));
    resultBody.appendChild(result.criteria.length ? table : element("p", {}, "No criterion is certain yet."));
  }

  async function sparqlRows(text) {
    const response = await fetch(form.dataset.sparql, {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query", Accept: "application/sparql-results+json" },
      body: text,
    });
    if (!response.ok) throw new Error(await response.text());
    const answer = await response.json();
    return answer.results.bindings.map((binding) => {
      const row = {};
      for (const [name, term] of Object.entries(binding)) row[name] = term.value;
      return row;
    });
  }

  async function schemeOf(result) {
    if (result.criteria.length === 0) return null;
    const iri = result.criteria[0].iri.replace(/[<>"{}|^`\\\s]/g, "");
    const rows = await sparqlRows(
      "SELECT ?scheme WHERE { <" + iri + "> pedall:inScheme/rdfs:label ?scheme } LIMIT 1");
    return rows.length ? rows[0].scheme : null;
  }

  function drawChart(rows, result) {
    const width = 460, height = 230, left = 40, bottom = 46, top = 16;
    const plotWidth = width - left - 10, plotHeight = height - top - bottom;
    const svg = svgElement("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "img", id: "efs-chart" });
    const y = (value) => top + plotHeight * (1 - value / 100);
    svg.appendChild(svgElement("line", { class: "axis", x1: left, y1: top, x2: left, y2: top + plotHeight }));
    svg.appendChild(svgElement("line", { class: "axis", x1: left, y1: top + plotHeight, x2: width - 10, y2: top + plotHeight }));
    for (const tick of [0, 25, 50, 75, 100]) {
      svg.appendChild(svgElement("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, String(tick)));
    }
    const slot = plotWidth / rows.length;
    rows.forEach((row, index) => {
      const value = Number(row.efsPercent);
      const spread = row.plusMinus ? Number(row.plusMinus) : 0;
      const x = left + slot * index + slot * 0.2;
      const barWidth = slot * 0.6;
      let kind = "bar";
      if (row.riskCode === result.risk_group) kind += " mine";
      else if (result.possible_groups.includes(row.riskCode)) kind += " possible";
      const bar = svgElement("rect", { class: kind, x: x, y: y(value), width: barWidth, height: y(0) - y(value), "data-risk-code": row.riskCode, "data-value": row.efsPercent });
      bar.appendChild(svgElement("title", {}, row.group + ": " + row.efsPercent + "%" + (spread ? " \u00b1 " + spread : "") + (row.population ? " (" + row.population + ")" : "")));
      svg.appendChild(bar);
      if (spread) {
        const middle = x + barWidth / 2;
        svg.appendChild(svgElement("line", { class: "whisker", x1: middle, x2: middle, y1: y(Math.min(value + spread, 100)), y2: y(Math.max(value - spread, 0)) }));
      }
      svg.appendChild(svgElement("text", { x: x + barWidth / 2, y: y(value) - 4, "text-anchor": "middle" }, row.efsPercent));
      svg.appendChild(svgElement("text", { x: x + barWidth / 2, y: top + plotHeight + 16, "text-anchor": "middle" }, row.riskCode));
    });
    svg.appendChild(svgElement("text", { x: left, y: height - 6 }, "10-year event-free survival (%) by risk group"));
    const chart = document.getElementById("chart");
    chart.replaceChildren(svg);
    const caption = document.getElementById("chart-caption");
    caption.replaceChildren(document.createTextNode(rows[0].scheme + ". Source: "));
    caption.appendChild(link(rows[0].source, rows[0].source.replace(/^https?:\/\//, "")));
    caption.appendChild(document.createTextNode(", " + rows[0].section + ". The patient's group is darkest."));
    document.getElementById("outcome-chart").hidden = false;
  }

  async function showChart(result) {
    const query = document.getElementById("chart-query");
    const text = query ? query.content.textContent.trim() : "";
    if (!text) return;
    const [rows, scheme] = await Promise.all([sparqlRows(text), schemeOf(result)]);
    const shown = rows.filter((row) => scheme === null || row.scheme === scheme);
    if (shown.length > 0) drawChart(shown, result);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    resultBody.replaceChildren();
    document.getElementById("outcome-chart").hidden = true;
    resultSection.hidden = false;
    try {
      const response = await fetch(form.dataset.classify, {
        method: "POST",
        headers: { "Content-Type": "text/csv", Accept: "application/json" },
        body: patientTable(),
      });
      const answer = await response.json();
      if (answer.errors && answer.errors.length) showErrors(answer.errors);
      else if (answer.message) showErrors([{ message: answer.message }]);
      if (answer.results && answer.results.length) {
        showResult(answer.results[0]);
        await showChart(answer.results[0]);
      }
    } catch (error) {
      showErrors([{ message: String(error) }]);
    }
    resultSection.dataset.state = "done";
  });
})();
