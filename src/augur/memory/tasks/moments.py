"""Task 3: a timestamped transcript or activity log -> its moments.

The output model (harness/moment_schema.py, frozen with the metrics) is
`MomentAnswer`: a list of moments with the seed's fields (name, summary, content,
start, end, moment_type, emotion_tags, topic_tags, present_persons). A model answers
`predict(text)` for a transcript as text (`HH:MM speaker: text` lines, see
`parse_transcript`) or `predict_lines(lines)` for parsed lines (models in
moment_models.py). This file is the task's model-facing side: the prompt for an LLM
and the targets.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from augur.memory.tasks.base import Prediction, Task
from augur.memory.tasks.harness import data as D
from augur.memory.tasks.harness.moment_metrics import score_moments
from augur.memory.tasks.harness.moment_schema import (
    MomentAnswer,
    MomentExample,
    MomentLine,
)

__all__ = ["BRIEF", "SYSTEM", "MomentAnswer", "MomentsTask", "parse_transcript"]

SYSTEM = (
    "You cut a person's timestamped work log or transcript into moments: stretches of "
    "time with one activity. Answer JSON {\"moments\": [...]}, in time order, each with "
    "name, summary, content (what happened, in a sentence or two), start and end (ISO "
    "times taken from the lines), moment_type (problem_solving, coding, meeting, incident, "
    "review, admin, break, planning or reflection), emotion_tags (how it felt: focused, "
    "frustrated, satisfied, busy, relaxed, attentive, engaged, curious, routine, "
    "organised...), topic_tags (projects and topics) and present_persons (the full names "
    "of the people who took part). A new moment starts where the activity changes, often "
    "after a gap in time.")

BRIEF = "Cut the log into moments as JSON."

_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?(?:[+-]\d{2}:?\d{2}|Z)?)"
                   r"\s+([^:]+?):\s*(.*)$")


def parse_transcript(text: str) -> list[MomentLine]:
    """`YYYY-MM-DD HH:MM speaker: text` lines -> MomentLine; a line that does not start
    with a time continues the one before. Raises ValueError naming the first bad line."""
    out: list[MomentLine] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        m = _LINE.match(raw.strip())
        if m is None:
            if not out:
                raise ValueError(f"transcript line {n}: expected 'YYYY-MM-DD HH:MM speaker: "
                                 f"text', got {raw[:80]!r}")
            out[-1] = out[-1].model_copy(update={"text": f"{out[-1].text} {raw.strip()}"})
            continue
        out.append(MomentLine(ts=datetime.fromisoformat(m.group(1)), speaker=m.group(2),
                              text=m.group(3) or "-"))
    if not out:
        raise ValueError("transcript: no lines; expected 'YYYY-MM-DD HH:MM speaker: text' lines")
    return out


class MomentsTask(Task[MomentAnswer]):
    name = "moments"
    output_model = MomentAnswer
    system, system_brief = SYSTEM, BRIEF  # input_text: the transcript (MomentExample.text)

    def examples(self, split: str) -> list[MomentExample]:
        return D.moment_examples(split)

    def target(self, example: MomentExample) -> str:
        moments = []
        for s in example.segments:
            lines = example.lines[s.first:s.last + 1]
            moments.append({
                "name": s.name, "summary": s.summary,
                "content": " ".join(x.text for x in lines)[:600],
                "start": s.start.isoformat(), "end": s.end.isoformat(),
                "moment_type": s.moment_type, "emotion_tags": s.emotion_tags,
                "topic_tags": s.topic_tags, "present_persons": s.present_persons})
        return json.dumps({"moments": moments}, ensure_ascii=False)

    def score(self, predictions: list[Prediction], examples: list[MomentExample]) -> dict:
        return score_moments(examples, [p.output if p.valid else None for p in predictions],
                             [p.latency_ms for p in predictions])
