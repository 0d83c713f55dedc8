"""Chronicler: for each seed event, search the corpus for what followed, depth by depth,
and write the forecast case with its levels and alternatives.

The outcome at depth d is the document of the WINDOW days after the depth d-1 outcome
(the seed at depth 1) closest, by embedding cosine, to that outcome and the seed
together (the seed keeps the chain on its subject when an outcome is short), less
RECENCY per window of delay: the chain's next step and the one after it both fall in
the window, and of two close matches the next step is the earlier. The
alternatives are the next closest documents of the same window with other words:
plausible, but not what followed. The chain ends early when nothing in the window
comes within MIN_SIMILARITY or there is no alternative to set beside the outcome.

`measure` renders a world-events corpus, where the true chains are known, and reports
Brainstormer's precision and recall of true seeds and the share of true chains
Chronicler recovers per depth (every outcome up to that depth matched, exactly or by
Jaccard > 0.6, as in the forecast harness's match coverage).
"""

from __future__ import annotations

import tempfile
import time
from datetime import date

import numpy as np

from augur.forecast.brainstorm import WINDOW_DAYS, brainstorm, window_mask
from augur.forecast.case import Candidate, Case, Level, Seed
from augur.forecast.corpus import Document, TrueChain, embed_documents, render_world_corpus
from augur.forecast.harness.matching import match_levels, normalise

MIN_SIMILARITY = 0.3  # below this the best later document is taken to be unrelated
ALTERNATIVES = 4
RECENCY = 0.1  # similarity given up per window of delay: a chain's next step, not the
# one after it (also in the window), is the earlier of two close matches


def follow(docs: list[Document], vecs: np.ndarray, seed: int, depth: int = 3,
           window: int = WINDOW_DAYS, alternatives: int = ALTERNATIVES,
           recency: float = RECENCY) -> list[list[int]]:
    """Per depth reached, the document indices [outcome, alternative, ...]."""
    after = window_mask(docs, window)
    days = np.array([d.date.toordinal() for d in docs])
    used, cur, levels = {seed}, seed, []
    for _ in range(depth):
        query = vecs[cur] + vecs[seed]
        sims = vecs @ (query / np.linalg.norm(query))  # (n,)
        sims = sims - recency * (days - days[cur]) / window
        pool = [j for j in np.argsort(-sims) if after[cur, j] and j not in used]
        if not pool or sims[pool[0]] < MIN_SIMILARITY:
            break
        picked, seen = [], {normalise(docs[seed].title)}
        for j in pool:
            key = normalise(docs[j].title)
            if key not in seen:
                picked.append(int(j))
                seen.add(key)
            if len(picked) > alternatives:
                break
        if len(picked) < 2:
            break
        levels.append(picked)
        used.add(picked[0])
        cur = picked[0]
    return levels


def chronicle(docs: list[Document], vecs: np.ndarray, seeds: list[str], depth: int = 3,
              window: int = WINDOW_DAYS) -> list[Case]:
    """A case per seed document name that has at least one level; unknown names raise."""
    index = {d.name: i for i, d in enumerate(docs)}
    missing = [s for s in seeds if s not in index]
    if missing:
        raise ValueError(f"seeds {missing[:3]}: not documents of the corpus; give file names "
                         "from it (as `augur forecast brainstorm` prints them)")
    cases = []
    for name in seeds:
        s = index[name]
        levels = [Level(depth=d, date=docs[found[0]].date.isoformat(), candidates=[
            Candidate(text=docs[j].title, label=int(k == 0)) for k, j in enumerate(found)])
            for d, found in enumerate(follow(docs, vecs, s, depth, window), start=1)]
        if levels:
            cases.append(Case(id=f"chronicle-{name.removesuffix('.txt')}", source="chronicle",
                              seed=Seed(text=docs[s].title, date=docs[s].date.isoformat()),
                              levels=levels))
    return cases


def _recovered(cases: list[Case], chains: list[TrueChain], depth: int) -> list[float]:
    """Share of true chains whose case matches every outcome up to depth d, per d."""
    by_seed = {case.id.removeprefix("chronicle-") + ".txt": case for case in cases}
    hits = np.zeros(depth)
    for chain in chains:
        case = by_seed.get(chain.seed)
        if case is None:
            continue
        found = [lv.candidates[lv.actual].text for lv in case.levels][:depth]
        matches = match_levels([[f] for f in found], list(chain.outcomes[:len(found)]))
        for d in range(depth):
            if d < len(found) and all(m.kind != "none" for m in matches[:d + 1]):
                hits[d] += 1
    return [round(float(h) / max(len(chains), 1), 4) for h in hits]


def measure(n: int = 200, depth: int = 3, filler: int = 200, seed: int = 0,
            embedder=None, llm=None) -> dict:
    """Render n world chains of `depth` plus filler, run both agents, score them."""
    from augur.forecast.corpus import read_corpus
    from augur.forecast.world_events import world_cases

    cases = world_cases(n, seed, depth=depth)
    with tempfile.TemporaryDirectory() as tmp:
        chains = render_world_corpus(cases, tmp, filler=filler, seed=seed)
        docs = read_corpus(tmp)
    t0 = time.perf_counter()
    vecs = embed_documents(docs, embedder)
    t_embed = time.perf_counter() - t0
    true_seeds = {c.seed for c in chains}
    t0 = time.perf_counter()
    proposed = brainstorm(docs, vecs, n=len(chains), llm=llm)
    t_brainstorm = time.perf_counter() - t0
    hit = sum(p.doc in true_seeds for p in proposed)
    t0 = time.perf_counter()
    given = chronicle(docs, vecs, [c.seed for c in chains], depth)
    t_chronicle = time.perf_counter() - t0
    found = chronicle(docs, vecs, [p.doc for p in proposed], depth)
    return {
        "corpus": {"chains": len(chains), "depth": depth, "filler": filler, "seed": seed,
                   "documents": len(docs), "window_days": WINDOW_DAYS},
        "brainstorm": {"proposed": len(proposed), "true_seeds_found": hit,
                       "precision": round(hit / max(len(proposed), 1), 4),
                       "recall": round(hit / max(len(true_seeds), 1), 4),
                       "ranker": "llm" if llm is not None else "embedding"},
        "chronicle_given_true_seeds": {"recovered_by_depth": dict(zip(
            range(1, depth + 1), _recovered(given, chains, depth), strict=True)),
            "cases": len(given)},
        "end_to_end": {"recovered_by_depth": dict(zip(
            range(1, depth + 1), _recovered(found, chains, depth), strict=True)),
            "cases": len(found)},
        "seconds": {"embed": round(t_embed, 2), "brainstorm": round(t_brainstorm, 3),
                    "chronicle": round(t_chronicle, 3)},
    }


def parse_day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{flag} must be a date such as 2023-01-15, got {text!r}") from None
