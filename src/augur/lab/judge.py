"""Phase B of the tip lab: score pending cells with rubric tip-v1 and write the scores back.

    export(store, path)       every pending cell in one JSON, scores left to fill
    apply_file(store, path)   validate the whole file, then write it (all or nothing per file)
    judge_with(store, backend) an LLM fills the same document with constrained JSON verdicts

A person, any external judge and an LLM all go through `apply`, so one set of checks
guards the store. Writing a cell ends with the tag judge_pending=false, so a cell
whose writing was cut short stays pending and is exported again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from tqdm import tqdm

from augur.errors import AugurError
from augur.lab.context import PromptContext
from augur.lab.rubric import RUBRIC, SCALES, SCORE_RANGE, VERSION, composite
from augur.lab.store import PENDING, LabStore
from augur.llm.backend import Backend, Message

FORMAT = "augur-lab-judgements/1"
HOW_TO = ("For every candidate fill scores.relevance, scores.actionability and scores.tone "
          "with an integer 1-5 following the rubric's anchors; leave everything else as is "
          "(format_ok and overlong are computed, not judged). Set 'judge' to who scored. "
          "Then run: augur lab judge apply FILE")
MAX_ERRORS = 40  # shown in one message; the count says how many more there were


class JudgementError(AugurError):
    """A judgement file that cannot be applied; the message lists every problem found."""


class Verdict(BaseModel):
    """An LLM judge's answer for one tip; its JSON schema constrains the decoding."""

    model_config = ConfigDict(extra="forbid")

    relevance: int = Field(ge=SCORE_RANGE[0], le=SCORE_RANGE[1])
    actionability: int = Field(ge=SCORE_RANGE[0], le=SCORE_RANGE[1])
    tone: int = Field(ge=SCORE_RANGE[0], le=SCORE_RANGE[1])


@dataclass
class _Checked:
    """One validated cell, ready to write."""

    run_id: str
    label: str
    candidates: list[dict[str, Any]]  # stored candidates with their scores and composite


def pending_document(store: LabStore) -> dict[str, Any]:
    """The judgement document for every pending cell, scores empty."""
    cells = []
    for run in store.search(PENDING):
        tags = run.data.tags
        candidates = store.load_json(run.info.run_id, "candidates.json")
        cells.append({
            "run_id": run.info.run_id, "cell": tags.get("cell"), "model": tags.get("model"),
            "prompt_version": tags.get("prompt_version"), "scenario": tags.get("scenario"),
            "context": store.load_json(run.info.run_id, "context.json"),
            "candidates": [{**c, "scores": {s: None for s in SCALES}} for c in candidates],
        })
    return {"format": FORMAT, "tracking_uri": store.tracking_uri,
            "experiment": store.experiment, "exported_at": _now(), "how_to": HOW_TO,
            "judge": "", "rubric": RUBRIC, "cells": cells}


def export(store: LabStore, path: Path) -> int:
    """Write every pending cell to `path`; returns how many cells."""
    doc = pending_document(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return len(doc["cells"])


def apply_file(store: LabStore, path: Path) -> list[str]:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as e:
        raise JudgementError(f"{path} is not valid JSON ({e}); fix it or export again") from None
    return apply(store, doc)


def apply(store: LabStore, doc: Any) -> list[str]:
    """Validate every cell of `doc` first, then write them all; returns the run ids written."""
    checked = validate(store, doc)
    judge = str(doc.get("judge") or "external")
    written: list[str] = []
    for cell in checked:
        try:
            _write(store, cell, judge)
        except Exception as e:
            left = [c.run_id for c in checked if c.run_id not in written]
            raise JudgementError(
                f"writing scores failed at cell {cell.run_id} ({cell.label}): {e}. Written and "
                f"judged: {written or 'none'}; not written, still pending: {left}. Fix the "
                "store, then export again and apply the new file") from e
        written.append(cell.run_id)
    return written


def validate(store: LabStore, doc: Any) -> list[_Checked]:
    """Every problem of the document at once, or the cells ready to write."""
    errors: list[str] = []
    if not isinstance(doc, dict):
        raise JudgementError(f"judgement file: expected a JSON object, got {type(doc).__name__}")
    if doc.get("format") != FORMAT:
        errors.append(f"field 'format': expected {FORMAT!r}, got {doc.get('format')!r}")
    rubric = doc.get("rubric")
    version = rubric.get("version") if isinstance(rubric, dict) else None
    if version != VERSION:
        errors.append(f"field 'rubric.version': expected {VERSION!r}, got {version!r}")
    cells = doc.get("cells")
    if not isinstance(cells, list) or not cells:
        errors.append(f"field 'cells': expected a non-empty list of cells, got {cells!r:.80}")
        cells = []
    checked, seen = [], set()
    for i, cell in enumerate(cells):
        where = f"cells[{i}]"
        if not isinstance(cell, dict) or not isinstance(cell.get("run_id"), str):
            errors.append(f"{where}: expected an object with a string 'run_id', got {cell!r:.80}")
            continue
        run_id = cell["run_id"]
        if run_id in seen:
            errors.append(f"{where} (run {run_id}): the cell appears twice; keep one")
            continue
        seen.add(run_id)
        result = _check_cell(store, cell, f"{where} (run {run_id})", errors)
        if result is not None:
            checked.append(result)
    if errors:
        more = len(errors) - MAX_ERRORS
        lines = errors[:MAX_ERRORS] + ([f"... and {more} more"] if more > 0 else [])
        raise JudgementError(f"nothing applied: {len(errors)} problems in the judgement "
                             "file:\n  " + "\n  ".join(lines))
    return checked


def _check_cell(store: LabStore, cell: dict, where: str, errors: list[str]) -> _Checked | None:
    run = store.get_run(cell["run_id"])
    if run is None:
        errors.append(f"{where}: unknown cell: no such run in experiment "
                      f"{store.experiment!r} of {store.tracking_uri}")
        return None
    tags = run.data.tags
    label = tags.get("cell", cell["run_id"])
    where = f"{where} {label}"
    if tags.get("status") != "collected" or tags.get("judge_pending") != "true":
        errors.append(f"{where}: expected a pending cell (judge_pending=true), got "
                      f"status={tags.get('status')}, judge_pending={tags.get('judge_pending')} "
                      f"(judged by {tags.get('judged_by', 'nobody')}); drop it from the file")
        return None
    if tags.get("rubric_version") != VERSION:
        errors.append(f"{where}: collected for rubric {tags.get('rubric_version')!r}, "
                      f"this file scores {VERSION!r}")
        return None
    stored = store.load_json(cell["run_id"], "candidates.json")
    given = cell.get("candidates")
    if not isinstance(given, list) or len(given) != len(stored):
        got = len(given) if isinstance(given, list) else repr(given)[:40]
        errors.append(f"{where}: field 'candidates' expected {len(stored)} candidates, got {got}")
        return None
    n_errors = len(errors)
    scored = []
    for j, (cand, kept) in enumerate(zip(given, stored, strict=True)):
        at = f"{where} candidate {j}"
        if not isinstance(cand, dict):
            errors.append(f"{at}: expected an object, got {cand!r:.60}")
            continue
        if "text" in cand and cand["text"] != kept["text"]:
            errors.append(f"{at}: field 'text' differs from the stored tip {kept['text']!r:.60}; "
                          "scores must be for the tip as collected, export again")
        scores = _check_scores(cand.get("scores"), at, errors)
        if scores is not None:
            full = {**scores, "format_ok": kept["format_ok"], "overlong": kept["overlong"]}
            scored.append({**kept, **scores, "composite": composite(full)})
    if len(errors) > n_errors:
        return None
    return _Checked(cell["run_id"], label, scored)


def _check_scores(scores: Any, at: str, errors: list[str]) -> dict[str, int] | None:
    if not isinstance(scores, dict):
        errors.append(f"{at}: field 'scores' expected an object with {', '.join(SCALES)}, "
                      f"got {scores!r:.60}")
        return None
    lo, hi = SCORE_RANGE
    ok = True
    for name in SCALES:
        value = scores.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            got = "nothing" if name not in scores else repr(value)
            errors.append(f"{at}: field 'scores.{name}' expected an integer {lo}-{hi}, got {got}")
            ok = False
    for name in sorted(set(scores) - set(SCALES)):
        errors.append(f"{at}: unknown field 'scores.{name}'; expected only {', '.join(SCALES)}")
        ok = False
    return {name: scores[name] for name in SCALES} if ok else None


def _write(store: LabStore, cell: _Checked, judge: str) -> None:
    cands = cell.candidates
    n = len(cands)
    store.log_json(cell.run_id, "judgement.json",
                   {"rubric_version": VERSION, "judge": judge, "judged_at": _now(),
                    "candidates": cands})
    means = {name: sum(c[name] for c in cands) / n for name in (*SCALES, "composite")}
    store.log_metrics(cell.run_id, {**means, "candidates_judged": n})
    # Last, so a cell whose writing broke off above stays pending and is judged again.
    store.set_tags(cell.run_id, {"judge_pending": "false", "judged_by": judge,
                                 "judged_at": _now()})


def judge_with(store: LabStore, backend: Backend, max_tokens: int = 64, seed: int = 0,
               progress: bool = True) -> tuple[list[str], dict[str, str]]:
    """An LLM scores every pending cell; returns (run ids written, cell -> why it was skipped).

    Verdicts are decoded under the Verdict JSON schema (greedy, temperature 0) and
    validated. Each cell is applied as soon as its tips are scored, so an error that
    stops the run (a backend gone) loses at most that cell; a tip the judge cannot
    score leaves its cell pending and the rest go on.
    """
    from augur.llm.structured import StructuredOutputError, generate_structured

    doc = pending_document(store)
    doc["judge"] = f"llm:{backend.name}"
    total = sum(len(c["candidates"]) for c in doc["cells"])
    written, skipped = [], {}
    with tqdm(total=total, unit="tip", desc="judge", disable=not progress or None) as bar:
        for cell in doc["cells"]:
            try:
                for cand in cell["candidates"]:
                    verdict, _ = generate_structured(backend, judge_messages(cell, cand["text"]),
                                                     Verdict, max_tokens=max_tokens,
                                                     temperature=0.0, seed=seed)
                    cand["scores"] = verdict.model_dump()
                    bar.update(1)
            except StructuredOutputError as e:
                skipped[cell["cell"]] = str(e)
                continue
            written += apply(store, {**doc, "cells": [cell]})
    return written, skipped


def judge_messages(cell: dict[str, Any], tip: str) -> list[Message]:
    """The LLM judge's prompt: the rubric's scales and anchors, the context, the tip."""
    scales = "\n".join(
        f"{name} (1-5): {scale['question']}\n" + "\n".join(
            f"  {k} = {v}" for k, v in scale["anchors"].items())
        for name, scale in RUBRIC["scales"].items())
    ph = PromptContext.from_dict(cell["context"]).placeholders()
    system = (f"You judge proactive work tips with rubric {VERSION}. Score each scale with an "
              f"integer from 1 to 5 using these anchors:\n{scales}\n"
              'Answer only with JSON: {"relevance": n, "actionability": n, "tone": n}.')
    user = (f"It is {ph['weekday']} {ph['time']} for {ph['person']}.\nRecent events:\n"
            f"{ph['recent_events']}\nOpen items:\n{ph['open_tasks']}\n\nTip to judge:\n{tip}")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
