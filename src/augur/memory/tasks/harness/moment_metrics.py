"""Task 3's metrics (the seed's), computed the same way for every model.

A prediction is laid over its transcript's lines: line i belongs to the last predicted
moment that starts at or before it (lines before the first moment belong to it; a start
without a time zone is read in the transcript's), so
every answer is a segmentation of the lines. A predicted boundary is a line that
starts a new predicted segment; a true boundary a line that starts a true one (the
first line of a transcript is neither).

- boundary precision / recall / f1: a predicted boundary is right when it is within
  MOMENT_TOLERANCE_MIN minutes of a true boundary not yet matched (matched one to
  one, nearest first); counted over the whole split. `boundary_accuracy` is the F1.
- pk and window_diff (Beeferman et al.; Pevzner and Hearst) over the line sequence,
  k = half the mean true segment length in lines (at least 1), averaged over
  transcripts; 0 is perfect.
- type_accuracy: per true segment, the predicted moment that covers most of its
  lines (the earlier on a tie) has its type.
- emotion_f1_micro / emotion_f1_macro: that moment's emotion tags against the true
  ones (micro over all tags; macro over every tag in the gold or the answers).
- topic_precision / topic_recall: the same moment's topic tags, micro.
- participant_accuracy: the same moment names exactly the people present (names
  compared case-insensitively).
- seconds_per_hour: a model's time over the transcript's hours (its first start to
  its last end), p50 and mean over transcripts.

An invalid answer is one segment over the whole transcript with no type or tags.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness.moment_schema import MomentAnswer, MomentExample


def line_segments(example: MomentExample, answer: MomentAnswer | None) -> list[int]:
    """The index (into answer.moments, sorted by start) of each line's moment."""
    if answer is None or not answer.moments:
        return [0] * len(example.lines)
    tz = example.lines[0].ts.tzinfo  # a time without a zone is the transcript's local time
    starts = sorted(m.start if m.start.tzinfo or tz is None else m.start.replace(tzinfo=tz)
                    for m in answer.moments)
    out, j = [], 0
    for line in example.lines:
        while j + 1 < len(starts) and starts[j + 1] <= line.ts:
            j += 1
        out.append(j)
    return out


def gold_segments(example: MomentExample) -> list[int]:
    out = [0] * len(example.lines)
    for i, s in enumerate(example.segments):
        for j in range(s.first, s.last + 1):
            out[j] = i
    return out


def _boundaries(labels: list[int]) -> list[int]:
    return [i for i in range(1, len(labels)) if labels[i] != labels[i - 1]]


def pk(ref: list[int], hyp: list[int], k: int) -> float | None:
    """Share of windows (i, i + k) where ref and hyp disagree on "same segment"."""
    n = len(ref) - k
    if n <= 0:
        return None
    return sum((ref[i] == ref[i + k]) != (hyp[i] == hyp[i + k]) for i in range(n)) / n


def window_diff(ref: list[int], hyp: list[int], k: int) -> float | None:
    """Share of windows (i, i + k] where ref and hyp count different boundaries."""
    n = len(ref) - k
    if n <= 0:
        return None

    def count(lab: list[int], i: int) -> int:
        return sum(lab[j] != lab[j - 1] for j in range(i + 1, i + k + 1))

    return sum(count(ref, i) != count(hyp, i) for i in range(n)) / n


def window_k(example: MomentExample) -> int:
    return max(1, round(len(example.lines) / len(example.segments) / 2))


def match_boundaries(true_min: list[float], pred_min: list[float], tol: float) -> int:
    """How many predicted boundaries (minutes) match a true one within tol, one to one."""
    pairs = sorted((abs(t - p), i, j) for i, t in enumerate(true_min)
                   for j, p in enumerate(pred_min) if abs(t - p) <= tol)
    used_t, used_p = set(), set()
    for _, i, j in pairs:
        if i not in used_t and j not in used_p:
            used_t.add(i)
            used_p.add(j)
    return len(used_t)


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 4) if xs else 0.0


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _mean(xs: list[float | None]) -> float | None:
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def score_moments(examples: list[MomentExample], answers: list[MomentAnswer | None],
                  latencies_ms: list[float]) -> dict[str, Any]:
    """`answers[i]`: the model's answer for examples[i] (None: invalid); `latencies_ms[i]`
    its time for the whole transcript."""
    n = len(examples)
    if not (len(answers) == len(latencies_ms) == n):
        raise ValueError(f"score_moments: {n} examples but {len(answers)} answers and "
                         f"{len(latencies_ms)} latencies")
    if n == 0:
        raise ValueError("score_moments: no examples to score")
    n_true = n_pred = n_match = 0
    pks, wds, types = [], [], []
    emo: Counter = Counter()  # (label, "tp" | "fp" | "fn")
    top = Counter()
    people = []
    for ex, ans in zip(examples, answers, strict=True):
        ref, hyp = gold_segments(ex), line_segments(ex, ans)
        t0 = ex.lines[0].ts
        minutes = [(x.ts - t0).total_seconds() / 60 for x in ex.lines]
        tb, pb = _boundaries(ref), _boundaries(hyp)
        n_true, n_pred = n_true + len(tb), n_pred + len(pb)
        n_match += match_boundaries([minutes[i] for i in tb], [minutes[i] for i in pb],
                                    C.MOMENT_TOLERANCE_MIN)
        k = window_k(ex)
        pks.append(pk(ref, hyp, k))
        wds.append(window_diff(ref, hyp, k))
        moments = sorted(ans.moments, key=lambda m: m.start) if ans is not None else []
        for seg in ex.segments:
            cover = Counter(hyp[seg.first:seg.last + 1])
            best = min(cover, key=lambda j: (-cover[j], j))
            m = moments[best] if best < len(moments) else None
            types.append(m is not None and m.moment_type == seg.moment_type)
            got = set(m.emotion_tags) if m else set()
            for lab in got | set(seg.emotion_tags):
                emo[lab, "tp" if lab in got and lab in seg.emotion_tags
                    else "fp" if lab in got else "fn"] += 1
            pt, gt = set(m.topic_tags) if m else set(), set(seg.topic_tags)
            top["tp"] += len(pt & gt)
            top["pred"] += len(pt)
            top["gold"] += len(gt)
            norm = {p.lower() for p in (m.present_persons if m else [])}
            people.append(norm == {p.lower() for p in seg.present_persons})
    precision = n_match / n_pred if n_pred else None
    recall = n_match / n_true if n_true else None
    labels = sorted({lab for lab, _ in emo})
    per = [_f1(emo[lab, "tp"] / (emo[lab, "tp"] + emo[lab, "fp"]) if emo[lab, "tp"] + emo[
        lab, "fp"] else 0.0, emo[lab, "tp"] / (emo[lab, "tp"] + emo[lab, "fn"]) if emo[
        lab, "tp"] + emo[lab, "fn"] else 0.0) for lab in labels]
    tp = sum(emo[lab, "tp"] for lab in labels)
    fp = sum(emo[lab, "fp"] for lab in labels)
    fn = sum(emo[lab, "fn"] for lab in labels)
    per_hour = [ms / 1000 / ex.hours() for ms, ex in zip(latencies_ms, examples, strict=True)]
    return {
        "examples": n,
        "segments": len(types),
        "true_boundaries": n_true,
        "predicted_boundaries": n_pred,
        "boundary_precision": _r(precision),
        "boundary_recall": _r(recall),
        "boundary_f1": _r(_f1(precision, recall)),
        "boundary_accuracy": _r(_f1(precision, recall) or 0.0),
        "pk": _r(_mean(pks)),
        "window_diff": _r(_mean(wds)),
        "type_accuracy": round(sum(types) / len(types), 4),
        "emotion_f1_micro": _r(_f1(tp / (tp + fp) if tp + fp else 0.0,
                                   tp / (tp + fn) if tp + fn else 0.0)),
        "emotion_f1_macro": _r(_mean(per)),
        "topic_precision": _r(top["tp"] / top["pred"] if top["pred"] else None),
        "topic_recall": _r(top["tp"] / top["gold"] if top["gold"] else None),
        "participant_accuracy": round(sum(people) / len(people), 4),
        "seconds_per_hour": {"p50": _pct(per_hour, 0.5),
                             "mean": round(sum(per_hour) / len(per_hour), 4)},
    }
