import json

import pytest

from augur.lab.rubric import MAX_WORDS, RUBRIC, SCALES, composite, flags, format_ok, overlong


def test_rubric_is_self_describing_and_json():
    rubric = json.loads(json.dumps(RUBRIC))
    assert rubric["version"] == "tip-v1"
    for name in SCALES:
        assert set(rubric["scales"][name]["anchors"]) == {"1", "2", "3", "4", "5"}
    assert set(rubric["flags"]) == {"format_ok", "overlong"}
    assert all(f["computed"] == "automatically" and f["rule"] for f in rubric["flags"].values())
    assert rubric["composite"] == "relevance + actionability + tone + 2 * format_ok - overlong"


@pytest.mark.parametrize("text, ok", [
    ("Reply to ben's question in thread-12 before standup.", True),
    ("Review pr-21 now. Dara is waiting on it.", True),
    ("", False),
    ("   ", False),
    ("Reply to ben.\nThen review pr-21.", False),
    ("- reply to ben", False),
    ("**Tip**: reply to ben", False),
    ("Sure! Reply to ben.", False),
    ("Here's a tip: reply to ben.", False),
    ("Tip: reply to ben.", False),
    ('"Reply to ben now."', False),
    ("Reply to ben. Review pr-21. Then lunch.", False),
])
def test_format_ok(text, ok):
    assert format_ok(text) is ok


def test_overlong_counts_words():
    assert not overlong(" ".join(["word"] * MAX_WORDS))
    assert overlong(" ".join(["word"] * (MAX_WORDS + 1)))
    assert flags("Reply to ben.") == {"format_ok": True, "overlong": False}


def test_composite_formula():
    base = {"relevance": 4, "actionability": 3, "tone": 5}
    assert composite({**base, "format_ok": True, "overlong": False}) == 14
    assert composite({**base, "format_ok": False, "overlong": True}) == 11
    assert composite({"relevance": 1, "actionability": 1, "tone": 1,
                      "format_ok": False, "overlong": True}) == RUBRIC["composite_range"][0]
