"""The exact text of SPARQL results in CSV and TSV where pyoxigraph's writers fall short,
and ASK answers in those formats (which the W3C note leaves undefined).

- CSV (SPARQL 1.1 Query Results CSV and TSV Formats, section 2): one header line of
  variable names, then one line a solution, lines ending in CRLF; an IRI as its text, a
  literal as its lexical form, a blank node as ``_:label``, nothing for an unbound
  variable. A field holding a comma, a double quote, a CR or an LF is quoted, its quotes
  doubled: an IRI with a comma too (pyoxigraph leaves IRIs unquoted). An empty literal is
  ``""``, so it differs from an unbound variable (as Apache Jena writes it).
- ASK: CSV ``_askResult`` CRLF ``true`` CRLF, TSV ``?_askResult`` LF ``true`` LF: the
  form Apache Jena writes and reads back as a boolean (``RowSetReaderCSV``,
  ``RowSetReaderTSV``), and which rdflib and any CSV or TSV reader read as a table of
  one variable and one row.
- XML: a carriage return in a literal is written ``&#xD;``; pyoxigraph writes it raw,
  and an XML parser turns a raw CR into LF (XML 1.0, section 2.11), changing the value.

>>> csv_results(("s", "label"), [("http://example.org/a,b", ""), ("_:b0", None)])
b's,label\\r\\n"http://example.org/a,b",""\\r\\n_:b0,\\r\\n'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

CSV_LINE_END = "\r\n"
_CSV_SPECIAL = (",", '"', "\r", "\n")
ASK_VARIABLE = "_askResult"


def csv_field(text: str | None) -> str:
    """One CSV field: ``None`` (unbound) as nothing, the empty string as ``""``, a text
    with a comma, quote, CR or LF quoted."""
    if text is None:
        return ""
    if text == "" or any(special in text for special in _CSV_SPECIAL):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_results(variables: Sequence[str], rows: Iterable[Sequence[str | None]]) -> bytes:
    """A SELECT result as SPARQL CSV; each row holds the CSV text of each term (see
    ``csv_field``), or ``None`` where the variable is unbound."""
    lines = [",".join(csv_field(name) for name in variables)]
    lines.extend(",".join(csv_field(cell) for cell in row) for row in rows)
    return (CSV_LINE_END.join(lines) + CSV_LINE_END).encode("utf-8")


def ask_csv(boolean: bool) -> bytes:
    """An ASK answer as CSV, in Jena's form."""
    return f"{ASK_VARIABLE}{CSV_LINE_END}{str(boolean).lower()}{CSV_LINE_END}".encode()


def ask_tsv(boolean: bool) -> bytes:
    """An ASK answer as TSV, in Jena's form."""
    return f"?{ASK_VARIABLE}\n{str(boolean).lower()}\n".encode()


def xml_with_escaped_cr(body: bytes) -> bytes:
    """SPARQL XML results as pyoxigraph writes them, with each raw CR written ``&#xD;``.

    pyoxigraph's XML has no line breaks of its own, so every CR in it is in a value.
    """
    return body.replace(b"\r", b"&#xD;")
