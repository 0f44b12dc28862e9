"""One classification rendered as it appears in pedall's JSON results document, the part
that depends only on the outcome rendered once per outcome."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pedall.classify.result import Classification, Outcome

RENDERED_BODIES = 1 << 17  # bound on the cache of rendered JSON bodies (memory, not data)


@dataclass
class JsonRenderer:
    """A result as ``json.dumps(result.as_dict(), indent=2)`` would write it, nested in the
    results list; the part that depends only on the outcome is rendered once per outcome."""

    _bodies: dict[int, tuple[Outcome, str]] = field(default_factory=dict)

    def render(self, result: Classification) -> str:
        body = self._body(result.outcome)
        head = '    {\n      "patient_id": ' + json_value(result.patient_id)
        extra = "".join(
            f",\n      {json_value(column)}: {json_value(value)}"
            for column, value in result.extra.items()
            if column not in result.outcome.json_keys()
        )
        return f"{head},\n{body}{extra}\n    }}"

    def _body(self, outcome: Outcome) -> str:
        cached = self._bodies.get(id(outcome))
        if cached is not None and cached[0] is outcome:
            return cached[1]
        as_dict = Classification("", outcome).as_dict()
        del as_dict["patient_id"]
        text = json.dumps(as_dict, indent=2, ensure_ascii=False)
        body = "\n".join("    " + line for line in text.splitlines()[1:-1])
        if len(self._bodies) > RENDERED_BODIES:
            self._bodies.clear()
        self._bodies[id(outcome)] = (outcome, body)
        return body


def json_value(value: object) -> str:
    """A value as JSON text (non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False)
