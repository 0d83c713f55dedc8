"""Models for task 1 behind one interface (`name`, `predict(text) -> Prediction`).

- RetrievalModel: the nearest training request by MiniLM embedding, its gold query
  with the slot values swapped for the words that stand in their place in the new
  request (aligned word by word). The floor every learned model must clear.
- LLMModel (llm_model.py): any augur.llm backend (SmolLM2 through llama.cpp by
  default) asked with the k most similar training requests as worked examples.
"""

from __future__ import annotations

import difflib
import re
import time
from typing import Any

import numpy as np

from augur.memory.dialect import parse
from augur.memory.tasks.base import Prediction, TaskParseError
from augur.memory.tasks.harness.examples import QueryExample
from augur.memory.tasks.llm_model import LLMModel
from augur.memory.tasks.query import QueryAnswer, QueryTask, Refusal

_WORD = re.compile(r"[\w'.-]+|[^\w\s]")


class ShotIndex:
    """Training requests embedded once; nearest ones by cosine."""

    def __init__(self, examples: list[QueryExample], embedder) -> None:
        if not examples:
            raise ValueError("ShotIndex: expected training examples, got none")
        self.examples = examples
        self.embedder = embedder
        self.matrix = embedder.embed([e.text for e in examples])

    def nearest(self, text: str, k: int) -> tuple[list[QueryExample], float]:
        """The k nearest examples, nearest first, and the time the query's embedding took."""
        t0 = time.perf_counter()
        v = self.embedder.embed_one(text)
        ms = (time.perf_counter() - t0) * 1000
        scores = self.matrix @ v
        top = np.argsort(-scores, kind="stable")[:k]
        return [self.examples[i] for i in top], ms


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _span(words: list[str], value: str) -> tuple[int, int] | None:
    """Where the words of `value` occur in `words` (case-insensitive), if they do."""
    target = [w.lower() for w in _words(value)]
    low = [w.lower() for w in words]
    for i in range(len(low) - len(target) + 1):
        if target and low[i:i + len(target)] == target:
            return i, i + len(target)
    return None


def substitute(neighbour_text: str, text: str, value: str) -> str:
    """The words of `text` that stand where `value` stands in `neighbour_text`; `value`
    itself when it is not in the neighbour's words or no aligned words replace it."""
    a, b = _words(neighbour_text), _words(text)
    span = _span(a, value)
    if span is None:
        return value
    i0, i1 = span
    j0 = j1 = None
    ops = difflib.SequenceMatcher(None, [w.lower() for w in a], [w.lower() for w in b],
                                  autojunk=False).get_opcodes()
    for tag, a0, a1, b0, b1 in ops:
        if j0 is None and a0 <= i0 < a1:
            j0 = b0 + (i0 - a0) if tag == "equal" else b0
        if a0 < i1 <= a1:
            j1 = b0 + (i1 - a0) if tag == "equal" else b1
    if j0 is None or j1 is None or j1 <= j0:
        return value
    new = " ".join(b[j0:j1]).strip(" ?.!,;:")
    # Keep the value's own spacing where only the words around it changed.
    return value if new.lower() == " ".join(_words(value)).lower() else (new or value)


def swap_slots(params: Any, neighbour_text: str, text: str) -> Any:
    """Every string parameter (not edge types or dates) swapped by `substitute`."""
    if isinstance(params, dict):
        return {k: swap_slots(v, neighbour_text, text) for k, v in params.items()}
    if isinstance(params, list):
        return [swap_slots(v, neighbour_text, text) for v in params]
    if isinstance(params, str) and not re.fullmatch(r"[A-Z_]+|\d{4}-\d\d-\d\d.*", params):
        return substitute(neighbour_text, text, params)
    return params


def swap_sql_literals(sql: str, neighbour_text: str, text: str) -> str:
    """Every quoted literal of the SQL swapped by `substitute`."""
    def one(m: re.Match) -> str:
        return "'" + substitute(neighbour_text, text, m.group(1)).replace("'", "''") + "'"

    return re.sub(r"'((?:[^']|'')*)'", one, sql)


def answer_from(near: QueryExample, text: str, fill, fill_sql) -> QueryAnswer:
    """The neighbour's gold query with its parameters refilled for `text`: `fill(params,
    near, text)` for an operation's parameters, `fill_sql(sql, near, text)` for SQL.
    ValueError when the result is not a valid query."""
    if near.query is None:
        return QueryAnswer(Refusal())
    q = parse(near.query)
    params = q.parameters()
    if q.query_type == "SQL":
        params["sql"] = fill_sql(params["sql"], near, text)
    else:
        params = fill(params, near, text)
    return QueryAnswer.model_validate({"query_type": q.query_type, **params})


def from_neighbour(near: QueryExample, text: str, t0: float, fill, fill_sql) -> Prediction:
    """`answer_from` as a timed Prediction (started at `t0`), invalid on ValueError."""
    try:
        answer = answer_from(near, text, fill, fill_sql)
        return Prediction(answer, near.query or "REFUSE",
                          latency_ms=(time.perf_counter() - t0) * 1000,
                          extra={"neighbour": near.id})
    except (ValueError, TaskParseError) as e:
        return Prediction(None, near.query or "", error=str(e)[:300],
                          latency_ms=(time.perf_counter() - t0) * 1000,
                          extra={"neighbour": near.id})


class RetrievalModel:
    name = "retrieval"

    def __init__(self, shots: ShotIndex) -> None:
        self.shots = shots

    def predict(self, text: str) -> Prediction:
        t0 = time.perf_counter()
        (near,), _ = self.shots.nearest(text, 1)
        return from_neighbour(
            near, text, t0, lambda p, n, t: swap_slots(p, n.text, t),
            lambda sql, n, t: swap_sql_literals(sql, n.text, t))


class SearchAllModel:
    """The trivial baseline: SEARCH the whole request, never refuse."""

    name = "search-all"

    def predict(self, text: str) -> Prediction:
        t0 = time.perf_counter()
        try:
            answer = QueryAnswer.model_validate({"query_type": "SEARCH",
                                                 "query_text": text[:500]})
        except ValueError as e:
            return Prediction(None, text, error=str(e)[:300])
        return Prediction(answer, text, latency_ms=(time.perf_counter() - t0) * 1000)


MODELS = ("search-all", "retrieval", "fast", "llamacpp[:FILE.gguf]", "transformers[:PATH]",
          "openai:URL#MODEL")


def make_query_model(name: str, train: list[QueryExample] | None = None, embedder=None,
                     shots: int = 4, store=None):
    """A task-1 model by name: search-all, retrieval, fast (reads `store`, default the
    harness's world), or an augur.llm backend spec (llamacpp, transformers:...,
    openai:...) asked with `shots` retrieved examples."""
    if name == "search-all":
        return SearchAllModel()
    if shots == 0 and name not in ("retrieval", "fast"):  # zero-shot: no examples to embed
        return LLMModel(_backend(name), None, k=0, task=QueryTask())
    from augur.memory.embed import Embedder
    from augur.memory.tasks.harness.data import query_examples
    from augur.memory.tasks.shots_cache import cached_shot_index

    # The train requests' embeddings come from the on-disk cache after the first build
    # (embedding 1,000 texts takes about 35 s here).
    index = cached_shot_index(train if train is not None else query_examples("train"),
                              embedder or Embedder())
    if name == "retrieval":
        return RetrievalModel(index)
    if name == "fast":
        from augur.memory.tasks.harness.evaluate import world_executor
        from augur.memory.tasks.query_fast import FastModel

        return FastModel(index, store if store is not None else world_executor().store)
    return LLMModel(_backend(name), index, k=shots, task=QueryTask())


def _backend(name: str):
    from augur.llm.factory import make_backend

    try:
        return make_backend(name)
    except ValueError as e:
        raise ValueError(f"--model: expected one of {', '.join(MODELS)}; {e}") from None
