"""Metrics of the words a writer puts into a structured answer: a moment's name and
summary (task 3), an edge's reason and topic overlap (task 2).

The structure (where a moment starts, an edge's type and score) is scored by the task's
own metrics; here the structure is given (gold segments, gold edges) and only the
words are compared with the world's own: what the simulator called the moment, which
topics the two resources share. Overlap with one reference text is a proxy for
usefulness (a good name can use other words), so the person's ratings on the
annotation page stand beside these numbers; they are what a writer is tuned against.

    token_f1(pred, gold)        bag-of-words F1 (SQuAD's answer F1)
    rouge_l(pred, gold)         F-measure of the longest common word subsequence
    score_moment_words(...)     name F1, summary ROUGE-L, gold topics and people named
    score_edge_words(...)       topic overlap precision / recall / F1, reasons naming
                                a shared topic
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

_TOKEN = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def token_f1(pred: str, gold: str) -> float:
    p, g = Counter(tokens(pred)), Counter(tokens(gold))
    common = sum((p & g).values())
    if not p or not g or common == 0:
        return float(not p and not g)
    precision, recall = common / sum(p.values()), common / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def rouge_l(pred: str, gold: str) -> float:
    p, g = tokens(pred), tokens(gold)
    if not p or not g:
        return float(not p and not g)
    prev = [0] * (len(g) + 1)
    for a in p:  # LCS by rows: O(len(p) * len(g)), short texts
        cur = [0]
        for j, b in enumerate(g):
            cur.append(prev[j] + 1 if a == b else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(p), lcs / len(g)
    return 2 * precision * recall / (precision + recall)


def mentioned(text: str, tag: str) -> bool:
    """Every word of `tag` ("incremental indexing", "Ana Tanaka") is a word of `text`."""
    words = set(tokens(text))
    need = tokens(tag)
    return bool(need) and all(w in words for w in need)


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def _latency(xs: list[float]) -> dict[str, float | None]:
    """p50 and p99 in milliseconds (nearest rank), as the tasks' own reports give them."""
    if not xs:
        return {"p50": None, "p99": None}
    s = sorted(xs)
    p99 = s[min(len(s) - 1, int(0.99 * len(s)))]
    return {"p50": round(s[len(s) // 2], 3), "p99": round(p99, 3)}


def score_moment_words(gold: list[Any], written: list[tuple[str, str] | None],
                       latencies: list[float]) -> dict[str, Any]:
    """gold: GoldSegments; written: (name, summary) per segment, None when the writer
    gave no valid answer (it scores 0 on every word metric)."""
    if len(gold) != len(written) or len(gold) != len(latencies):
        raise ValueError(f"score_moment_words: {len(gold)} segments, {len(written)} answers "
                         f"and {len(latencies)} latencies; expected one of each per segment")
    names, summaries, topics, people = [], [], [], []
    for seg, w in zip(gold, written, strict=True):
        name, summary = w if w is not None else ("", "")
        both = f"{name} {summary}"
        names.append(token_f1(name, seg.name) if w is not None else 0.0)
        summaries.append(rouge_l(summary, seg.summary) if w is not None else 0.0)
        topics += [float(mentioned(both, t)) for t in seg.topic_tags]
        # the person's own name is rarely said; the others present are
        people += [float(mentioned(both, p)) for p in seg.present_persons[1:]]
    return {"examples": len(gold), "valid": _mean([float(w is not None) for w in written]),
            "name_f1": _mean(names), "summary_rouge_l": _mean(summaries),
            "topics_named": _mean(topics), "people_named": _mean(people),
            "latency_ms": _latency(latencies)}


def score_edge_words(examples: list[Any], written: list[tuple[str, list[str]] | None],
                     latencies: list[float]) -> dict[str, Any]:
    """examples: EdgeExamples with a gold edge (type not none); written: (reason,
    topic_overlap) per example, None when invalid. Topics match case-insensitively."""
    if len(examples) != len(written) or len(examples) != len(latencies):
        raise ValueError(f"score_edge_words: {len(examples)} examples, {len(written)} "
                         f"answers and {len(latencies)} latencies; expected one of each")
    if any(ex.type == "none" for ex in examples):
        raise ValueError("score_edge_words: scores the words of real edges only; drop the "
                         "examples whose gold type is none")
    hit = n_pred = n_gold = 0
    reasons = []
    for ex, w in zip(examples, written, strict=True):
        gold = {t.lower() for t in ex.topics}
        reason, pred = w if w is not None else ("", [])
        pred_set = {t.strip().lower() for t in pred if t.strip()}
        hit, n_pred, n_gold = hit + len(pred_set & gold), n_pred + len(pred_set), \
            n_gold + len(gold)
        if gold:
            reasons.append(float(any(mentioned(reason, t) for t in gold)))
    precision = hit / n_pred if n_pred else None
    recall = hit / n_gold if n_gold else None
    f1 = (None if precision is None or recall is None else
          2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return {"examples": len(examples), "valid": _mean([float(w is not None) for w in written]),
            "topic_precision": None if precision is None else round(precision, 4),
            "topic_recall": None if recall is None else round(recall, 4),
            "topic_f1": None if f1 is None else round(f1, 4),
            "reasons_naming_a_topic": _mean(reasons), "latency_ms": _latency(latencies)}
