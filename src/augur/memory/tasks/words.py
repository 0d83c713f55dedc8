"""The words of a structured answer, written by a small LLM: a moment's name and summary
(task 3), an edge's reason and topic overlap (task 2).

The fast models decide the structure (where a moment starts, its type, topics and
people; whether an edge exists and its type); the LLM is asked only for the words,
and only for what passed, so its cost stays per moment and per edge kept rather than
per line or per candidate pair. Both are tasks on the one interface (tasks/base.py):

    MomentWordsTask   a segment (its lines, type, topics, people) -> {name, summary}
    EdgeWordsTask     a source, a linked candidate and the edge's type
                      -> {reason, topic_overlap}

Their examples come from the frozen harness (harness/evaluate.py: the gold segments,
the gold edges), their metrics from harness/words_metrics.py. Writers are in
writer_models.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from augur.memory.tasks.base import Prediction, Task
from augur.memory.tasks.edges import gold_reason, pair_text
from augur.memory.tasks.harness.edge_schema import EdgeResource
from augur.memory.tasks.harness.evaluate import edge_word_items, moment_word_items
from augur.memory.tasks.harness.moment_schema import MomentLine
from augur.memory.tasks.harness.words_metrics import score_edge_words, score_moment_words

# What a writer reads, kept short: prompt tokens are most of a small model's time on
# a CPU, and a fine-tuning row must hold prompt and answer within its --max-len.
MAX_LINES = 6  # of a segment: its first lines say what it was
LINE_CHARS = 90
CONTENT_CHARS = 120  # of each resource of an edge (its name says most)


class MomentWords(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    summary: str = Field(min_length=1, max_length=400)


class EdgeWords(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Topics first and both required: the grammar writes fields in this order, and a
    # small model that names the topics first keeps its reason to them.
    topic_overlap: list[str] = Field(max_length=8)
    reason: str = Field(min_length=1, max_length=300)


@dataclass(frozen=True)
class MomentDraft:
    """A moment whose structure is decided and whose words are to be written."""

    lines: list[MomentLine]
    moment_type: str
    start: datetime
    end: datetime
    topic_tags: list[str] = field(default_factory=list)
    present_persons: list[str] = field(default_factory=list)
    emotion_tags: list[str] = field(default_factory=list)

    @classmethod
    def of_gold(cls, item) -> MomentDraft:
        """A harness item (transcript, gold segment)."""
        ex, seg = item
        return cls(ex.lines[seg.first:seg.last + 1], seg.moment_type, seg.start, seg.end,
                   seg.topic_tags, seg.present_persons, seg.emotion_tags)

    def text(self) -> str:
        """The writer's view of the moment: its labels, then its first lines."""
        head = [f"type: {self.moment_type}", f"topics: {', '.join(self.topic_tags) or '-'}",
                f"people: {', '.join(self.present_persons) or '-'}",
                f"time: {self.start:%Y-%m-%d %H:%M} to {self.end:%H:%M}"]
        body = [f"{x.ts:%H:%M} {x.speaker}: {x.text[:LINE_CHARS]}"
                for x in self.lines[:MAX_LINES]]
        if len(self.lines) > MAX_LINES:
            body.append(f"(and {len(self.lines) - MAX_LINES} more lines)")
        return "\n".join(head + body)


@dataclass(frozen=True)
class EdgeDraft:
    """An edge whose type is decided and whose words are to be written (an EdgeExample
    has the same three fields)."""

    source: EdgeResource
    candidate: EdgeResource
    type: str


def kind_of(text: str) -> str:
    """The type a writer's input names on its first line ("type: coding")."""
    first = text.split("\n", 1)[0]
    return first.removeprefix("type: ").strip() if first.startswith("type: ") else ""


class MomentWordsTask(Task[MomentWords]):
    name = "moment-words"
    output_model = MomentWords
    system = ("You name one moment of a person's work day and summarise it. You are given "
              "its type, topics, the people present, its time and its first log lines. "
              "Answer JSON {\"name\": a short title of a few words, \"summary\": one "
              "sentence in the second person saying what happened, with the time}.")
    system_brief = "Name and summarise the moment as JSON."

    def examples(self, split: str) -> list[tuple[Any, Any]]:
        return moment_word_items(split)

    def input_text(self, item) -> str:
        return (item if isinstance(item, MomentDraft) else MomentDraft.of_gold(item)).text()

    def target(self, item) -> str:
        _, seg = item
        return json.dumps({"name": seg.name, "summary": seg.summary}, ensure_ascii=False)

    def score(self, predictions: list[Prediction], items: list) -> dict[str, Any]:
        return score_moment_words([seg for _, seg in items],
                                  [(p.output.name, p.output.summary) if p.valid else None
                                   for p in predictions], [p.latency_ms for p in predictions])


class EdgeWordsTask(Task[EdgeWords]):
    name = "edge-words"
    output_model = EdgeWords
    system = ("Two of a person's resources are linked. Given both and the link's type "
              "(PREREQUISITE, CONTINUATION or SEE_ALSO), answer JSON {\"topic_overlap\": "
              "the topics both are about, as one- or two-word lowercase tags, \"reason\": "
              "one short sentence on why they are linked}.")
    system_brief = "Give the link's reason and shared topics as JSON."

    def examples(self, split: str) -> list:
        return edge_word_items(split)

    def input_text(self, example) -> str:
        return edge_text(example.source, example.candidate, example.type)

    def target(self, example) -> str:
        return json.dumps({"topic_overlap": example.topics, "reason": gold_reason(example)},
                          ensure_ascii=False)

    def score(self, predictions: list[Prediction], examples: list) -> dict[str, Any]:
        return score_edge_words(examples, [(p.output.reason, p.output.topic_overlap)
                                           if p.valid else None for p in predictions],
                                [p.latency_ms for p in predictions])


def edge_text(source: EdgeResource, candidate: EdgeResource, edge_type: str) -> str:
    def short(r: EdgeResource) -> EdgeResource:
        return r.model_copy(update={"content": r.content[:CONTENT_CHARS]})

    return f"type: {edge_type}\n{pair_text(short(source), short(candidate))}"
