"""Schema and text handling around structured output (no model needed)."""

from __future__ import annotations

import pytest

from augur.llm.llamacpp import enumerate_int_ranges
from augur.llm.structured import extract_json


@pytest.mark.parametrize("text, expected", [
    ('{"tip": "x", "minutes": 3}', '{"tip": "x", "minutes": 3}'),
    ('Sure! Here it is:\n```json\n{"tip": "x", "minutes": 3}\n```\nEnjoy.',
     '{"tip": "x", "minutes": 3}'),
    ('Answer: {"tip": "a {brace} inside", "minutes": 3} and more {"b": 1}',
     '{"tip": "a {brace} inside", "minutes": 3}'),
    ('{not json} then {"a": {"b": [1, 2]}} trailing', '{"a": {"b": [1, 2]}}'),
    ("no object here", "no object here"),
])
def test_extract_json_finds_the_first_object(text, expected):
    assert extract_json(text) == expected


def test_small_integer_ranges_become_enums_for_the_grammar():
    schema = {"type": "object", "$defs": {"Inner": {"type": "integer", "minimum": 0,
                                                    "maximum": 2, "title": "Inner"}},
              "properties": {
                  "score": {"type": "integer", "minimum": 1, "maximum": 5},
                  "open": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 4},
                  "wide": {"type": "integer", "minimum": 0, "maximum": 10_000},
                  "half": {"type": "integer", "minimum": 0},
                  "ratio": {"type": "number", "minimum": 0, "maximum": 1},
                  "many": {"type": "array", "items": {"type": "integer", "minimum": 7,
                                                      "maximum": 8}}}}
    out = enumerate_int_ranges(schema)
    props = out["properties"]
    assert props["score"] == {"enum": [1, 2, 3, 4, 5]}
    assert props["open"] == {"enum": [1, 2, 3]}
    assert props["many"]["items"] == {"enum": [7, 8]}
    assert out["$defs"]["Inner"] == {"title": "Inner", "enum": [0, 1, 2]}
    for unchanged in ("wide", "half", "ratio"):
        assert props[unchanged] == schema["properties"][unchanged]
