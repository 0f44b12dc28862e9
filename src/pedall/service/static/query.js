"use strict";
// The query page: a small SPARQL editor (a textarea over a highlighted copy of its text,
// prefix and keyword completion, Ctrl+Enter), library queries, the query kept in the
// page's link (#query=...), results as a sortable table with downloads, errors in full.
(function () {
  const form = document.getElementById("query-form");
  if (!form) return;
  const editor = document.getElementById("query-text");
  const highlight = document.getElementById("query-highlight");
  const completions = document.getElementById("query-completions");
  const output = document.getElementById("query-result");
  const status = document.getElementById("query-status");
  const downloads = document.getElementById("query-downloads");
  const prefixes = (form.dataset.prefixes || "").split(" ").filter(Boolean).map((p) => p + ":");
  const KEYWORDS = ("SELECT CONSTRUCT DESCRIBE ASK WHERE FILTER OPTIONAL UNION MINUS GRAPH BIND " +
    "VALUES DISTINCT REDUCED ORDER BY GROUP HAVING LIMIT OFFSET AS PREFIX BASE NOT EXISTS IN " +
    "COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT STR LANG LANGMATCHES DATATYPE BOUND IRI URI " +
    "BNODE REGEX CONTAINS STRSTARTS STRENDS LCASE UCASE ASC DESC COALESCE IF SEPARATOR a").split(" ");
  const KEYWORD_SET = new Set(KEYWORDS.map((k) => k.toUpperCase()));
  const TOKEN = new RegExp([
    "(#[^\\n]*)",                                   // 1 comment
    "(\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)*')", // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                      // 3 IRI
    "([?$][A-Za-z0-9_]+)",                          // 4 variable
    "([A-Za-z][\\w.-]*:[\\w.%-]*|:[\\w.%-]+)",       // 5 prefixed name
    "(\\b\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?\\b)",    // 6 number
    "([A-Za-z_]+)",                                 // 7 word
  ].join("|"), "g");
  const CLASSES = [null, "tok-comment", "tok-string", "tok-iri", "tok-var", "tok-pname", "tok-number"];

  function escape(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  // The text as HTML with a span per token; the line of an error is marked.
  function render(errorLine) {
    const lines = editor.value.split("\n");
    highlight.innerHTML = lines.map((line, index) => {
      let html = "";
      let last = 0;
      TOKEN.lastIndex = 0;
      for (let match = TOKEN.exec(line); match; match = TOKEN.exec(line)) {
        html += escape(line.slice(last, match.index));
        last = TOKEN.lastIndex;
        const group = match.findIndex((part, position) => position > 0 && part !== undefined);
        const kind = group === 7 ? (KEYWORD_SET.has(match[0].toUpperCase()) ? "tok-keyword" : null) : CLASSES[group];
        html += kind ? '<span class="' + kind + '">' + escape(match[0]) + "</span>" : escape(match[0]);
      }
      html += escape(line.slice(last));
      const marked = index + 1 === errorLine ? ' class="error-line"' : "";
      return "<span" + marked + ">" + (html || " ") + "</span>";
    }).join("\n") + "\n";
    highlight.scrollTop = editor.scrollTop;
    highlight.scrollLeft = editor.scrollLeft;
  }

  // Completion: the word before the caret against the prefixes, keywords and variables.
  let choices = [];
  let chosen = 0;
  function wordBeforeCaret() {
    const before = editor.value.slice(0, editor.selectionStart);
    const match = /[?$]?[A-Za-z_][\w-]*$/.exec(before);
    return match ? match[0] : "";
  }
  function closeCompletions() {
    completions.hidden = true;
    choices = [];
    editor.removeAttribute("aria-activedescendant");
  }
  function openCompletions() {
    const word = wordBeforeCaret();
    if (word.length < 1) return closeCompletions();
    const variables = [...new Set(editor.value.match(/[?$][A-Za-z0-9_]+/g) || [])];
    const pool = word.startsWith("?") || word.startsWith("$") ? variables : prefixes.concat(KEYWORDS);
    const lower = word.toLowerCase();
    choices = pool.filter((item) => item.toLowerCase().startsWith(lower) && item.toLowerCase() !== lower).slice(0, 12);
    if (!choices.length) return closeCompletions();
    chosen = 0;
    completions.replaceChildren(...choices.map((item, index) => {
      const option = document.createElement("li");
      option.id = "completion-" + index;
      option.setAttribute("role", "option");
      option.textContent = item;
      option.addEventListener("mousedown", (event) => { event.preventDefault(); chosen = index; accept(); });
      return option;
    }));
    completions.hidden = false;
    mark();
  }
  function mark() {
    [...completions.children].forEach((option, index) => option.setAttribute("aria-selected", String(index === chosen)));
    editor.setAttribute("aria-activedescendant", "completion-" + chosen);
  }
  function accept() {
    const word = wordBeforeCaret();
    const item = choices[chosen];
    const start = editor.selectionStart - word.length;
    editor.setRangeText(item, start, editor.selectionStart, "end");
    closeCompletions();
    render();
  }

  editor.addEventListener("input", () => { render(); openCompletions(); });
  editor.addEventListener("scroll", () => render());
  editor.addEventListener("blur", closeCompletions);
  editor.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (completions.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      chosen = (chosen + (event.key === "ArrowDown" ? 1 : choices.length - 1)) % choices.length;
      mark();
    } else if (event.key === "Tab" || event.key === "Enter") {
      event.preventDefault();
      accept();
    } else if (event.key === "Escape") {
      closeCompletions();
    }
  });

  function setQuery(text) {
    editor.value = text;
    render();
  }

  for (const button of document.querySelectorAll("#library button[data-query]")) {
    button.addEventListener("click", () => {
      const template = document.getElementById("query-" + button.dataset.query);
      setQuery(template.content.textContent.trim());
      editor.focus();
    });
  }

  // The results: a table sorted by a click on its column heading.
  function cellText(term) {
    return term ? term.value : "";
  }
  function table(answer) {
    const node = document.createElement("table");
    node.className = "results";
    node.id = "result-table";
    if (answer.boolean !== undefined) {
      const row = node.insertRow();
      row.insertCell().textContent = String(answer.boolean);
      return node;
    }
    const vars = answer.head.vars;
    let rows = answer.results.bindings;
    const caption = node.createCaption();
    caption.id = "row-count";
    caption.textContent = rows.length + (rows.length === 1 ? " row" : " rows");
    const head = node.createTHead().insertRow();
    const body = node.createTBody();
    const sortState = { name: null, ascending: true };
    function fill() {
      body.replaceChildren();
      for (const binding of rows) {
        const row = body.insertRow();
        for (const name of vars) {
          const cell = row.insertCell();
          const term = binding[name];
          const base = "https://w3id.org/pedall/";
          if (term && term.type === "uri" && /^https?:\/\//.test(term.value)) {
            const anchor = document.createElement("a");
            anchor.href = term.value.startsWith(base) ? "/id/" + term.value.slice(base.length) : term.value;
            anchor.textContent = term.value.startsWith(base) ? "pedall:" + term.value.slice(base.length) : term.value;
            cell.appendChild(anchor);
          } else {
            cell.textContent = cellText(term);
          }
        }
      }
    }
    for (const name of vars) {
      const cell = document.createElement("th");
      cell.scope = "col";
      cell.setAttribute("aria-sort", "none");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = name;
      button.addEventListener("click", () => {
        sortState.ascending = sortState.name === name ? !sortState.ascending : true;
        sortState.name = name;
        const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
        rows = [...rows].sort((a, b) => collator.compare(cellText(a[name]), cellText(b[name])) * (sortState.ascending ? 1 : -1));
        for (const other of head.cells) other.setAttribute("aria-sort", "none");
        cell.setAttribute("aria-sort", sortState.ascending ? "ascending" : "descending");
        fill();
      });
      cell.appendChild(button);
      head.appendChild(cell);
    }
    fill();
    return node;
  }

  function downloadLinks(text) {
    for (const format of ["csv", "tsv", "json"]) {
      const url = form.dataset.sparql + "?" + new URLSearchParams({ query: text, format: format });
      document.getElementById("download-" + format).href = url;
    }
    downloads.hidden = false;
  }

  async function run() {
    const text = editor.value;
    history.replaceState(null, "", "#query=" + encodeURIComponent(text));
    status.textContent = "running...";
    output.replaceChildren();
    downloads.hidden = true;
    delete status.dataset.rows;
    render();
    const started = performance.now();
    try {
      const response = await fetch(form.dataset.sparql, {
        method: "POST",
        headers: {
          "Content-Type": "application/sparql-query",
          Accept: "application/sparql-results+json, text/turtle;q=0.9",
        },
        body: text,
      });
      const type = response.headers.get("Content-Type") || "";
      if (!response.ok) {
        const message = await response.text();
        const where = /line:\s*(\d+)/.exec(message) || /at (\d+):\d+/.exec(message);
        const box = document.createElement("pre");
        box.className = "errors query-error";
        box.id = "query-error";
        box.setAttribute("role", "alert");
        box.textContent = response.status + " " + response.statusText + ": " + message.trim() +
          (where ? "\n(marked at line " + where[1] + " of the query)" : "");
        output.appendChild(box);
        render(where ? Number(where[1]) : undefined);
        status.textContent = "failed (" + response.status + ")";
        return;
      }
      if (type.startsWith("application/sparql-results+json")) {
        const answer = await response.json();
        output.appendChild(table(answer));
        if (answer.results) status.dataset.rows = String(answer.results.bindings.length);
        downloadLinks(text);
      } else {
        const graph = document.createElement("pre");
        graph.className = "graph";
        graph.textContent = await response.text();
        output.appendChild(graph);
      }
      status.textContent = "done in " + Math.round(performance.now() - started) + " ms";
    } catch (error) {
      status.textContent = "failed: " + String(error);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    closeCompletions();
    run();
  });

  const shared = /^#query=(.*)$/.exec(location.hash);
  if (shared) {
    setQuery(decodeURIComponent(shared[1]));
    run();
  } else {
    render();
  }
})();
