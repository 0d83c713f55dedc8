"""Writers of the words of moments and edges (words.py), side by side.

    template             names and summaries from the labels alone (type, top topic,
                         people, time); reasons from the edge type, topics from the words
                         both names share: the floor
    llamacpp[:FILE]      SmolLM2 (or FILE) with 2 worked examples of the same type from
                         the train split, held to the schema by its grammar
    FILE.gguf            a model `augur llm export` wrote (it carries `augur.adapter`):
                         fine-tuned on the task, asked zero-shot with the brief prompt
    transformers[:PATH], openai:URL#MODEL   other augur.llm backends, as llamacpp

Every writer answers `predict(item) -> Prediction` for a harness item (a (transcript,
gold segment) pair, an EdgeExample) or a draft (MomentDraft, EdgeDraft). `rewrite`
gives moments their names and summaries from a writer, `rewrite_edge` an edge its
reason and topics (`augur memory ingest --writer`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from augur.memory.tasks.base import Prediction, Task
from augur.memory.tasks.harness.words_metrics import tokens
from augur.memory.tasks.llm_model import LLMModel
from augur.memory.tasks.moment_models import template_words
from augur.memory.tasks.words import (
    EdgeDraft,
    EdgeWords,
    EdgeWordsTask,
    MomentDraft,
    MomentWords,
    MomentWordsTask,
    kind_of,
)

WRITERS = ("template", "llamacpp[:FILE.gguf]", "FILE.gguf", "transformers[:PATH]",
           "openai:URL#MODEL")
SHOTS = 2
# Words two names share that say nothing of a topic.
_STOP = frozenset(["the", "and", "for", "with", "from", "into", "about", "your", "this",
                   "that", "what", "when", "have", "will", "notes", "note", "draft",
                   "review", "meeting", "build", "thread", "plan", "update"])


class KindShots:
    """Worked examples for a writer: the shortest train items of the same type as the
    input (its first line, "type: X"), so a small model sees the naming of that type."""

    def __init__(self, task: Task, items: list) -> None:
        if not items:
            raise ValueError("KindShots: expected train items, got none")
        by_len = sorted(items, key=lambda it: len(task.input_text(it)))
        self.by_kind: dict[str, list] = {}
        for it in by_len:
            self.by_kind.setdefault(kind_of(task.input_text(it)), []).append(it)
        self.any = by_len

    def nearest(self, text: str, k: int) -> tuple[list, float]:
        return (self.by_kind.get(kind_of(text)) or self.any)[:k], 0.0


class TemplateMomentWriter:
    name = "template"
    task = MomentWordsTask()

    def predict(self, item) -> Prediction:
        t0 = time.perf_counter()
        d = item if isinstance(item, MomentDraft) else MomentDraft.of_gold(item)
        name, summary = template_words(d.start, d.end, d.moment_type, d.emotion_tags,
                                       d.topic_tags, d.present_persons)
        return Prediction(MomentWords(name=name, summary=summary), text=name,
                          latency_ms=(time.perf_counter() - t0) * 1000)


class TemplateEdgeWriter:
    name = "template"
    task = EdgeWordsTask()

    def predict(self, item) -> Prediction:
        from augur.memory.tasks.edges import REASONS

        t0 = time.perf_counter()
        theirs = set(tokens(item.candidate.name))
        shared = [w for w in dict.fromkeys(tokens(item.source.name))
                  if len(w) > 3 and w not in _STOP and w in theirs]
        reason = REASONS.get(item.type, item.type) + (f": {', '.join(shared)}" if shared else "")
        return Prediction(EdgeWords(reason=reason, topic_overlap=shared[:8]), text=reason,
                          latency_ms=(time.perf_counter() - t0) * 1000)


class LLMWriter:
    """A task's words from an LLM (llm_model.LLMModel), with same-type worked examples
    or, for a fine-tuned model, zero-shot with the brief prompt."""

    def __init__(self, task: Task, backend, k: int, name: str, max_tokens: int) -> None:
        self.task = task
        shots = KindShots(task, task.examples("train")) if k else None
        self.llm = LLMModel(backend, shots, k=k, max_tokens=max_tokens, name=name, task=task)
        self.backend = backend
        self.name = name

    def predict(self, item) -> Prediction:
        return self.llm.predict(self.task.input_text(item))


def rewrite(writer, moments: list, lines: list, progress: bool = False) -> list:
    """`moments` (MomentOuts) with each name and summary from `writer`, the rest
    unchanged; a moment the writer fails on keeps the words it had."""
    from tqdm import tqdm

    out = []
    for m in tqdm(moments, desc=f"{writer.name} writing", unit="moment", file=sys.stderr,
                  disable=not progress):
        own = [x for x in lines if m.start <= x.ts < m.end] or lines[:1]
        p = writer.predict(MomentDraft(own, m.moment_type, m.start, m.end, m.topic_tags,
                                       m.present_persons, m.emotion_tags))
        out.append(m.model_copy(update={"name": p.output.name[:200],
                                        "summary": p.output.summary[:600]})
                   if p.valid else m)
    return out


def rewrite_edge(writer, source, candidate, answer):
    """An EdgeAnswer with its reason and topic overlap from `writer` (unchanged when the
    writer fails or the answer is no edge)."""
    if answer.type == "none":
        return answer
    p = writer.predict(EdgeDraft(source, candidate, answer.type))
    if not p.valid:
        return answer
    meta = answer.metadata.model_copy(update={"topic_overlap": p.output.topic_overlap[:8]})
    return answer.model_copy(update={"reason": p.output.reason[:300], "metadata": meta})


def make_writer(task: str, name: str, shots: int = SHOTS):
    """A writer by name for task "moment-words" or "edge-words" (see the module doc)."""
    if task not in ("moment-words", "edge-words"):
        raise ValueError(f"task: expected moment-words or edge-words, got {task!r}")
    if name == "template":
        return TemplateMomentWriter() if task == "moment-words" else TemplateEdgeWriter()
    from augur.llm.factory import make_backend
    from augur.llm.finetune.export import tuned_adapter

    spec = f"llamacpp:{name}" if name.endswith(".gguf") and ":" not in name else name
    try:
        backend = make_backend(spec)
    except ValueError as e:
        raise ValueError(f"--model: expected one of {', '.join(WRITERS)}; {e}") from None
    _, _, path = spec.partition(":")
    tuned = bool(spec.startswith("llamacpp:") and path and Path(path).is_file()
                 and tuned_adapter(Path(path)))
    k = 0 if tuned else shots
    words = MomentWordsTask() if task == "moment-words" else EdgeWordsTask()
    label = f"{Path(path).name if path else spec} {'tuned' if tuned else f'{k}-shot'}"
    return LLMWriter(words, backend, k, label, max_tokens=120 if task == "moment-words" else 96)


__all__ = ["WRITERS", "EdgeDraft", "KindShots", "LLMWriter", "TemplateEdgeWriter",
           "TemplateMomentWriter", "make_writer", "rewrite", "rewrite_edge"]
