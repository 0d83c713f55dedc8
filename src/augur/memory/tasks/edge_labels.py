"""Task 2 scored on people's labels (the annotation page, /playground/annotate) instead
of the world's: `augur memory eval --task edges --labels human`.

Each saved label (store/labels.py) becomes one EdgeExample: its source and candidate as
a model sees them (from the frozen splits when the harness has them, else from the
memory's resources table, content clipped the same way), the person's affinity and
type as the gold. A pair two people labelled counts twice. The metrics are the
harness's own (`score_edges`), and a source's candidates go to a model in one batch,
timed by `evaluate_edge_model` itself. The people's ratings of the reasons and
topics (1 to 5) are reported beside, per model that wrote them.
"""

from __future__ import annotations

from typing import Any

from augur.errors import AugurError
from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness.edge_schema import EdgeExample, EdgeResource


class NoLabelsError(AugurError):
    """No stored label can be scored."""


def _resource(store, rid: str, known: dict[str, EdgeResource]) -> EdgeResource | None:
    if rid in known:
        return known[rid]
    row = store.get("resources", rid)
    if row is None:
        return None
    known[rid] = EdgeResource(id=rid, kind=row["kind"] or "resource", name=row["name"],
                              content=(row["content"] or "")[:C.EDGE_CONTENT_CHARS],
                              created_at=row["created_at"])
    return known[rid]


def human_examples(store, annotator: str | None = None, where: str = "the memory"
                   ) -> tuple[list[EdgeExample], dict[str, Any]]:
    """(examples, what was used) from the labels in `store` (of one annotator), sorted
    by source so a source's pairs are consecutive. NoLabelsError when none can be used."""
    from augur.memory.tasks.harness.data import EDGE_SPLITS, edge_examples

    labels = store.edge_labels(annotator)
    who = f" by {annotator!r}" if annotator else ""
    if not labels:
        raise NoLabelsError(f"no human edge labels{who} in {where}: label pairs at "
                            "/playground/annotate (`augur serve --memory` on this store) "
                            "first, or drop --annotator")
    known = {r.id: r for s in EDGE_SPLITS for ex in edge_examples(s)
             for r in (ex.source, ex.candidate)}
    examples, missing = [], set()
    for lab in sorted(labels, key=lambda r: (r["source"], r["annotator"], r["candidate"])):
        source, candidate = (_resource(store, lab["source"], known),
                             _resource(store, lab["candidate"], known))
        if source is None or candidate is None:
            missing.update(i for i, r in ((lab["source"], source),
                                          (lab["candidate"], candidate)) if r is None)
            continue
        examples.append(EdgeExample(
            id=f"{lab['annotator']}:{source.id}->{candidate.id}", source=source,
            candidate=candidate, affinity=lab["affinity"], type=lab["type"], split="test",
            tags=["human", lab["annotator"]]))
    if not examples:
        raise NoLabelsError(f"none of the {len(labels)} human edge labels{who} in {where} "
                            f"names resources the harness or the memory holds (missing: "
                            f"{', '.join(sorted(missing)[:5])})")
    used = {"labels": len(labels), "labels_used": len(examples),
            "pairs": len({(ex.source.id, ex.candidate.id) for ex in examples}),
            "annotators": sorted({ex.tags[1] for ex in examples}),
            "unknown_resources": sorted(missing), "usefulness": _usefulness(labels)}
    return examples, used


def _usefulness(labels: list[dict]) -> dict[str, dict[str, Any]]:
    """Per model whose answers were rated: mean rating (1-5) of its reasons and topics."""
    out: dict[str, dict[str, Any]] = {}
    for model in sorted({lab["model"] or "unknown" for lab in labels}):
        mine = [lab for lab in labels if (lab["model"] or "unknown") == model]
        row: dict[str, Any] = {}
        for what in ("reason", "topics"):
            rated = [lab[f"{what}_useful"] for lab in mine if lab[f"{what}_useful"]]
            row[f"{what}_rated"] = len(rated)
            row[f"{what}_mean"] = round(sum(rated) / len(rated), 3) if rated else None
        if row["reason_rated"] or row["topics_rated"]:
            out[model] = row
    return out


def evaluate_edge_labels(model, examples: list[EdgeExample], used: dict[str, Any],
                         progress: bool = True) -> tuple[dict[str, Any], list]:
    """(report, predictions) of `model` on human-labelled examples (human_examples),
    scored and timed by the harness's own edge evaluation."""
    from augur.memory.tasks.harness.evaluate import evaluate_edge_model

    report, preds = evaluate_edge_model(model, "human", progress=progress, examples=examples)
    head = {k: report[k] for k in ("task", "model", "split", "rem_tasks_version")}
    return {**head, **used, **report}, preds
