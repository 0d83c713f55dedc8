"""Task 1: a request in words -> the REM query that serves it, or a refusal.

The output model (harness/query_schema.py, frozen with the metrics) is the dialect's
own typed queries plus a refusal; the same union validates an answer and gives an
LLM its grammar. This file is the task's model-facing side: its prompt.
"""

from __future__ import annotations

import json
from typing import Any

from augur.memory.tasks.base import Prediction, Task
from augur.memory.tasks.harness import data as D
from augur.memory.tasks.harness.examples import QueryExample
from augur.memory.tasks.harness.query_metrics import score_queries
from augur.memory.tasks.harness.query_schema import QueryAnswer, Refusal, answer_text

__all__ = ["BRIEF", "SYSTEM", "QueryAnswer", "QueryTask", "Refusal", "answer_json", "answer_text"]


def answer_json(example: QueryExample) -> str:
    """The JSON an LLM should write for a gold example (its worked-example form)."""
    if example.query is None:
        return json.dumps({"query_type": "REFUSE"})
    from augur.memory.dialect import parse

    q = parse(example.query)
    return json.dumps({"query_type": q.query_type, **q.parameters()}, ensure_ascii=False)


SYSTEM = (
    "You turn a person's request about their own memory (emails, documents, pull "
    "requests, tickets, meetings, chats, notes, people, projects) into one REM query, "
    "written as JSON. Operations: LOOKUP an exact id or name (key); SEARCH text with "
    "optional project, kind, person and time_filter (after, before, or during like "
    "'last week'); FUZZY a misspelt name (query_text); TRAVERSE what is linked to a key "
    "(edge_types, depth, as_of); SQL one SELECT over resources, entities, moments, edges, "
    "facts for counts and lists. If the request asks to do something (send, schedule, "
    "delete, write) or is not about the memory, answer {\"query_type\": \"REFUSE\"}.")


# What a fine-tuned model is told: it learnt the operations from the train split.
BRIEF = "Write the REM query for this request about the person's memory as JSON."


class QueryTask(Task[QueryAnswer]):
    name = "query"
    output_model = QueryAnswer
    system, system_brief = SYSTEM, BRIEF

    def examples(self, split: str) -> list[QueryExample]:
        return D.query_examples(split)

    def target(self, example: QueryExample) -> str:
        return answer_json(example)

    def score(self, predictions: list[Prediction], examples: list[QueryExample],
              executor=None) -> dict[str, Any]:
        texts = [answer_text(p.output) if p.valid else None for p in predictions]
        return score_queries(examples, [p.valid for p in predictions], texts,
                             [p.latency_ms for p in predictions], executor)
