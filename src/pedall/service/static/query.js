"use strict";
// The query page: load a library query into the editor, run it on /sparql, show the answer.
(function () {
  const form = document.getElementById("query-form");
  if (!form) return;
  const editor = document.getElementById("query-text");
  const output = document.getElementById("query-result");
  const status = document.getElementById("query-status");

  for (const button of document.querySelectorAll("#library button[data-query]")) {
    button.addEventListener("click", () => {
      const template = document.getElementById("query-" + button.dataset.query);
      editor.value = template.content.textContent.trim();
      editor.focus();
    });
  }

  function table(answer) {
    const node = document.createElement("table");
    node.className = "results";
    node.id = "result-table";
    if (answer.boolean !== undefined) {
      node.textContent = String(answer.boolean);
      return node;
    }
    const head = document.createElement("tr");
    for (const name of answer.head.vars) {
      const cell = document.createElement("th");
      cell.textContent = name;
      head.appendChild(cell);
    }
    node.appendChild(head);
    for (const binding of answer.results.bindings) {
      const row = document.createElement("tr");
      for (const name of answer.head.vars) {
        const cell = document.createElement("td");
        const term = binding[name];
        if (term && term.type === "uri" && /^https?:\/\//.test(term.value)) {
          const anchor = document.createElement("a");
          const base = "https://w3id.org/pedall/";
          anchor.href = term.value.startsWith(base) ? "/id/" + term.value.slice(base.length) : term.value;
          anchor.textContent = term.value.startsWith(base) ? "pedall:" + term.value.slice(base.length) : term.value;
          cell.appendChild(anchor);
        } else if (term) {
          cell.textContent = term.value;
        }
        row.appendChild(cell);
      }
      node.appendChild(row);
    }
    return node;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "running...";
    output.replaceChildren();
    const started = performance.now();
    try {
      const response = await fetch(form.dataset.sparql, {
        method: "POST",
        headers: {
          "Content-Type": "application/sparql-query",
          Accept: "application/sparql-results+json, text/turtle;q=0.9",
        },
        body: editor.value,
      });
      const type = response.headers.get("Content-Type") || "";
      if (!response.ok) {
        const message = document.createElement("pre");
        message.className = "errors";
        message.textContent = response.status + ": " + (await response.text());
        output.appendChild(message);
      } else if (type.startsWith("application/sparql-results+json")) {
        const answer = await response.json();
        output.appendChild(table(answer));
        if (answer.results) status.dataset.rows = String(answer.results.bindings.length);
      } else {
        const graph = document.createElement("pre");
        graph.className = "graph";
        graph.textContent = await response.text();
        output.appendChild(graph);
      }
      status.textContent = "done in " + Math.round(performance.now() - started) + " ms";
    } catch (error) {
      status.textContent = String(error);
    }
  });
})();
