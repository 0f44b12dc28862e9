"use strict";
// The risk groups' 10-year event-free survival (Fig. 1 of the review, as the graph holds
// it), fetched from /sparql with the library query the page carries (#chart-query) and
// drawn as an SVG that scales to its box. The patient's group and the groups still
// possible are told apart by fill pattern and by words under the bars, not by colour
// alone; a table beside it holds the same numbers.
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 360, HEIGHT = 250, LEFT = 34, RIGHT = 6, TOP = 22, BOTTOM = 52;

  function svgElement(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  async function sparqlRows(endpoint, text) {
    const response = await fetch(endpoint, {
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

  // What a group is for this patient: "mine" (the group certain so far), "possible", "".
  function standing(code, result) {
    if (code === result.possible_groups[0]) return "mine";  // the lowest possible is the group
    return result.possible_groups.includes(code) ? "possible" : "";
  }

  const STANDING_WORDS = { mine: "patient", possible: "possible", "": "" };

  function patterns() {
    const defs = svgElement("defs");
    const hatch = svgElement("pattern", { id: "efs-hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    hatch.appendChild(svgElement("rect", { width: 6, height: 6, class: "hatch-ground" }));
    hatch.appendChild(svgElement("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "hatch-line" }));
    defs.appendChild(hatch);
    return defs;
  }

  function drawSvg(rows, result, groupWords) {
    const plotWidth = WIDTH - LEFT - RIGHT, plotHeight = HEIGHT - TOP - BOTTOM;
    const y = (value) => TOP + plotHeight * (1 - value / 100);
    const svg = svgElement("svg", { viewBox: "0 0 " + WIDTH + " " + HEIGHT, role: "img", "aria-labelledby": "efs-chart-title", id: "efs-chart", class: "efs-chart" });
    svg.appendChild(svgElement("title", { id: "efs-chart-title" }, "10-year event-free survival by risk group, " + rows[0].section + " (the same numbers are in the table below)"));
    svg.appendChild(patterns());
    for (const tick of [0, 25, 50, 75, 100]) {
      svg.appendChild(svgElement("line", { class: "grid", x1: LEFT, x2: WIDTH - RIGHT, y1: y(tick), y2: y(tick) }));
      svg.appendChild(svgElement("text", { x: LEFT - 5, y: y(tick) + 4, "text-anchor": "end" }, String(tick)));
    }
    svg.appendChild(svgElement("text", { x: 2, y: 12 }, "EFS %"));
    svg.appendChild(svgElement("line", { class: "axis", x1: LEFT, y1: TOP, x2: LEFT, y2: y(0) }));
    svg.appendChild(svgElement("line", { class: "axis", x1: LEFT, y1: y(0), x2: WIDTH - RIGHT, y2: y(0) }));
    const slot = plotWidth / rows.length;
    rows.forEach((row, index) => {
      const value = Number(row.efsPercent);
      const spread = row.plusMinus ? Number(row.plusMinus) : 0;
      const barWidth = slot * 0.56;
      const x = LEFT + slot * index + (slot - barWidth) / 2;
      const middle = x + barWidth / 2;
      const kind = standing(row.riskCode, result);
      const bar = svgElement("rect", { class: ("bar " + kind).trim(), x: x, y: y(value), width: barWidth, height: y(0) - y(value), "data-risk-code": row.riskCode, "data-value": row.efsPercent });
      svg.appendChild(bar);
      const top = y(Math.min(value + spread, 100));
      if (spread) {
        const bottom = y(Math.max(value - spread, 0));
        svg.appendChild(svgElement("line", { class: "whisker", x1: middle, x2: middle, y1: top, y2: bottom, "data-risk-code": row.riskCode }));
        for (const end of [top, bottom]) {
          svg.appendChild(svgElement("line", { class: "whisker cap", x1: middle - 5, x2: middle + 5, y1: end, y2: end }));
        }
      }
      // The value sits above the whisker's top, so the two never cross.
      svg.appendChild(svgElement("text", { class: "value", x: middle, y: top - 5, "text-anchor": "middle", "data-risk-code": row.riskCode }, row.efsPercent));
      svg.appendChild(svgElement("text", { x: middle, y: y(0) + 16, "text-anchor": "middle" }, groupWords(row.riskCode)));
      if (kind) {
        svg.appendChild(svgElement("text", { class: "standing", x: middle, y: y(0) + 32, "text-anchor": "middle" }, STANDING_WORDS[kind]));
      }
    });
    return svg;
  }

  function swatch(kind) {
    const svg = svgElement("svg", { viewBox: "0 0 14 14", class: "swatch", "aria-hidden": "true", focusable: "false" });
    svg.appendChild(svgElement("rect", { class: ("bar " + kind).trim(), x: 1, y: 1, width: 12, height: 12 }));
    return svg;
  }

  function legend(result) {
    const items = [["mine", "the patient's group" + (result.provisional ? " (certain so far)" : "") + ": dark, outlined, marked “patient”"]];
    if (result.provisional) items.push(["possible", "still possible: hatched, marked “possible”"]);
    items.push(["", "the other groups: light, unmarked"]);
    return items.map(([kind, words]) => element("li", {}, swatch(kind), " " + words));
  }

  function table(rows, result, groupWords) {
    const head = element("tr", {}, ...["Group", "10-year EFS", "This patient"].map((title) => element("th", { scope: "col" }, title)));
    const body = rows.map((row) => element("tr", { "data-risk-code": row.riskCode },
      element("th", { scope: "row" }, groupWords(row.riskCode)),
      element("td", {}, row.efsPercent + " %" + (row.plusMinus ? " ± " + row.plusMinus : "")),
      element("td", {}, { mine: "the patient's group", possible: "still possible", "": "" }[standing(row.riskCode, result)])));
    return [element("caption", {}, "The figure's numbers"), element("thead", {}, head), element("tbody", {}, ...body)];
  }

  async function show(endpoint, scheme, result) {
    const query = document.getElementById("chart-query");
    const text = query ? query.content.textContent.trim() : "";
    if (!text) return;
    const rows = (await sparqlRows(endpoint, text)).filter((row) => row.scheme === scheme.label);
    if (rows.length === 0) return;
    const groupWords = (code) => (scheme.groups.find((group) => group.code === code) || { words: code }).words;
    document.getElementById("chart").replaceChildren(drawSvg(rows, result, groupWords));
    document.getElementById("chart-legend").replaceChildren(...legend(result));
    const caption = document.getElementById("chart-caption");
    caption.replaceChildren("10-year event-free survival (EFS, % ± its plus-or-minus value) by group of the " + rows[0].scheme + ". Source: ");
    caption.appendChild(element("a", { href: rows[0].source }, rows[0].source.replace(/^https?:\/\//, "")));
    caption.append(", " + rows[0].section + ".");
    document.getElementById("chart-table").replaceChildren(...table(rows, result, groupWords));
    document.getElementById("outcome-chart").hidden = false;
  }

  window.pedallChart = { show: show };
})();
