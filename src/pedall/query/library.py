"""The query library: the competency questions in ``queries/*.rq`` and their headers.

Each file starts with a grlc-style comment header; the file name is the query's name::

    #+ summary: Targetable lesions and their drugs
    #+ description: Each genetic lesion that a targeted drug acts on, with the drug.
    #+ tags:
    #+   - therapy
    #+   - lesions

``summary`` (one line) and ``description`` are required, ``tags`` optional (a ``- item``
list or a comma-separated line). A value may go on over further lines indented more
than its key. Any other key, a repeated key or a missing one is a ``DataFileError``
naming the file and line, so a broken header fails the tests.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from pedall.errors import DataFileError, UnknownQueryError
from pedall.knowledge.data_files import DataFiles

HEADER_MARK = "#+"
REQUIRED_KEYS = ("summary", "description")
HEADER_KEYS = (*REQUIRED_KEYS, "tags")
QUERY_SUFFIX = ".rq"


@dataclass(frozen=True)
class LibraryQuery:
    """One query: its name (the file name without ``.rq``), header fields and SPARQL text."""

    name: str
    summary: str
    description: str
    tags: tuple[str, ...]
    text: str
    path: Path | None = None


@dataclass(frozen=True)
class QueryHeader:
    """The fields of a query's ``#+`` comment header."""

    summary: str
    description: str
    tags: tuple[str, ...] = ()


def parse_header(text: str, source: str) -> QueryHeader:
    """The ``#+`` header of a query text (``source`` names the text in errors).

    >>> parse_header("#+ summary: Genes\\n#+ description: Genes of lesions.\\nSELECT", "x")
    QueryHeader(summary='Genes', description='Genes of lesions.', tags=())
    """
    fields: dict[str, str] = {}
    tags: list[str] = []
    in_tag_list = False
    continued_key: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith(HEADER_MARK):
            if stripped and not stripped.startswith("#"):
                break  # the header ends where the query begins
            continue
        raw = stripped[len(HEADER_MARK) :]
        content = raw.strip()
        if not content:
            continue
        indented = len(raw) - len(raw.lstrip()) > 1
        where = f"{source}, line {number}"
        if content.startswith("- "):
            if not in_tag_list:
                raise DataFileError(f"{where}: list item {content!r} outside 'tags:'")
            tags.append(content[2:].strip())
            continue
        if indented and continued_key is not None:
            fields[continued_key] += " " + content
            continue
        in_tag_list = False
        key, colon, value = content.partition(":")
        key, value = key.strip(), value.strip()
        if indented or not colon or key not in HEADER_KEYS:
            raise DataFileError(
                f"{where}: expected 'key: value' with a key among {', '.join(HEADER_KEYS)}; "
                f"found {content!r}"
            )
        if key in fields:
            raise DataFileError(f"{where}: {key!r} given twice")
        fields[key] = value
        continued_key = None
        if key == "tags":
            in_tag_list = not value
            tags.extend(item.strip() for item in value.strip("[]").split(",") if item.strip())
        elif not value:
            raise DataFileError(f"{where}: {key!r} is empty")
        else:
            continued_key = key
    missing = [key for key in REQUIRED_KEYS if key not in fields]
    if missing:
        raise DataFileError(
            f"{source}: the '#+' header lacks {', '.join(missing)} "
            "(see queries/README.md for the header format)"
        )
    return QueryHeader(fields["summary"], fields["description"], tuple(tags))


def load_query(path: Path, *, require_header: bool = True) -> LibraryQuery:
    """The query in the ``.rq`` file at ``path``.

    A user's own file (``require_header=False``) may go without a header; its summary is
    then its name.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataFileError(f"{path}: cannot read the query: {error}") from error
    name = path.name.removesuffix(QUERY_SUFFIX)
    has_header = any(line.strip().startswith(HEADER_MARK) for line in text.splitlines())
    if not require_header and not has_header:
        return LibraryQuery(name=name, summary=name, description="", tags=(), text=text, path=path)
    header = parse_header(text, str(path))
    return LibraryQuery(name, header.summary, header.description, header.tags, text, path)


def load_library(files: DataFiles) -> list[LibraryQuery]:
    """Every query of the library (``queries/*.rq``), by name."""
    return [load_query(path) for path in files.query_files()]


def find_query(name_or_path: str, files: DataFiles) -> LibraryQuery:
    """The library query called ``name_or_path``, or the ``.rq`` file at that path.

    An unknown name raises ``UnknownQueryError`` suggesting the closest names.
    """
    path = Path(name_or_path)
    if path.suffix == QUERY_SUFFIX and path.is_file():
        return load_query(path, require_header=False)
    library = {query.name: query for query in load_library(files)}
    name = path.name.removesuffix(QUERY_SUFFIX)
    if name in library and path.parent == Path("."):
        return library[name]
    if path.suffix == QUERY_SUFFIX or path.parent != Path("."):
        raise UnknownQueryError(f"no query file {name_or_path!r}")
    close = difflib.get_close_matches(name, library, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownQueryError(
        f"no query named {name_or_path!r} in the library{hint} "
        "(`pedall query --list` shows them all)"
    )
