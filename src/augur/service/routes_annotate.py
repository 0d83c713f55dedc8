"""/memory/annotate and /memory/annotations: people label task 2's edges (the playground's
annotation page, /playground/annotate).

GET /memory/annotate/next hands out a source resource of task 2's frozen test split
and its candidates, as the models see them, each with the served edge model's answer
(score, type, reason, topics: a person may rate how useful the reason and topics
are) and the annotator's saved label, if any. Without `source` it is the first source
the annotator has not labelled every candidate of. POST /memory/annotations saves
labels in the memory store (it changes state, so it needs the bearer token whenever
one is configured); GET /memory/annotations lists them. `augur memory eval --task
edges --labels human` scores the models on them.

The split's examples come from the frozen harness (it checks its manifest) and the
model's answers from the task models' thread; the labels are read and written on
the memory's thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from augur.memory.store.labels import MAX_LABELS, EdgeLabel
from augur.memory.tasks.harness.edge_schema import EdgeAnswer, EdgeResource
from augur.service.deps import require_token
from augur.service.routes_memory import on_memory, on_tasks

router = APIRouter(prefix="/memory", tags=["memory"])
SPLIT = "test"  # the split people label: the one models are scored on

Annotator = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=100)]
_ANNOTATOR = Query(min_length=1, max_length=100, pattern=r"\S",
                   description="who labels (a name; labels are kept per annotator)",
                   examples=["ana"])


class SavedLabel(EdgeLabel):
    annotator: str
    created_at: str


class AnnotateCandidate(BaseModel):
    resource: EdgeResource
    answer: EdgeAnswer | None = Field(description="the served edge model's answer, whose "
                                                  "reason and topics a person may rate")
    label: SavedLabel | None = Field(description="the annotator's saved label, if any")


class AnnotateNext(BaseModel):
    annotator: str
    split: str = Field(description="the task-2 split the pairs come from")
    source: EdgeResource | None = Field(description="null once every source is labelled")
    candidates: list[AnnotateCandidate]
    model: str = Field(description="the model that wrote the answers")
    position: int = Field(description="the source's place in the split, from 1 (0: none)")
    sources: int
    sources_done: int = Field(description="sources whose every candidate is labelled")
    pairs: int
    pairs_done: int = Field(description="pairs of the split this annotator labelled")
    next_source: str | None = Field(description="the next source not fully labelled, after "
                                                "this one (wrapping round); null if none")


class SaveLabelsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    annotator: Annotator = Field(examples=["ana"])
    labels: list[EdgeLabel] = Field(min_length=1, max_length=MAX_LABELS, examples=[[
        {"source": "ticket-12", "candidate": "pr-33", "affinity": 1.0, "type": "PREREQUISITE",
         "reason_useful": 4, "topics_useful": 3, "model": "scorer"}]])


class SaveLabelsResponse(BaseModel):
    annotator: str
    saved: int


class LabelsResponse(BaseModel):
    labels: list[SavedLabel]


def _groups(tasks) -> list[list]:
    """The split's pairs, grouped by source in file order (kept by the task server)."""
    def make():
        from augur.memory.tasks.harness.data import edge_examples

        groups: list[list] = []
        for ex in edge_examples(SPLIT):
            if groups and groups[-1][0].source.id == ex.source.id:
                groups[-1].append(ex)
            else:
                groups.append([ex])
        return groups

    return tasks.shared(f"annotate:{SPLIT}", make)


def _saved(row: dict) -> dict:
    return {**row, "created_at": row["created_at"].isoformat()}


@router.get("/annotate/next", response_model=AnnotateNext, responses={
    404: {"description": "`source` is not a source of the split"},
    503: {"description": "the memory store, the split or the edge model cannot be opened"}})
async def annotate_next(request: Request, annotator: str = _ANNOTATOR,
                        source: str | None = Query(default=None, max_length=300, description=(
                            "a source resource's id (default: the first one this annotator "
                            "has not finished)"))) -> dict:
    """A source of task 2's test split and its candidates to label, with the served
    model's answer and the annotator's saved label for each."""
    annotator = annotator.strip()
    rows = await on_memory(request, lambda ex: ex.store.edge_labels(annotator))
    mine = {(r["source"], r["candidate"]): r for r in rows}

    def pick(tasks):
        groups = _groups(tasks)
        done = [all((ex.source.id, ex.candidate.id) in mine for ex in g) for g in groups]
        if source is not None:
            at = next((i for i, g in enumerate(groups) if g[0].source.id == source), None)
            if at is None:
                return None
        else:
            at = next((i for i, d in enumerate(done) if not d), None)
        later = [] if at is None else [(at + k) % len(groups) for k in range(1, len(groups))]
        following = next((groups[i][0].source.id for i in later if not done[i]), None)
        served = tasks.model("edges")
        answers = ([] if at is None else served.model.predict_batch(
            groups[at][0].source, [ex.candidate for ex in groups[at]]))
        return {"annotator": annotator, "split": SPLIT, "model": served.name,
                "source": None if at is None else groups[at][0].source,
                "candidates": [] if at is None else [
                    {"resource": ex.candidate, "answer": p.output if p.valid else None,
                     "label": (_saved(mine[(ex.source.id, ex.candidate.id)])
                               if (ex.source.id, ex.candidate.id) in mine else None)}
                    for ex, p in zip(groups[at], answers, strict=True)],
                "position": 0 if at is None else at + 1, "sources": len(groups),
                "sources_done": sum(done), "pairs": sum(len(g) for g in groups),
                "pairs_done": sum((ex.source.id, ex.candidate.id) in mine
                                  for g in groups for ex in g),
                "next_source": following}

    out = await on_tasks(request, pick)
    if out is None:
        raise HTTPException(404, f"source {source!r} is not a source of task 2's {SPLIT} "
                                 "split; leave `source` out for the next one to label")
    return out


@router.post("/annotations", response_model=SaveLabelsResponse, responses={
    400: {"description": "the store refused the labels; `detail` says why"},
    503: {"description": "the memory store cannot be opened"}},
    dependencies=[Depends(require_token)])
async def save_annotations(body: SaveLabelsRequest, request: Request) -> dict:
    """Save one person's labels of source -> candidate pairs (a pair labelled again by
    the same person replaces their earlier label), all in one transaction."""
    saved = await on_memory(request, lambda ex: ex.store.save_edge_labels(body.annotator,
                                                                          body.labels))
    return {"annotator": body.annotator, "saved": saved}


@router.get("/annotations", response_model=LabelsResponse, responses={
    503: {"description": "the memory store cannot be opened"}})
async def list_annotations(request: Request, annotator: str | None = Query(
        default=None, min_length=1, max_length=100,
        description="only this annotator's labels (default: everyone's)")) -> dict:
    """Saved labels, by annotator, source and candidate."""
    who = None if annotator is None else annotator.strip()
    rows = await on_memory(request, lambda ex: ex.store.edge_labels(who))
    return {"labels": [_saved(r) for r in rows]}


page_router = APIRouter()


@page_router.get("/playground/annotate", include_in_schema=False)
async def annotate_page() -> FileResponse:
    """The playground's annotation page over the routes above."""
    return FileResponse(Path(__file__).parent / "static" / "annotate.html")
