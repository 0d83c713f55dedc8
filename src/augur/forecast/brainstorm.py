"""Brainstormer: propose seed events in a date range of a dated corpus.

A seed is an event that starts a chain: later documents follow from it, and nothing
earlier leads to it. With embeddings (the default, fast) a document's score is

    max cosine to the documents of the next WINDOW days - max cosine to those of the
    WINDOW days before

so an outcome in the middle of a chain (it follows something) and filler (nothing
follows it) both score low. With an LLM (`llm=backend`, SmolLM2 by default from the
CLI) the best 3 N by that score are re-ranked: the model answers, under a grammar,
whether each is an event with consequences, and a yes puts it ahead of every no.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from pydantic import BaseModel

from augur.forecast.corpus import Document

WINDOW_DAYS = 30  # how far a consequence may lag what it follows


@dataclass(frozen=True)
class Proposal:
    doc: str  # the document's file name
    date: str
    text: str  # its title
    score: float

    def to_dict(self) -> dict:
        return {"doc": self.doc, "date": self.date, "text": self.text,
                "score": round(self.score, 4)}


class SeedVerdict(BaseModel):
    has_consequences: bool


def window_mask(docs: list[Document], window: int = WINDOW_DAYS) -> np.ndarray:
    """(n, n) bool: mask[i, j] when document j comes 1 to `window` days after i."""
    days = np.array([d.date.toordinal() for d in docs])
    gap = days[None, :] - days[:, None]  # (n, n): j's date - i's date
    return (gap >= 1) & (gap <= window)


def seed_scores(vecs: np.ndarray, docs: list[Document], window: int = WINDOW_DAYS):
    """Each document's seed score (see the module's docstring)."""
    sim = vecs @ vecs.T  # (n, n)
    after = window_mask(docs, window)
    follows = np.where(after, sim, 0.0).max(axis=1)  # best later document
    leads = np.where(after.T, sim, 0.0).max(axis=1)  # best earlier one
    return follows - leads


def brainstorm(docs: list[Document], vecs: np.ndarray, start: date | None = None,
               end: date | None = None, n: int = 20, llm=None,
               window: int = WINDOW_DAYS) -> list[Proposal]:
    """The top `n` seed events dated `start`..`end` (inclusive; None: open), best first."""
    scores = seed_scores(vecs, docs, window)
    inside = [i for i, d in enumerate(docs)
              if (start is None or d.date >= start) and (end is None or d.date <= end)]
    ranked = sorted(inside, key=lambda i: (-scores[i], docs[i].name))
    if llm is not None:
        pool = ranked[:3 * n]
        yes = {i for i in pool if _judge(llm, docs[i])}
        ranked = [i for i in pool if i in yes] + [i for i in pool if i not in yes]
    return [Proposal(docs[i].name, docs[i].date.isoformat(), docs[i].title, float(scores[i]))
            for i in ranked[:n]]


def _judge(backend, doc: Document) -> bool:
    from augur.llm.structured import StructuredOutputError, generate_structured

    messages = [{"role": "system", "content": "You read news headlines and judge whether "
                 "the event will have consequences that later news reports."},
                {"role": "user", "content": f"Headline: {doc.title}\nWill this event lead "
                 "to further events (market moves, lawsuits, price changes)? Answer in "
                 "JSON."}]
    try:
        verdict, _ = generate_structured(backend, messages, SeedVerdict, max_tokens=24,
                                         temperature=0.0, seed=0)
    except StructuredOutputError:
        return False
    return verdict.has_consequences
