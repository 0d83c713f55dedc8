"""Task 1's metrics (the seed's), computed the same way for every model.

- intent_accuracy: the operation chosen (REFUSE counts as one) equals the gold's;
- validity: the answer parsed and type-checked (a refusal is valid);
- parameter_accuracy: per gold query, the share of its parameters (query_text, key,
  table_name, project, time_filter, depth, sql, ...) the answer has exactly equal;
  0 when the operation is wrong; averaged over examples whose gold is a query;
- exact_match: the canonical texts are equal (a refusal matches a refusal);
- execution_success: over gold queries, the answer is a query that runs on the
  memory without error;
- execution_accuracy: over all examples, the answer returns the same rows as the
  gold (row ids as a set for LOOKUP, SEARCH, FUZZY and TRAVERSE; the rows' values,
  in order when the SQL orders them, for SQL), or refuses when the gold refuses;
- refusal_precision / refusal_recall; latency_ms p50 / p99 per request.

Execution runs without an embedder (SEARCH is BM25 and entity matches only), so
gold and answer are executed the same way, deterministically and cheaply.
"""

from __future__ import annotations

import statistics
from typing import Any

from augur.memory.dialect import parse
from augur.memory.tasks.harness.examples import QueryExample


def _params(text: str) -> dict[str, Any]:
    q = parse(text)
    return {"query_type": q.query_type, **q.model_dump(mode="json", exclude={"query_type"})}


def _rows(executor, text: str, cache: dict) -> tuple | None:
    """A comparable form of the query's answer; None when it fails."""
    if text in cache:
        return cache[text]
    try:
        res = executor.run(text)
    except Exception:  # noqa: BLE001 - any failure to execute is an execution failure
        cache[text] = None
        return None
    if res.query.query_type == "SQL":
        values = [tuple(str(v) for v in r.values()) for r in res.rows]
        ordered = " order by " in text.lower()
        out = ("SQL", tuple(values) if ordered else tuple(sorted(values)))
    else:
        out = (res.query.query_type, tuple(sorted(str(r.get("id")) for r in res.rows)))
    cache[text] = out
    return out


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 3) if xs else 0.0


def score_queries(examples: list[QueryExample], valid: list[bool], texts: list[str | None],
                  latencies_ms: list[float], executor=None) -> dict[str, Any]:
    """`texts[i]`: the answer's canonical text (None: a refusal when valid[i], else no
    usable answer). Without an executor the execution metrics are left out."""
    n = len(examples)
    if not (len(valid) == len(texts) == len(latencies_ms) == n):
        raise ValueError(f"score_queries: {n} examples but {len(valid)} validity flags, "
                         f"{len(texts)} answers and {len(latencies_ms)} latencies")
    if n == 0:
        raise ValueError("score_queries: no examples to score")
    ops = [(parse(t).query_type if t is not None else "REFUSE") if v else "INVALID"
           for v, t in zip(valid, texts, strict=True)]
    intent = sum(o == ex.op for o, ex in zip(ops, examples, strict=True)) / n
    exact = sum(v and t == ex.query for v, t, ex in zip(valid, texts, examples, strict=True)) / n
    gold_q = [i for i, ex in enumerate(examples) if ex.query is not None]
    per_field = []
    for i in gold_q:
        want = _params(examples[i].query)
        got = _params(texts[i]) if ops[i] == examples[i].op else {}
        keys = [k for k in want if k != "query_type"]
        per_field.append(sum(got.get(k) == want[k] for k in keys) / max(1, len(keys)))
    refused = [o == "REFUSE" for o in ops]
    gold_refuse = [ex.op == "REFUSE" for ex in examples]
    tp = sum(a and b for a, b in zip(refused, gold_refuse, strict=True))
    report: dict[str, Any] = {
        "examples": n,
        "intent_accuracy": round(intent, 4),
        "validity": round(sum(valid) / n, 4),
        "parameter_accuracy": round(statistics.fmean(per_field), 4) if per_field else None,
        "exact_match": round(exact, 4),
        "refusal_precision": round(tp / sum(refused), 4) if sum(refused) else None,
        "refusal_recall": round(tp / sum(gold_refuse), 4) if sum(gold_refuse) else None,
        "latency_ms": {"p50": _pct(latencies_ms, 0.5), "p99": _pct(latencies_ms, 0.99)},
    }
    if executor is not None:
        cache: dict = {}
        success = correct = 0
        for i, ex in enumerate(examples):
            if ex.query is None:
                correct += ops[i] == "REFUSE"
                continue
            got = _rows(executor, texts[i], cache) if ops[i] not in ("REFUSE",
                                                                     "INVALID") else None
            success += got is not None
            correct += got is not None and got == _rows(executor, ex.query, cache)
        report["execution_success"] = round(success / len(gold_q), 4) if gold_q else None
        report["execution_accuracy"] = round(correct / n, 4)
    return report
