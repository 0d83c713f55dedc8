"""Rubric tip-v1: how a tip is scored, self-describing and stored with every lab run.

Three 1-5 scales are judged (by a person, an external judge or an LLM); two flags
are computed here from the text alone, so no judge can disagree about them:

    composite = relevance + actionability + tone + 2 * format_ok - overlong   (range 2..17)

Changing a scale, an anchor, a rule or the formula makes scores incomparable with
earlier ones: write a new rubric with a new version instead of editing this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

VERSION = "tip-v1"
SCALES = ("relevance", "actionability", "tone")
MAX_WORDS = 35  # the prompts ask for at most 30; a little slack before it counts as long
MAX_SENTENCES = 2
SCORE_RANGE = (1, 5)

# A tip's text must be the tip alone: no wrapper a UI would have to strip.
_MARKDOWN = re.compile(r"(^\s*([#>*•-]|\d+[.)])\s)|\*\*|__|`", re.MULTILINE)
_PREAMBLE = re.compile(r"^(sure|certainly|of course|here is|here's|as an ai|okay|ok)\b"
                       r"|^(tip|suggestion|answer|response|assistant)\s*:", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_QUOTES = ('"', "'", "“", "”")

RUBRIC: dict[str, Any] = {
    "version": VERSION,
    "about": "Scores one proactive work tip written for a person at a moment of their day, "
             "given the context the generator saw (recent events, open items, profile).",
    "scales": {
        "relevance": {
            "question": "Does the tip address what matters most for this person right now?",
            "anchors": {
                "1": "unrelated to the context, or about something that does not exist",
                "2": "generic advice that would fit anyone at any time",
                "3": "related to the context but not the most pressing item",
                "4": "addresses an important open item or recent event",
                "5": "picks the most pressing item and says why it matters now",
            },
        },
        "actionability": {
            "question": "Can the person act on it at once, knowing exactly what to do?",
            "anchors": {
                "1": "no action at all (a remark, a question back, a summary)",
                "2": "a vague action ('stay on top of email')",
                "3": "a clear action without its object ('reply to the email')",
                "4": "a clear action on a named item ('reply to thread-12')",
                "5": "a named item, the action and when or how ('reply to ben in thread-12 "
                     "before standup')",
            },
        },
        "tone": {
            "question": "Is it respectful, calm and brief, like a trusted colleague?",
            "anchors": {
                "1": "rude, alarming, preachy or robotic",
                "2": "pushy or patronising",
                "3": "neutral but stiff or wordy",
                "4": "friendly and natural",
                "5": "warm, concise and encouraging without fluff",
            },
        },
    },
    "score_range": list(SCORE_RANGE),
    "flags": {
        "format_ok": {
            "computed": "automatically",
            "rule": f"non-empty; one paragraph (no line breaks); at most {MAX_SENTENCES} "
                    "sentences; no markdown (headings, list markers, **, `); no preamble or "
                    "label ('Sure', 'Here is', 'Tip:'); not wrapped in quotes",
        },
        "overlong": {
            "computed": "automatically",
            "rule": f"more than {MAX_WORDS} words",
        },
    },
    "composite": "relevance + actionability + tone + 2 * format_ok - overlong",
    "composite_range": [2, 17],
}


def format_ok(text: str) -> bool:
    """The tip is the tip alone, ready to show as is (see RUBRIC['flags'])."""
    t = text.strip()
    return bool(
        t
        and "\n" not in t
        and not _MARKDOWN.search(t)
        and not _PREAMBLE.search(t)
        and not (t.startswith(_QUOTES) and t.endswith(_QUOTES))
        and len(_SENTENCE_END.findall(t)) <= MAX_SENTENCES
    )


def overlong(text: str) -> bool:
    return len(text.split()) > MAX_WORDS


def flags(text: str) -> dict[str, bool]:
    return {"format_ok": format_ok(text), "overlong": overlong(text)}


def composite(scores: Mapping[str, Any]) -> int:
    """relevance + actionability + tone + 2 * format_ok - overlong."""
    return (int(scores["relevance"]) + int(scores["actionability"]) + int(scores["tone"])
            + 2 * int(bool(scores["format_ok"])) - int(bool(scores["overlong"])))
