"""Benchmark of REM tasks 2 (edges) and 3 (moments); prints one JSON object.

    augur bench rem-tasks [--tasks edges moments words] [--models none time cosine scorer]
                          [--split test] [--limit PAIRS] [--writers template llamacpp
                          runs/writer/gguf/model-q8_0.gguf] [--writer-limit 40]

One key per task under "tasks". Edges: every model scored by the frozen task harness
(augur.memory.tasks.harness.evaluate_edge_model) on the split, a source's candidates
in one batch, each pair charged the batch's time over its candidates (amortised).
Latency twice: with every resource's vector preloaded (as a store holds the vectors
of what it has) and with the new resource's own MiniLM embedding counted (a resource
new to memory; only the models that read vectors, cosine and scorer, pay it; ingest
computes that embedding for the store anyway). Targets (issue 24): precision >= 0.85,
recall >= 0.75, Pearson >= 0.80 and <= 5 ms per pair (median, amortised) for the
scoring model. Moments (task 3): every model of augur.memory.tasks.moment_models
through the harness's evaluate_moment_model, on the first --moment-limit transcripts,
beside the issue's targets (boundary accuracy >= 0.85, type >= 0.80, emotion F1 >= 0.75,
topic precision >= 0.80, <= 2 s per hour of transcript). Words: the writers of moment
names and summaries and of edge reasons and topics (augur.memory.tasks.writer_models)
through evaluate_moment_writer / evaluate_edge_writer, the first --writer-limit items
each (an LLM takes seconds per item here), the template first as the floor. A task
that fails is reported with its error (a crash is a result) and the command exits 1.
"""

from __future__ import annotations

import argparse
import json
import platform

EDGE_TARGETS = {"precision": 0.85, "recall": 0.75, "pearson": 0.80, "ms_per_pair": 5.0}
EDGE_MODELS = ("none", "time", "cosine", "scorer")
MOMENT_TARGETS = {"boundary_accuracy": 0.85, "type_accuracy": 0.80, "emotion_f1_micro": 0.75,
                  "topic_precision": 0.80, "seconds_per_hour": 2.0}
TASKS = ("edges", "moments", "words")
WRITERS = ("template", "llamacpp")


class SourceEmbedded:
    """A task-2 model whose source is embedded inside the timed call, as a resource
    new to memory is: its vector is forgotten before each batch."""

    def __init__(self, model) -> None:
        self.model, self.name = model, model.name

    def predict_batch(self, source, candidates):
        self.model.vectors.text_of.pop(source.id, None)  # so Vectors.get embeds it again
        return self.model.predict_batch(source, candidates)


def _metrics(report: dict) -> dict:
    return {k: v for k, v in report.items()
            if k not in ("task", "model", "split", "rem_tasks_version")}


def bench_edges(args) -> dict:
    from augur.memory.tasks.edge_models import harness_vectors, make_edge_model
    from augur.memory.tasks.harness.constants import EDGE_CANDIDATES
    from augur.memory.tasks.harness.evaluate import evaluate_edge_model

    vectors = harness_vectors(args.embedder)  # every split's resources, from the disk cache
    rows = {}
    for name in args.models:
        model = make_edge_model(name, vectors)
        report, _ = evaluate_edge_model(model, args.split, args.limit, progress=False)
        row = _metrics(report)
        row["latency_ms_per_pair_embedding_counted"] = None  # reads no vectors
        if getattr(model, "vectors", None) is not None:
            counted, _ = evaluate_edge_model(SourceEmbedded(model), args.split, args.limit,
                                             progress=False)
            row["latency_ms_per_pair_embedding_counted"] = counted["latency_ms_per_pair"]
        rows[name] = row
    best = max(rows, key=lambda m: rows[m].get("f1") or 0)
    b = rows[best]
    counted = b["latency_ms_per_pair_embedding_counted"] or b["latency_ms_per_pair"]
    meets = {k: (b.get(k) or 0) >= v for k, v in EDGE_TARGETS.items() if k != "ms_per_pair"}
    meets["ms_per_pair_preloaded"] = b["latency_ms_per_pair"]["p50"] <= EDGE_TARGETS[
        "ms_per_pair"]
    meets["ms_per_pair_embedding_counted"] = counted["p50"] <= EDGE_TARGETS["ms_per_pair"]
    return {"split": args.split, "limit": args.limit, "candidates_per_source": EDGE_CANDIDATES,
            "targets": EDGE_TARGETS, "models": rows, "best": best, "meets": meets}


def bench_moments(args) -> dict:
    from augur.memory.tasks import moment_models as M
    from augur.memory.tasks.harness.evaluate import evaluate_moment_model

    rows = {}
    for name in M.MODELS:
        model = M.make_moment_model(name, embedder=args.embedder)
        report, _ = evaluate_moment_model(model, args.split, args.moment_limit,
                                          progress=False)
        rows[name] = _metrics(report)
    best = max(rows, key=lambda m: rows[m].get("boundary_accuracy") or 0)
    b = rows[best]
    meets = {k: (b.get(k) or 0) >= v for k, v in MOMENT_TARGETS.items()
             if k != "seconds_per_hour"}
    meets["seconds_per_hour"] = b["seconds_per_hour"]["p50"] <= MOMENT_TARGETS[
        "seconds_per_hour"]
    return {"split": args.split, "limit": args.moment_limit, "targets": MOMENT_TARGETS,
            "models": rows, "best": best, "meets": meets}


def bench_words(args) -> dict:
    from augur.memory.tasks.harness.evaluate import evaluate_edge_writer, evaluate_moment_writer
    from augur.memory.tasks.writer_models import make_writer

    out: dict = {"split": args.split, "limit": args.writer_limit}
    for task, run in (("moment-words", evaluate_moment_writer),
                      ("edge-words", evaluate_edge_writer)):
        rows = {}
        for name in args.writers:
            writer = make_writer(task, name)
            try:
                report, _ = run(writer, args.split, args.writer_limit, progress=False)
            finally:
                if getattr(writer, "backend", None) is not None:
                    writer.backend.close()
            rows[report["model"]] = _metrics(report)
        out[task] = rows
    return out


def main() -> None:
    ap = argparse.ArgumentParser(prog="augur bench rem-tasks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS),
                    help="which tasks to run (default: all)")
    ap.add_argument("--models", nargs="+", choices=EDGE_MODELS, default=list(EDGE_MODELS),
                    help="task 2's models (default: all)")
    ap.add_argument("--split", choices=("train", "val", "test"), default="test",
                    help="the frozen split to score (default test)")
    ap.add_argument("--limit", type=int, default=None,
                    help="edges: only the first PAIRS pairs of the split (a smoke run)")
    ap.add_argument("--moment-limit", type=int, default=None,
                    help="moments: only the first N transcripts of the split")
    ap.add_argument("--writers", nargs="+", default=list(WRITERS),
                    help="words: template, llamacpp[:FILE], a tuned FILE.gguf (default: "
                         "template llamacpp)")
    ap.add_argument("--writer-limit", type=int, default=40,
                    help="words: the first N moments and N edges of the split (default 40)")
    args = ap.parse_args()
    for flag, v in (("--limit", args.limit), ("--moment-limit", args.moment_limit),
                    ("--writer-limit", args.writer_limit)):
        if v is not None and v <= 0:
            ap.error(f"{flag} must be a positive number, got {v}")

    import torch
    from threadpoolctl import threadpool_limits

    from augur.memory.embed import Embedder
    from augur.memory.tasks.harness.constants import REM_TASKS_VERSION

    torch.set_num_threads(1)  # one resource at a time, as ingest and the service score
    args.embedder = Embedder()
    report: dict = {"rem_tasks_version": REM_TASKS_VERSION, "machine": platform.machine(),
                    "torch_threads": torch.get_num_threads(), "tasks": {}}
    failed = False
    with threadpool_limits(1, user_api="blas"):
        for task in args.tasks:
            try:
                report["tasks"][task] = {"edges": bench_edges, "moments": bench_moments,
                                         "words": bench_words}[task](args)
            except Exception as e:  # a crash is a result: reported, then exit 1
                report["tasks"][task] = {"error": f"{type(e).__name__}: {e}"}
                failed = True
    print(json.dumps(report, indent=1))
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
