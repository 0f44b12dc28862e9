"""A query's ``#+`` header as grlc reads it, checked against what pedall reads.

grlc (CLARIAH/grlc, ``gquery.get_yaml_decorators``) takes every line of the file that
starts with ``#+`` in its first column, wherever it is in the file, strips the ``#`` and
``+`` characters that open it, and parses the lines as one YAML document with
``yaml.safe_load``. A header that is not valid YAML is dropped whole, and a decorator of
the wrong type breaks its API page: its swagger builder joins ``tags`` as a list of
strings and appends to ``summary`` and ``description`` as strings (grlc's README,
"Decorator syntax"). pedall's own parser (``pedall.query.library.parse_header``) is more
lenient in places (an indented ``#+``, ``tags: a, b``), so a header passes only when grlc
reads the same summary, description and tags from it as pedall does.
"""

from __future__ import annotations

from typing import Any

from pedall.query.library import HEADER_MARK, LibraryQuery

# The decorators pedall's header parser accepts, with the type grlc's swagger builder needs.
GRLC_DECORATOR_TYPES: dict[str, type] = {"summary": str, "description": str, "tags": list}


def grlc_yaml(text: str) -> str:
    """The YAML text grlc reads from a query: its ``#+`` lines, their mark stripped."""
    return "\n".join(row.lstrip("#+") for row in text.split("\n") if row.startswith(HEADER_MARK))


def grlc_problems(query: LibraryQuery) -> list[str]:
    """What grlc would read otherwise than pedall in ``query``'s header; empty when grlc
    reads the same summary, description and tags."""
    import yaml

    try:
        decorators: Any = yaml.safe_load(grlc_yaml(query.text))
    except yaml.YAMLError as error:
        problem = " ".join(str(error).split())
        return [f"not valid YAML as grlc reads it (grlc drops the whole header): {problem}"]
    if not isinstance(decorators, dict):
        return ["the header is not a YAML mapping as grlc reads it"]
    problems = []
    for key, expected in GRLC_DECORATOR_TYPES.items():
        value = decorators.get(key)
        if value is not None and not isinstance(value, expected):
            problems.append(
                f"grlc reads {key!r} as {type(value).__name__} {value!r}; "
                f"it needs a {expected.__name__}"
            )
    if isinstance(decorators.get("tags"), list) and not all(
        isinstance(tag, str) for tag in decorators["tags"]
    ):
        problems.append(f"grlc reads tags {decorators['tags']!r}; each must be a string")
    if problems:
        return problems
    read_by_grlc = {
        "summary": decorators.get("summary", ""),
        "description": decorators.get("description", ""),
        "tags": tuple(decorators.get("tags") or ()),
    }
    for key, value in read_by_grlc.items():
        if value != getattr(query, key):
            problems.append(
                f"grlc reads {key} {value!r}, pedall reads {getattr(query, key)!r} "
                "(a '#+' line indented, or after the query begins?)"
            )
    return problems
