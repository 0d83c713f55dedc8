"""`augur memory eval | compare | tasks`: REM's small-model tasks on the frozen harness.

    augur memory eval --task query --model retrieval [--split test] [--limit 50] [--json]
    augur memory eval --task query --model llamacpp --shots 4
    augur memory compare --models search-all retrieval llamacpp --out reports/rem-query
    augur memory eval --task edges --model scorer --split val
    augur memory compare --task edges --models none time cosine scorer
    augur memory eval --task edges --labels human [--annotator ana] [--memory data/memory.db]
    augur memory eval --task moments --model trained --split val
    augur memory compare --task moments --models one fixed tiling trained
    augur memory eval --task moment-words --model llamacpp --split val --limit 60
    augur memory compare --task edge-words --models template runs/writer/gguf/model-q8_0.gguf
    augur memory tasks verify          (the task harness's manifest)
    augur memory tasks seal            (after an amendment: new REM_TASKS_VERSION first)
    augur memory tasks sft --split train --out rows.jsonl   (rows for `augur llm finetune`)

The writer tasks (moment-words, edge-words) score the words an LLM adds to a moment
or an edge, given its structure (words.py, writer_models.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from augur.cliargs import positive_int
from augur.memory.cli import DEFAULT_STORE
from augur.memory.tasks.harness.data import QUERY_SPLITS

TASKS = ("query", "edges", "moments", "moment-words", "edge-words")
WRITER_TASKS = ("moment-words", "edge-words")
EDGE_MODELS = ("none", "time", "cosine", "scorer")
MOMENT_MODELS = ("one", "fixed", "tiling", "trained")
DEFAULT_MODELS = {"query": ["search-all", "retrieval"], "edges": list(EDGE_MODELS),
                  "moments": list(MOMENT_MODELS), "moment-words": ["template", "llamacpp"],
                  "edge-words": ["template", "llamacpp"]}
DEFAULT_MODEL = {"query": "retrieval", "edges": "scorer", "moments": "trained",
                 "moment-words": "template", "edge-words": "template"}


def add_task_arguments(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("eval", help="score one model on a task's frozen split",
                        description=__doc__,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(ev)
    ev.add_argument("--model", default=None,
                    help="query: search-all, retrieval, fast, or an LLM backend spec: "
                         "llamacpp[:FILE], transformers[:PATH], openai:URL#MODEL (default "
                         "retrieval); edges: none, time, cosine, scorer (default scorer); "
                         "moments: one, fixed, tiling, trained (default trained); "
                         "moment-words and edge-words: template (default), llamacpp[:FILE], "
                         "FILE.gguf, transformers[:PATH], openai:URL#MODEL")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--predictions", type=Path, default=None,
                    help="also write each request's answer as JSON lines here")
    ev.set_defaults(func=_cmd_eval)

    cmp_ = sub.add_parser("compare", help="models x metrics on a split: a table and a chart")
    _common(cmp_)
    cmp_.add_argument("--models", nargs="+", default=None,
                      help="model names as for eval (default: search-all retrieval for "
                           "query; none time cosine scorer for edges; one fixed tiling "
                           "trained for moments)")
    cmp_.add_argument("--out", type=Path, default=None,
                      help="folder for compare.json and compare.png (default "
                           "reports/rem-TASK)")
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
                        "second test; edges and moments have train, val and test)")
    p.add_argument("--limit", type=positive_int("--limit"), default=None,
                   help="score only the first N examples of the split")
    p.add_argument("--labels", choices=("harness", "human"), default="harness",
                   help="edges: score on the frozen split's labels (default) or on the "
                        "labels people saved through /playground/annotate in --memory")
    p.add_argument("--annotator", default=None,
                   help="with --labels human: only this person's labels (default everyone's)")
    p.add_argument("--memory", "--store", dest="memory", default=DEFAULT_STORE,
                   help="with --labels human: the memory store holding the labels, a SQLite "
                        f"file or postgresql:// URL (default {DEFAULT_STORE})")
    p.add_argument("--shots", type=positive_int("--shots", minimum=0), default=None,
                   help="worked examples in an LLM's prompt (default 4 for query, 2 for "
                        "the writer tasks; 0 for a fine-tuned model, which was trained on "
                        "zero-shot prompts)")


def _run(name: str, args) -> tuple[dict, list]:
    if args.labels == "human" and args.task != "edges":
        raise ValueError(f"--labels human: only task edges has human labels, got --task "
                         f"{args.task}")
    if args.task == "edges":
        return _run_edges(name, args)
    if args.task == "moments":
        return _run_moments(name, args)
    if args.task in WRITER_TASKS:
        return _run_writer(name, args)
    from augur.memory.tasks.harness.evaluate import evaluate_query_model
    from augur.memory.tasks.query_models import make_query_model

    model = make_query_model(name, shots=4 if args.shots is None else args.shots)
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
    if args.labels == "human":
        from augur.memory.tasks.edge_labels import evaluate_edge_labels

        examples, used = _human_examples(args)
        if args.limit is not None:
            examples = examples[:args.limit]
        return evaluate_edge_labels(make_edge_model(name, getattr(args, "_vectors", None)),
                                    examples, used)
    return evaluate_edge_model(make_edge_model(name, getattr(args, "_vectors", None)),
                               args.split, args.limit)


def _run_moments(name: str, args) -> tuple[dict, list]:
    from augur.memory.tasks.harness.data import MOMENT_SPLITS
    from augur.memory.tasks.harness.evaluate import evaluate_moment_model
    from augur.memory.tasks.moment_models import make_moment_model

    if args.split not in MOMENT_SPLITS:
        raise ValueError(f"--split: task moments has {', '.join(MOMENT_SPLITS)}, "
                         f"got {args.split!r}")
    if name not in MOMENT_MODELS:
        raise ValueError(f"--model: expected one of {', '.join(MOMENT_MODELS)} for task "
                         f"moments, got {name!r}")
    return evaluate_moment_model(make_moment_model(name), args.split, args.limit)


def _run_writer(name: str, args) -> tuple[dict, list]:
    from augur.memory.tasks.harness.data import MOMENT_SPLITS
    from augur.memory.tasks.harness.evaluate import evaluate_edge_writer, evaluate_moment_writer
    from augur.memory.tasks.writer_models import make_writer

    if args.split not in MOMENT_SPLITS:
        raise ValueError(f"--split: task {args.task} has {', '.join(MOMENT_SPLITS)}, "
                         f"got {args.split!r}")
    # Writers default to 2 worked examples (SHOTS): their inputs are long (a segment's
    # lines, two resources), and each shot is paid for in prompt time.
    writer = make_writer(args.task, name, **({} if args.shots is None else
                                             {"shots": args.shots}))
    run = evaluate_moment_writer if args.task == "moment-words" else evaluate_edge_writer
    try:
        return run(writer, args.split, args.limit)
    finally:
        backend = getattr(writer, "backend", None)
        if backend is not None:
            backend.close()


def _write_writer_predictions(args, preds: list) -> None:
    from augur.memory.tasks.harness.evaluate import edge_word_items, moment_word_items

    if args.task == "moment-words":
        ids = [f"{ex.id}#{seg.first}" for ex, seg in moment_word_items(args.split)]
    else:
        ids = [ex.id for ex in edge_word_items(args.split)]
    with open(args.predictions, "w") as f:
        for i, p in zip(ids, preds, strict=False):
            f.write(json.dumps({"id": i, "answer": p.output.model_dump() if p.valid else None,
                                "error": p.error, "latency_ms": round(p.latency_ms, 3)},
                               ensure_ascii=False) + "\n")


def _write_moment_predictions(args, preds: list) -> None:
    from augur.memory.tasks.harness.data import moment_examples

    with open(args.predictions, "w") as f:
        for ex, p in zip(moment_examples(args.split), preds, strict=False):
            f.write(json.dumps({"id": ex.id, "answer": p.output.model_dump(mode="json")
                                if p.valid else None, "error": p.error,
                                "latency_ms": round(p.latency_ms, 3)}) + "\n")


def _human_examples(args) -> tuple[list, dict]:
    """The stored human labels as examples, read once per command (shared by a compare)."""
    if getattr(args, "_human", None) is None:
        from augur.memory.store import open_store
        from augur.memory.tasks.edge_labels import human_examples

        with open_store(args.memory, create=False) as store:
            args._human = human_examples(store, args.annotator, where=str(args.memory))
        examples, used = args._human
        print(f"human labels: {used['labels_used']} of {used['labels']} labels used "
              f"({used['pairs']} pairs, annotators {', '.join(used['annotators'])}"
              + (f"; {len(used['unknown_resources'])} unknown resources skipped"
                 if used["unknown_resources"] else "") + ")", file=sys.stderr)
    return args._human


def _write_edge_predictions(args, preds: list) -> None:
    from augur.memory.tasks.harness.data import edge_examples

    examples = (_human_examples(args)[0] if args.labels == "human"
                else edge_examples(args.split))
    with open(args.predictions, "w") as f:
        for ex, p in zip(examples, preds, strict=False):
            f.write(json.dumps({"id": ex.id, "source": ex.source.id, "candidate": ex.candidate.id,
                                "gold": {"affinity": ex.affinity, "type": ex.type},
                                "answer": p.output.model_dump() if p.valid else None,
                                "latency_ms": round(p.latency_ms, 4)}) + "\n")


def _cmd_eval(args) -> int:
    args.model = args.model or DEFAULT_MODEL[args.task]
    report, preds = _run(args.model, args)
    if args.predictions is not None and args.task != "query":
        args.predictions.parent.mkdir(parents=True, exist_ok=True)
        {"edges": _write_edge_predictions, "moments": _write_moment_predictions}.get(
            args.task, _write_writer_predictions)(args, preds)
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
WORD_METRICS = {"moment-words": ("valid", "name_f1", "summary_rouge_l", "topics_named",
                                 "people_named"),
                "edge-words": ("valid", "topic_precision", "topic_recall", "topic_f1",
                               "reasons_naming_a_topic")}
MOMENT_METRICS = ("boundary_precision", "boundary_recall", "boundary_f1", "pk", "window_diff",
                  "type_accuracy", "emotion_f1_micro", "emotion_f1_macro", "topic_precision",
                  "topic_recall", "participant_accuracy")


METRICS = ("intent_accuracy", "validity", "parameter_accuracy", "exact_match",
           "execution_success", "execution_accuracy", "refusal_precision", "refusal_recall")


def _metrics(reports: list[dict]) -> tuple[str, ...]:
    return {"edges": EDGE_METRICS, "moments": MOMENT_METRICS, **WORD_METRICS}.get(
        reports[0]["task"], METRICS)


# task -> (latency column's title, report key, format)
LATENCY = {"query": ("p50 ms", "latency_ms", "8.1f"),
           "edges": ("ms/pair p50", "latency_ms_per_pair", "11.3f"),
           "moments": ("s/hour p50", "seconds_per_hour", "10.3f"),
           "moment-words": ("ms p50", "latency_ms", "8.1f"),
           "edge-words": ("ms p50", "latency_ms", "8.1f")}


def _table(reports: list[dict]) -> str:
    metrics = _metrics(reports)
    title, key, fmt = LATENCY[reports[0]["task"]]
    head = f"{'model':28s} " + " ".join(f"{m.replace('_', ' ')[:11]:>11s}" for m in metrics)
    head += f" {title:>8s}"
    lines = [head]
    for r in reports:
        cells = " ".join(f"{r[m]:11.3f}" if isinstance(r.get(m), float | int) else f"{'-':>11s}"
                         for m in metrics)
        lines.append(f"{r['model'][:28]:28s} {cells} {r[key]['p50']:{fmt}}")
    return "\n".join(lines)


def _cmd_compare(args) -> int:
    args.models = args.models or DEFAULT_MODELS[args.task]
    human = "-human" if args.labels == "human" else ""
    args.out = args.out or Path(f"reports/rem-{args.task}{human}")
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
    what = {"query": ("task 1", "requests"), "edges": ("task 2, edges", "pairs"),
            "moments": ("task 3, moments", "transcripts"),
            "moment-words": ("task 3, moment names and summaries", "moments"),
            "edge-words": ("task 2, edge reasons and topics", "edges")}[reports[0]["task"]]
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
    from augur.memory.tasks.moments import MomentsTask
    from augur.memory.tasks.query import QueryTask
    from augur.memory.tasks.words import EdgeWordsTask, MomentWordsTask

    task = {"edges": EdgesTask, "moments": MomentsTask, "query": QueryTask,
            "moment-words": MomentWordsTask, "edge-words": EdgeWordsTask}[args.task]()
    rows = task.sft_rows(args.split)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(args.out.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    tmp.replace(args.out)
    print(f"wrote {len(rows)} {args.task} rows ({args.split}) to {args.out}")
    return 0
