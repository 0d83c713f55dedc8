"""Task 3 (moments): the frozen dataset, the metrics on hand-made cases, the models
against the floors on val, and the CLI end to end."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

import pytest

from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness.data import moment_examples
from augur.memory.tasks.harness.manifest import verify
from augur.memory.tasks.harness.moment_metrics import pk, score_moments, window_diff
from augur.memory.tasks.harness.moment_schema import (
    GoldSegment,
    MomentAnswer,
    MomentExample,
    MomentLine,
    MomentOut,
)
from augur.memory.tasks.moments import MomentsTask, parse_transcript

# Task 1 and 2 data as sealed in rem-tasks v2: the amendment that added task 3 kept them.
SEALED_V2 = {
    "query_handwritten": "e2f15c1fbb8325d898a8531ba072d0f7e7facd44b56f1b6024b8d516d12e5f56",
    "query_test": "48ef7c1f3cbee03835499f9b1d53f85ed6cd04454ef0355928530bd9244ccc82",
    "query_train": "505b1f55b99463659bbcd8f225fff9bb3e8d6289827ffad5198ba77023a70d24",
    "query_val": "173d935483ee2efa16c97a3aca6f72148e477244c4f382a2d0d0696d7eb71ddd",
    "edge_test": "27c9327ad24db7173c4b69d56c5db9d3f8845c3ca19fc09509ffa6c402f43f81",
    "edge_train": "9fbcf12938a0973813699c2dc2a618f7f18bb71b2d428bc4a1295068754bc9c5",
    "edge_val": "3c994e45bffe0147f2cf59d25015c02e455294a71f8f2a6a4503205d8715a268",
}
# v4 added the writer metrics and changed no dataset: v3's moment files stand.
SEALED_V3 = {
    "moment_test": "31e845ef979a0798882eff9d5fb1f87b59d2b15deee00c03fea221515197dcd4",
    "moment_train": "0fd5d02b3038536a02ae9801a8a5b1ed466f3891bccf11fd5d701136f0f0c754",
    "moment_val": "1f05f9113b7a6f61953f84b8d2829eca70ed9adc7b944115de106cc28fa3c8d0",
}
T0 = datetime(2025, 3, 3, 9, 0)


@pytest.fixture(scope="module")
def splits() -> dict[str, list[MomentExample]]:
    return {s: moment_examples(s) for s in ("train", "val", "test")}


# ---- the dataset ------------------------------------------------------------------------
def test_earlier_data_unchanged_by_the_amendments():
    manifest = verify()
    assert manifest["version"] == C.REM_TASKS_VERSION == "4"
    assert {k: manifest["data"][k] for k in SEALED_V2} == SEALED_V2
    assert {k: manifest["data"][k] for k in SEALED_V3} == SEALED_V3


def test_size_hours_and_day_splits(splits):
    assert sum(len(v) for v in splits.values()) >= 200
    assert len(splits["val"]) >= 30 and len(splits["test"]) >= 30
    for split, (lo, hi) in (("train", C.MOMENT_TRAIN_DAYS), ("val", C.MOMENT_VAL_DAYS),
                            ("test", C.MOMENT_TEST_DAYS)):
        assert all(lo <= ex.day < hi and ex.split == split for ex in splits[split])
    every = [ex for v in splits.values() for ex in v]
    assert len({ex.id for ex in every}) == len(every)
    assert all(ex.hours() >= 1.0 and len(ex.segments) >= 2 for ex in every)
    assert {ex.world for ex in every} == set(C.MOMENT_WORLD_SEEDS)


def test_segments_tile_the_lines_in_time_order(splits):
    for ex in splits["val"]:
        assert ex.segments[0].first == 0 and ex.segments[-1].last == len(ex.lines) - 1
        for a, b in zip(ex.segments, ex.segments[1:], strict=False):
            assert b.first == a.last + 1 and a.end <= b.start
        assert [x.ts for x in ex.lines] == sorted(x.ts for x in ex.lines)
        for s in ex.segments:
            assert ex.lines[s.first].ts == s.start.replace(second=0, microsecond=0)


def test_types_emotions_and_variety(splits):
    segs = [s for v in splits.values() for ex in v for s in ex.segments]
    types = Counter(s.moment_type for s in segs)
    assert {"meeting", "review", "admin", "break", "reflection", "coding",
            "problem_solving"} <= set(types)
    assert max(types.values()) / len(segs) < 0.35
    emotions = {e for s in segs for e in s.emotion_tags}
    assert {"frustrated", "satisfied", "focused", "relaxed"} <= emotions
    assert all(s.moment_type != "meeting" or len(s.present_persons) >= 2 for s in segs)


def test_no_template_phrase_opens_a_segment(splits):
    """A segment's first line is one of its lines at random: the openers' first two
    words are many, and none opens more than a few per cent of segments."""
    every = [ex for v in splits.values() for ex in v]
    openers = Counter(" ".join(ex.lines[s.first].text.lower().split()[:2])
                      for ex in every for s in ex.segments[1:])
    total = sum(openers.values())
    assert len(openers) > 150
    assert openers.most_common(1)[0][1] / total < 0.06
    assert not any(w in " ".join(openers) for w in ("moving on", "next up", "switching to"))


def test_the_files_are_deterministic():
    from augur.memory.tasks.harness.data import dataset_files
    from augur.memory.tasks.harness.moment_data import build_moment_examples

    again = build_moment_examples()
    rows = [json.loads(x) for x in dataset_files()["moment_test"].read_text().splitlines()]
    assert [e.model_dump(mode="json") for e in again if e.split == "test"] == rows


# ---- metrics on hand-made cases ---------------------------------------------------------
def _example(minutes: list[int], cuts: list[int]) -> MomentExample:
    lines = [MomentLine(ts=T0 + timedelta(minutes=m), speaker="ana", text=f"line {i}")
             for i, m in enumerate(minutes)]
    starts = [0, *cuts]
    segs = []
    for a, b in zip(starts, [*cuts, len(lines)], strict=True):
        segs.append(GoldSegment(first=a, last=b - 1, start=lines[a].ts,
                                end=lines[b - 1].ts + timedelta(minutes=1),
                                moment_type="meeting" if a == 0 else "break", name="x",
                                summary="", emotion_tags=["engaged"] if a == 0 else ["relaxed"],
                                topic_tags=["atlas"], present_persons=["Ana Tanaka"]))
    return MomentExample(id="t", split="test", world=42, day=0, lines=lines, segments=segs)


def _answer(ex: MomentExample) -> MomentAnswer:
    return MomentAnswer(moments=[MomentOut(
        name="x", start=s.start, end=s.end, moment_type=s.moment_type,
        emotion_tags=s.emotion_tags, topic_tags=s.topic_tags,
        present_persons=[p.lower() for p in s.present_persons]) for s in ex.segments])


def test_a_perfect_answer_scores_one():
    ex = _example([0, 3, 6, 9, 30, 33, 36, 60, 62], [4, 7])
    r = score_moments([ex], [_answer(ex)], [10.0])
    assert r["boundary_f1"] == r["boundary_precision"] == r["boundary_recall"] == 1.0
    assert r["pk"] == r["window_diff"] == 0.0
    for k in ("type_accuracy", "emotion_f1_micro", "emotion_f1_macro", "topic_precision",
              "topic_recall", "participant_accuracy"):
        assert r[k] == 1.0, k
    assert r["seconds_per_hour"]["p50"] == pytest.approx(0.01 / (63 / 60), abs=1e-4)


def test_pk_and_window_diff_on_a_known_case():
    ref = [0, 0, 0, 1, 1, 1]  # k = 2: windows (0,2) (1,3) (2,4) (3,5)
    # the boundary one line late: both err at (1,3) and (3,5)
    assert pk(ref, [0, 0, 0, 0, 1, 1], 2) == pytest.approx(2 / 4)
    assert window_diff(ref, [0, 0, 0, 0, 1, 1], 2) == pytest.approx(2 / 4)
    # an extra boundary next to the true one: Pk errs at (0,2) only, while WindowDiff
    # also sees two boundaries against one in (1,3]
    assert pk(ref, [0, 0, 1, 2, 2, 2], 2) == pytest.approx(1 / 4)
    assert window_diff(ref, [0, 0, 1, 2, 2, 2], 2) == pytest.approx(2 / 4)
    assert pk(ref, ref, 2) == window_diff(ref, ref, 2) == 0.0
    assert pk([0, 0], [0, 1], 2) is None  # too short for one window


def test_tolerance_and_invalid_answers():
    ex = _example([0, 3, 6, 9, 30, 33, 36, 60, 62], [4, 7])
    late = _answer(ex)
    late.moments[1].start = T0 + timedelta(minutes=36)  # line 6: 6 minutes after line 4
    assert C.MOMENT_TOLERANCE_MIN < 6
    r = score_moments([ex], [late], [1.0])
    assert r["boundary_precision"] == 0.5 and r["boundary_recall"] == 0.5
    r = score_moments([ex], [None], [1.0])
    assert r["boundary_recall"] == 0.0 and r["boundary_precision"] is None
    assert r["type_accuracy"] == 0.0 and r["participant_accuracy"] == 0.0


# ---- the task's interface ---------------------------------------------------------------
def test_target_parses_and_scores_perfectly(splits):
    task = MomentsTask()
    exs = splits["val"][:10]
    answers = [task.parse(task.target(ex)) for ex in exs]
    r = score_moments(exs, answers, [0.0] * len(exs))
    assert r["boundary_f1"] == 1.0 and r["pk"] == 0.0 and r["type_accuracy"] == 1.0
    parsed = parse_transcript(exs[0].text)  # the text's times are local, without a zone
    assert [(x.ts, x.speaker, x.text) for x in parsed] == [
        (x.ts.replace(tzinfo=None), x.speaker, x.text) for x in exs[0].lines]
    naive = task.parse(task.target(exs[0]).replace("+05:30", ""))
    assert score_moments(exs[:1], [naive], [0.0])["boundary_f1"] in (1.0, None)
    assert task.grammar_schema()["properties"]["moments"]["type"] == "array"


def test_parse_transcript_names_a_bad_line():
    with pytest.raises(ValueError, match="line 1: expected"):
        parse_transcript("hello there")


# ---- models -----------------------------------------------------------------------------
def test_floors_and_unfitted_models(splits):
    from augur.memory.tasks.moment_models import FixedModel, OneModel, TrainedModel

    with pytest.raises(RuntimeError, match="not fitted"):
        OneModel().predict_lines(splits["val"][0].lines)
    with pytest.raises(RuntimeError, match="not fitted"):
        TrainedModel(people=[]).predict_lines(splits["val"][0].lines)
    one, fixed = OneModel().fit(splits["train"]), FixedModel().fit(splits["train"])
    ex = splits["val"][0]
    assert len(one.predict_lines(ex.lines).output.moments) == 1
    assert len(fixed.predict(ex.text).output.moments) >= 1


@pytest.mark.slow
def test_trained_and_tiling_beat_the_floors_on_val(splits):
    """Measured on val (rem-tasks v3): boundary F1 / Pk, fixed 0.59 / 0.28, tiling 0.60 /
    0.31 (no better than the floor at segmenting; its labels are the trained ones),
    trained 0.85 / 0.09, type accuracy 0.87, topics P 0.63 / R 0.84 on its own
    segments and 0.89 / 0.81 on the gold ones (a merged segment carries both topics:
    segmenting bounds topic precision). docs/MEMORY.md has the test split's."""
    import time

    from augur.memory.tasks.moment_models import (
        FixedModel,
        TilingModel,
        TrainedModel,
        memory_people,
    )

    people = memory_people()
    models = [FixedModel().fit(splits["train"]),
              TilingModel(people=people).fit(splits["train"], splits["val"]),
              TrainedModel(people=people).fit(splits["train"], splits["val"])]
    reports = {}
    for m in models:
        answers, ms = [], []
        for ex in splits["val"]:
            t0 = time.perf_counter()
            answers.append(m.predict_lines(ex.lines).output)
            ms.append((time.perf_counter() - t0) * 1000)
        reports[m.name] = score_moments(splits["val"], answers, ms)
    fixed, tiling, trained = reports["fixed"], reports["tiling"], reports["trained"]
    print(json.dumps(reports, indent=1))
    assert tiling["boundary_f1"] >= fixed["boundary_f1"] - 0.02
    assert tiling["type_accuracy"] >= fixed["type_accuracy"] + 0.4
    assert trained["boundary_f1"] >= fixed["boundary_f1"] + 0.15
    assert trained["boundary_f1"] >= 0.75 and trained["pk"] <= 0.15
    assert trained["type_accuracy"] >= 0.8 and trained["emotion_f1_micro"] >= 0.75
    assert trained["participant_accuracy"] >= 0.9
    assert trained["seconds_per_hour"]["p50"] <= 2.0
    assert trained["topic_recall"] >= 0.75 and trained["topic_precision"] >= 0.55
    # topics on the gold segments: the labeller alone, without the segmenter's merges
    labeller, tp, n_pred, n_gold = models[2].labeller_, 0, 0, 0
    for ex, emb in zip(splits["val"], models[2].embed.many(splits["val"]), strict=True):
        for seg in ex.segments:
            got = set(labeller.topics(ex.lines[seg.first:seg.last + 1],
                                      emb[seg.first:seg.last + 1]))
            tp, n_pred, n_gold = tp + len(got & set(seg.topic_tags)), n_pred + len(got), \
                n_gold + len(seg.topic_tags)
    assert tp / n_pred >= 0.85 and tp / n_gold >= 0.75


def test_cli_eval_and_compare_on_a_limit(tmp_path, capsys):
    from augur.cli import main

    out = tmp_path / "preds.jsonl"
    assert main(["memory", "eval", "--task", "moments", "--model", "fixed", "--split", "val",
                 "--limit", "5", "--json", "--predictions", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "moments" and report["examples"] == 5
    assert report["rem_tasks_version"] == C.REM_TASKS_VERSION and 0 <= report["pk"] <= 1
    assert len(out.read_text().splitlines()) == 5
    assert main(["memory", "compare", "--task", "moments", "--models", "one", "fixed",
                 "--split", "val", "--limit", "3", "--out", str(tmp_path / "cmp")]) == 0
    assert "boundary f1" in capsys.readouterr().out
    assert len(json.loads((tmp_path / "cmp" / "compare.json").read_text())) == 2
    assert main(["memory", "eval", "--task", "moments", "--model", "one", "--split",
                 "handwritten"]) == 2
    assert "task moments has train, val, test" in capsys.readouterr().err


def test_sft_rows(tmp_path):
    from augur.cli import main

    out = tmp_path / "rows.jsonl"
    assert main(["memory", "tasks", "sft", "--task", "moments", "--split", "val",
                 "--out", str(out)]) == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == len(moment_examples("val"))
    assert MomentsTask().parse(rows[0]["messages"][-1]["content"]).moments
