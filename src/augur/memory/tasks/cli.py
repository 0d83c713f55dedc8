"""`augur memory eval | compare | tasks`: REM's small-model tasks on the frozen harness.

    augur memory eval --task query --model retrieval [--split test] [--limit 50] [--json]
    augur memory eval --task query --model llamacpp --shots 4
    augur memory compare --models search-all retrieval llamacpp --out reports/rem-query
    augur memory eval --task edges --model scorer --split val
    augur memory compare --task edges --models none time cosine scorer
    augur memory tasks verify          (the task harness's manifest)
    augur memory tasks seal            (after an amendment: new REM_TASKS_VERSION first)
    augur memory tasks sft --split train --out rows.jsonl   (rows for `augur llm finetune`)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from augur.cliargs import positive_int
from augur.memory.tasks.harness.data import QUERY_SPLITS

TASKS = ("query", "edges")
EDGE_MODELS = ("none", "time", "cosine", "scorer")
DEFAULT_MODELS = {"query": ["search-all", "retrieval"], "edges": list(EDGE_MODELS)}


def add_task_arguments(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("eval", help="score one model on a task's frozen split",
                        description=__doc__,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(ev)
    ev.add_argument("--model", default=None,
                    help="query: search-all, retrieval, fast, or an LLM backend spec: "
                         "llamacpp[:FILE], transformers[:PATH], openai:URL#MODEL (default "
                         "retrieval); edges: none, time, cosine, scorer (default scorer)")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--predictions", type=Path, default=None,
                    help="also write each request's answer as JSON lines here")
    ev.set_defaults(func=_cmd_eval)

    cmp_ = sub.add_parser("compare", help="models x metrics on a split: a table and a chart")
    _common(cmp_)
    cmp_.add_argument("--models", nargs="+", default=None,
                      help="model names as for eval (default: search-all retrieval for "
                           "query; none time cosine scorer for edges)")
    cmp_.add_argument("--out", type=Path, default=None,
                      help="folder for compare.json and compare.png (default "
                           "reports/rem-query or reports/rem-edges)")
    cmp_.set_defaults(func=_cmd_compare)

    tasks = sub.add_parser("tasks", help="verify or seal the frozen task harness")
    tsub = tasks.add_subparsers(dest="tasks_command", required=True)
    tsub.add_parser("verify", help="check the task harness's code and data checksums"
                    ).set_defaults(func=_cmd_verify)
    seal = tsub.add_parser("seal", help="write a new manifest (needs a new REM_TASKS_VERSION "
                                        "and a CHANGELOG entry 'rem-tasks vN')")
    seal.add_argument("--changelog", type=Path, default=Path("CHANGELOG.md"))
    seal.set_defaults(func=_cmd_seal)
    sft = tsub.add_parser("sft", help="write a split as chat rows for `augur llm finetune`")
    sft.add_argument("--task", choices=TASKS, default="query", help="which task (default query)")
    sft.add_argument("--split", choices=("train", "val"), default="train",
                     help="train or val (test splits are never trained on)")
    sft.add_argument("--out", type=Path, required=True, help="JSON Lines file to write")
    sft.set_defaults(func=_cmd_sft)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", choices=TASKS, default="query", help="which task (default query)")
    p.add_argument("--split", choices=QUERY_SPLITS, default="test",
                   help="frozen split to score (default test; 'handwritten' is task 1's "
                        "second test; edges has train, val and test)")
    p.add_argument("--limit", type=positive_int("--limit"), default=None,
                   help="score only the first N examples of the split")
    p.add_argument("--shots", type=positive_int("--shots", minimum=0), default=4,
                   help="retrieved worked examples in an LLM's prompt (default 4; 0 for a "
                        "fine-tuned model, which was trained on zero-shot prompts)")


def _run(name: str, args) -> tuple[dict, list]:
    if args.task == "edges":
        return _run_edges(name, args)
    from augur.memory.tasks.harness.evaluate import evaluate_query_model
    from augur.memory.tasks.query_models import make_query_model

    model = make_query_model(name, shots=args.shots)
    try:
        return evaluate_query_model(model, args.split, args.limit)
    finally:
        backend = getattr(model, "backend", None)
        if backend is not None:
            backend.close()


def _run_edges(name: str, args) -> tuple[dict, list]:
    from augur.memory.tasks.edge_models import harness_vectors, make_edge_model
    from augur.memory.tasks.harness.data import EDGE_SPLITS
    from augur.memory.tasks.harness.evaluate import evaluate_edge_model

    if args.split not in EDGE_SPLITS:
        raise ValueError(f"--split: task edges has {', '.join(EDGE_SPLITS)}, got {args.split!r}")
    if name not in EDGE_MODELS:
        raise ValueError(f"--model: expected one of {', '.join(EDGE_MODELS)} for task edges, "
                         f"got {name!r}")
    if name in ("cosine", "scorer") and getattr(args, "_vectors", None) is None:
        args._vectors = harness_vectors()  # shared by the models of one compare
    return evaluate_edge_model(make_edge_model(name, getattr(args, "_vectors", None)),
                               args.split, args.limit)


def _write_edge_predictions(args, preds: list) -> None:
    from augur.memory.tasks.harness.data import edge_examples

    with open(args.predictions, "w") as f:
        for ex, p in zip(edge_examples(args.split), preds, strict=False):
            f.write(json.dumps({"id": ex.id, "source": ex.source.id, "candidate": ex.candidate.id,
                                "gold": {"affinity": ex.affinity, "type": ex.type},
                                "answer": p.output.model_dump() if p.valid else None,
                                "latency_ms": round(p.latency_ms, 4)}) + "\n")


def _cmd_eval(args) -> int:
    args.model = args.model or ("scorer" if args.task == "edges" else "retrieval")
    report, preds = _run(args.model, args)
    if args.predictions is not None and args.task == "edges":
        args.predictions.parent.mkdir(parents=True, exist_ok=True)
        _write_edge_predictions(args, preds)
    elif args.predictions is not None:
        from augur.memory.tasks.harness.data import query_examples
        from augur.memory.tasks.harness.query_schema import answer_text

        examples = query_examples(args.split)
        args.predictions.parent.mkdir(parents=True, exist_ok=True)
        with open(args.predictions, "w") as f:
            for ex, p in zip(examples, preds, strict=False):
                f.write(json.dumps({"id": ex.id, "text": ex.text, "gold": ex.query,
                                    "answer": answer_text(p.output) if p.valid else None,
                                    "valid": p.valid, "error": p.error,
                                    "latency_ms": round(p.latency_ms, 3)}) + "\n")
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(_table([report]))
    return 0


EDGE_METRICS = ("precision", "recall", "f1", "pearson", "type_accuracy", "type_accuracy_edges")


METRICS = ("intent_accuracy", "validity", "parameter_accuracy", "exact_match",
           "execution_success", "execution_accuracy", "refusal_precision", "refusal_recall")


def _metrics(reports: list[dict]) -> tuple[str, ...]:
    return EDGE_METRICS if reports[0]["task"] == "edges" else METRICS


def _table(reports: list[dict]) -> str:
    metrics, edges = _metrics(reports), reports[0]["task"] == "edges"
    head = f"{'model':28s} " + " ".join(f"{m.replace('_', ' ')[:11]:>11s}" for m in metrics)
    head += f" {'ms/pair p50' if edges else 'p50 ms':>8s}"
    lines = [head]
    for r in reports:
        cells = " ".join(f"{r[m]:11.3f}" if isinstance(r.get(m), float | int) else f"{'-':>11s}"
                         for m in metrics)
        p50 = r["latency_ms_per_pair" if edges else "latency_ms"]["p50"]
        lines.append(f"{r['model'][:28]:28s} {cells} {p50:{'11.3f' if edges else '8.1f'}}")
    return "\n".join(lines)


def _cmd_compare(args) -> int:
    args.models = args.models or DEFAULT_MODELS[args.task]
    args.out = args.out or Path(f"reports/rem-{args.task}")
    reports = []
    for name in args.models:
        report, _ = _run(name, args)
        reports.append(report)
        print(f"{name}: done", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compare.json").write_text(json.dumps(reports, indent=1) + "\n")
    _chart(reports, args.out / "compare.png")
    print(_table(reports))
    print(f"wrote {args.out / 'compare.json'} and {args.out / 'compare.png'}", file=sys.stderr)
    return 0


def _chart(reports: list[dict], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[llm]'): no chart",
              file=sys.stderr)
        return
    metrics = _metrics(reports)
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.8 / max(1, len(reports))
    for i, r in enumerate(reports):
        vals = [r.get(m) or 0.0 for m in metrics]
        ax.bar([x + i * width for x in range(len(metrics))], vals, width, label=r["model"])
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(metrics))],
                  [m.replace("_", "\n") for m in metrics], fontsize=8)
    ax.set_ylim(0, 1)
    what = ("task 1", "requests") if reports[0]["task"] == "query" else ("task 2, edges", "pairs")
    ax.set_title(f"REM {what[0]} ({reports[0]['split']}, {reports[0]['examples']} {what[1]})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _cmd_verify(args) -> int:
    from augur.memory.tasks.harness.manifest import verify

    m = verify()
    print(f"rem-tasks v{m['version']}: {len(m['code'])} code files and {len(m['data'])} "
          "datasets match the manifest")
    return 0


def _cmd_seal(args) -> int:
    from augur.memory.tasks.harness.manifest import seal

    m = seal(args.changelog)
    print(f"sealed rem-tasks v{m['version']}: {len(m['code'])} code files, "
          f"{len(m['data'])} datasets")
    return 0


def _cmd_sft(args) -> int:
    from augur.memory.tasks.edges import EdgesTask
    from augur.memory.tasks.query import QueryTask

    rows = (EdgesTask() if args.task == "edges" else QueryTask()).sft_rows(args.split)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(args.out.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    tmp.replace(args.out)
    print(f"wrote {len(rows)} {args.task} rows ({args.split}) to {args.out}")
    return 0
