"""People's labels of task 2's edges (the annotation page), kept in the memory store.

One row per (source, candidate, annotator): the affinity the person gives the pair
(0 to 1), the edge type, and optionally how useful they found the model's reason and
topics (1 to 5) and which model wrote them. Saving a pair again replaces the row.

The table sits beside the REM tables but is not one of them: the SQL sandbox cannot
read it, and `export` and `stats` leave it out. Both stores create it when they open,
so a store written before it existed gains it on its next open.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from augur.memory.store.base import StoreError
from augur.memory.tasks.harness.edge_schema import EdgeType

LABEL_COLUMNS = ("source", "candidate", "annotator", "affinity", "type", "reason_useful",
                 "topics_useful", "model", "created_at")
MAX_LABELS = 1000  # per save


def labels_ddl(text: str, real: str) -> str:
    """CREATE TABLE for a store whose text and float column types are `text`, `real`."""
    return (f"CREATE TABLE IF NOT EXISTS edge_labels(source {text} NOT NULL, "
            f"candidate {text} NOT NULL, annotator {text} NOT NULL, affinity {real} NOT NULL, "
            f"type {text} NOT NULL, reason_useful INTEGER, topics_useful INTEGER, "
            f"model {text}, created_at {text} NOT NULL, "
            "PRIMARY KEY(source, candidate, annotator));")


def upsert_sql(mark: str) -> str:
    """The upsert, with `mark` the store's placeholder (? or %s)."""
    cols = ", ".join(LABEL_COLUMNS)
    sets = ", ".join(f"{c} = excluded.{c}" for c in LABEL_COLUMNS[3:])
    return (f"INSERT INTO edge_labels({cols}) VALUES ({', '.join([mark] * len(LABEL_COLUMNS))})"
            f" ON CONFLICT (source, candidate, annotator) DO UPDATE SET {sets}")


def select_sql(mark: str, annotator: bool) -> str:
    where = f" WHERE annotator = {mark}" if annotator else ""
    return (f"SELECT {', '.join(LABEL_COLUMNS)} FROM edge_labels{where} "
            "ORDER BY annotator, source, candidate")


class EdgeLabel(BaseModel):
    """One person's label of one source -> candidate pair."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=300, description="the source resource's id")
    candidate: str = Field(min_length=1, max_length=300,
                           description="the candidate resource's id")
    affinity: float = Field(ge=0.0, le=1.0, allow_inf_nan=False,
                            description="how related the two are, 0 (not) to 1 (directly "
                                        "linked); an edge from 0.5")
    type: EdgeType = Field(description="the edge type (SEE_ALSO, PREREQUISITE, "
                                       "CONTINUATION), 'none' for no edge")
    reason_useful: int | None = Field(default=None, ge=1, le=5, description="how useful the "
                                      "model's reason was, 1 to 5 (optional)")
    topics_useful: int | None = Field(default=None, ge=1, le=5, description="how useful the "
                                      "model's topic_overlap was, 1 to 5 (optional)")
    model: str | None = Field(default=None, max_length=100,
                              description="the model whose reason and topics were rated")


def label_rows(annotator: str, labels: list[EdgeLabel | dict[str, Any]]) -> list[tuple]:
    """Rows to upsert, validated; a StoreError names the first wrong field."""
    if not isinstance(annotator, str) or not annotator.strip() or len(annotator) > 100:
        raise StoreError(f"annotator: expected a name of 1 to 100 characters, got "
                         f"{annotator!r}")
    if not labels:
        raise StoreError("labels: expected at least one label, got none")
    if len(labels) > MAX_LABELS:
        raise StoreError(f"labels: expected at most {MAX_LABELS} per save, got {len(labels)}")
    now = datetime.now(UTC).isoformat()
    rows = []
    for i, raw in enumerate(labels):
        try:
            lab = raw if isinstance(raw, EdgeLabel) else EdgeLabel.model_validate(raw)
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(map(str, err["loc"])) or "label"
            raise StoreError(f"labels[{i}].{where}: {err['msg']}, got "
                             f"{err.get('input')!r}") from None
        rows.append((lab.source, lab.candidate, annotator.strip(), lab.affinity, lab.type,
                     lab.reason_useful, lab.topics_useful, lab.model, now))
    return rows


def label_dict(row) -> dict[str, Any]:
    out = dict(zip(LABEL_COLUMNS, row, strict=True))
    out["affinity"] = float(out["affinity"])
    out["created_at"] = datetime.fromisoformat(out["created_at"])
    return out
