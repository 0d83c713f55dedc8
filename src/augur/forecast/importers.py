"""Real question sets as forecast cases. The user brings the files; augur never fetches them.

ForecastBench (its public question and resolution sets): a question set JSON whose
`questions` hold `id`, `source`, `question`, `background`, `resolution_criteria`,
`freeze_datetime`, `freeze_datetime_value` and `resolution_dates`, and a resolution set
JSON whose `resolutions` hold `id`, `source`, `resolution_date`, `resolved_to` and
`resolved`, joined on (source, id). Each resolved row becomes one case of depth 1 with
two candidates, Yes and No, dated at its resolution date (a dataset question resolves
at several dates: one case each). For market sources the freeze-time value is the
market's probability and goes to `market` (No gets 1 - it); a dataset source's value
is a level of its series, not a probability, and is left out. Rows not resolved, rows
resolving to anything but 0 or 1, combination questions and rows with no question are
skipped and counted by reason.

Multiple choice (JSON Lines): one question per line, `question`, `options` (a list of
texts), `answer` (an option's text or its 0-based index), optional `date` and `id`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from augur.events.io import DataFileError
from augur.forecast.case import Case, CaseError, split_of

# ForecastBench sources whose freeze_datetime_value is a market's (or a crowd's) probability
MARKET_SOURCES = ("manifold", "metaculus", "polymarket", "infer")


@dataclass
class ImportReport:
    """What an import read, kept and skipped (reason -> count)."""

    read: int = 0
    imported: int = 0
    skipped: Counter = field(default_factory=Counter)

    def line(self, what: str) -> str:
        skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(self.skipped.items()))
        return (f"read {self.read} {what}; imported {self.imported} cases; skipped "
                f"{sum(self.skipped.values())}" + (f" ({skipped})" if skipped else ""))


def _load_json(path: Path, key: str) -> list[dict]:
    if not path.is_file():
        raise DataFileError(f"{path}: no such file; download the ForecastBench set yourself "
                            "and give its path")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    rows = data.get(key) if isinstance(data, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise DataFileError(f"{path}: expected a JSON object whose '{key}' is a list of "
                            f"objects; got {type(rows).__name__ if rows is not None else 'none'}"
                            f" (is this the {'question' if key == 'questions' else 'resolution'}"
                            " set?)")
    return rows


def _field(path: Path, row: dict, name: str, kind: type, what: str) -> Any:
    value = row.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise DataFileError(f"{path}: question {row.get('id')!r}: field '{name}': expected "
                            f"{what}; got {value!r:.80}")
    return value


def _probability(value: Any) -> float | None:
    try:
        p = float(value)
    except (TypeError, ValueError):
        return None
    return p if 0.0 <= p <= 1.0 else None


def _date(path: Path, row: dict, name: str) -> str:
    text = _field(path, row, name, str, "an ISO 8601 date or time such as 2024-07-21")
    if len(text) < 10 or not text[:4].isdigit():
        raise DataFileError(f"{path}: question {row.get('id')!r}: field '{name}': expected an "
                            f"ISO 8601 date or time such as 2024-07-21; got {text!r}")
    return text[:10]


def import_forecastbench(questions: str | Path,
                         resolutions: str | Path) -> tuple[list[Case], ImportReport]:
    """Cases from a ForecastBench question set and its resolution set."""
    qpath, rpath = Path(questions), Path(resolutions)
    by_key: dict[tuple[str, str], dict] = {}
    for q in _load_json(qpath, "questions"):
        if isinstance(q.get("id"), list):  # a combination of questions: not one outcome
            continue
        qid = _field(qpath, q, "id", str, "the question's id (a string)")
        source = _field(qpath, q, "source", str, "the question's source, such as metaculus")
        by_key[(source, qid)] = q
    report, cases, seen = ImportReport(), [], set()
    for r in _load_json(rpath, "resolutions"):
        report.read += 1
        if isinstance(r.get("id"), list) or r.get("direction"):
            report.skipped["combination question"] += 1
            continue
        qid = _field(rpath, r, "id", str, "the question's id (a string)")
        key = (_field(rpath, r, "source", str, "the question's source"), qid)
        q = by_key.get(key)
        if q is None:
            report.skipped["no such question"] += 1
            continue
        if not _field(rpath, r, "resolved", bool, "true or false"):
            report.skipped["unresolved"] += 1
            continue
        outcome = r.get("resolved_to")
        if isinstance(outcome, bool) or outcome not in (0, 1):
            report.skipped["not resolved to 0 or 1"] += 1
            continue
        resolved_on = _date(rpath, r, "resolution_date")
        if (key, resolved_on) in seen:
            report.skipped["repeated row"] += 1
            continue
        seen.add((key, resolved_on))
        cases.append(_binary_case(qpath, q, key, resolved_on, int(outcome)))
        report.imported += 1
    return cases, report


def _binary_case(path: Path, q: dict, key: tuple[str, str], resolved_on: str,
                 outcome: int) -> Case:
    source, qid = key
    market = _probability(q.get("freeze_datetime_value")) if source in MARKET_SOURCES else None
    context = "\n\n".join(str(q[k]).strip() for k in ("background", "resolution_criteria")
                          if isinstance(q.get(k), str) and q[k].strip() not in ("", "N/A"))
    no_market = None if market is None else round(1.0 - market, 6)
    case = {"id": f"forecastbench/{source}/{qid}/{resolved_on}",
            "source": f"forecastbench:{source}", "kind": "binary",
            "split": split_of(f"forecastbench/{source}/{qid}"),
            "seed": {"text": _field(path, q, "question", str, "the question's text"),
                     "date": _date(path, q, "freeze_datetime")},
            "context": context or None,
            "levels": [{"depth": 1, "date": resolved_on, "candidates": [
                {"text": "Yes", "label": outcome, "kind": "yes", "market": market},
                {"text": "No", "label": 1 - outcome, "kind": "no", "market": no_market}]}]}
    try:
        return Case.from_dict(case)
    except CaseError as exc:
        raise DataFileError(f"{path}: question {qid!r}: {exc}") from None


def import_choices(path: str | Path) -> tuple[list[Case], ImportReport]:
    """Cases from multiple-choice questions, one JSON object per line."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file; give a JSON Lines file of questions")
    report, cases = ImportReport(), []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            report.read += 1
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFileError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            try:
                cases.append(_choice_case(row))
            except (CaseError, ValueError) as exc:
                raise DataFileError(f"{path}:{lineno}: {exc}") from None
            report.imported += 1
    return cases, report


def _choice_case(row: Any) -> Case:
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object per line; got {type(row).__name__}")
    question = row.get("question")
    qid = row.get("id")
    if qid is None and isinstance(question, str):
        qid = "choice-" + hashlib.sha256(question.strip().encode()).hexdigest()[:12]
    where = f"question {str(qid)!r}"
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"{where}: field 'question': expected the question's text; got "
                         f"{question!r:.80}")
    options = row.get("options")
    if (not isinstance(options, list) or len(options) < 2
            or not all(isinstance(o, str) for o in options)):
        raise ValueError(f"{where}: field 'options': expected a list of at least two option "
                         f"texts; got {options!r:.80}")
    answer = _answer_index(row.get("answer"), options, where)
    date = row.get("date")
    case = {"id": str(qid), "source": "choices", "kind": "choice", "split": split_of(str(qid)),
            "seed": {"text": question, "date": date},
            "levels": [{"depth": 1, "candidates": [
                {"text": o, "label": int(i == answer)} for i, o in enumerate(options)]}]}
    return Case.from_dict(case)


def _answer_index(answer: Any, options: list[str], where: str) -> int:
    if isinstance(answer, int) and not isinstance(answer, bool):
        if 0 <= answer < len(options):
            return answer
        raise ValueError(f"{where}: field 'answer': expected an option's index 0 to "
                         f"{len(options) - 1} or its text; got {answer}")
    if isinstance(answer, str):
        keys = [" ".join(o.split()).casefold() for o in options]
        key = " ".join(answer.split()).casefold()
        if key in keys:
            return keys.index(key)
    raise ValueError(f"{where}: field 'answer': expected one of the options {options!r:.120} "
                     f"or its 0-based index; got {answer!r:.80}")
