"""The JSON text of the results: orjson writes what ``json.dumps`` would, byte for byte,
and ``json`` itself writes what orjson would write otherwise."""

from __future__ import annotations

import json

import pytest

from pedall.writers.json_results import indented_json, json_value

VALUES = [
    {"bounds": {"min": 0.01, "max": 50000.0, "min_inclusive": True}, "codes": None},
    {"small": 1e-05, "tiny": [2.371695357005319e-05, -5.1663392114201584e-09]},  # json
    {"large": 1e16, "huge": [1.5e300, -123456789012345.0], "zero": [0.0, -0.0]},
    {"big integer": 2**70, "integer": -(2**63), "words": 'CNS3 \u00e9 \u2028 "quoted"\n'},
    {"empty": [], "nothing": {}, "nested": [[], [{}], {"a": [1, 2.5, None, False]}]},
    [1e-4, 0.0001, 9.999e-05],
    {"a word with e-": "one-sided", "a zero": "0.0000 in words"},
]


@pytest.mark.parametrize("value", VALUES, ids=[str(n) for n in range(len(VALUES))])
def test_indented_json_is_what_json_dumps_writes(value: object) -> None:
    assert indented_json(value) == json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("value", ["P1", 'é \u2028 \x00 \x7f "\\/', "", 3, 2.5, None, True])
def test_a_json_value_is_what_json_dumps_writes(value: object) -> None:
    assert json_value(value) == json.dumps(value, ensure_ascii=False)
