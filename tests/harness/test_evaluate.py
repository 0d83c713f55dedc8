"""The harness end to end on small data: report shape, baselines, ceiling, absent heads."""

import numpy as np
import pytest

from augur.events.persona import KnowledgeWorkerPersona
from augur.events.vocab import ACTIONS
from augur.harness.baselines import make_baseline
from augur.harness.evalsets import EvalSet, EvalStream, imported_eval_set, is_eval_stream
from augur.harness.evaluate import METRICS, evaluate, queries_for
from augur.harness.predictor import Predictions


@pytest.fixture(scope="module")
def small_set():
    """Persona 8: 21 days to fit baselines on, the next 7 days scored."""
    events = KnowledgeWorkerPersona(8).generate(28)
    cut = next(i for i, e in enumerate(events) if (e.ts - events[0].ts).days >= 21)
    return EvalSet("small", "persona 8, days 21-27", [EvalStream(events, cut)], ACTIONS, True,
                   "", [events[:cut]])


def test_report_has_every_metric_with_baselines_ceiling_and_headroom(small_set):
    report = evaluate(None, small_set, baseline="markov")
    assert set(report["metrics"]) == set(METRICS)
    for name, m in report["metrics"].items():
        assert set(m["baselines"]) == {"uniform", "most_frequent", "markov"}, name
        assert m["value"] == m["baselines"]["markov"]
        assert m["ceiling"] is not None
    top1 = report["metrics"]["next_action_top1"]
    assert top1["baselines"]["uniform"] == pytest.approx(1 / 50)
    assert top1["baselines"]["markov"] < top1["ceiling"]
    assert top1["headroom_captured"] == pytest.approx(0.0)


def test_headroom_is_the_share_of_the_gap_closed(small_set):
    """A predictor halfway between Markov and the ceiling scores ~50 % headroom."""
    queries, steps = queries_for(small_set)
    markov = make_baseline("markov").fit(small_set.train, ACTIONS).predict(queries, ACTIONS)

    class Blend:
        name = "blend"

        def predict(self, queries, actions):
            sim = np.zeros((len(steps), len(actions)))
            for r, s in enumerate(steps):
                for a, p in s.sim.action_probs.items():
                    sim[r, actions.index(a)] = p
            sim /= sim.sum(1, keepdims=True)
            return Predictions(action_probs=sim)

    report = evaluate(Blend(), small_set)
    top1 = report["metrics"]["next_action_top1"]
    assert top1["value"] == pytest.approx(top1["ceiling"])
    assert top1["headroom_captured"] == pytest.approx(1.0)
    # heads the predictor lacks are absent, and so is the composite that needs them
    assert report["metrics"]["routing_accuracy"]["absent"] is True
    assert report["metrics"]["composite"]["value"] is None
    assert markov.lane_probs is not None


def test_predictor_never_sees_labels(small_set):
    seen = []

    class Spy:
        name = "spy"

        def predict(self, queries, actions):
            seen.extend(e for q in queries for e in q.window)
            return Predictions(action_probs=np.full((len(queries), len(actions)), 1 / 50))

    evaluate(Spy(), small_set)
    assert seen and all(e.labels is None and e.sim is None for e in seen)


def test_wrong_shapes_are_reported_by_name(small_set):
    class Bad:
        name = "bad"

        def predict(self, queries, actions):
            return Predictions(action_probs=np.full((len(queries), 7), 1 / 7))

    with pytest.raises(ValueError, match=r"predictions.action_probs must have shape"):
        evaluate(Bad(), small_set)


def test_imported_log_reports_heads_without_labels_as_absent(tmp_path, receipt_csv):
    from augur.cli import main

    out = tmp_path / "receipt_case.jsonl"
    assert main(["data", "import", str(receipt_csv), "--case-col", "case:concept:name",
                 "--activity-col", "concept:name", "--time-col", "time:timestamp",
                 "--resource-col", "org:resource", "--out", str(out)]) == 0
    es = imported_eval_set(out)
    report = evaluate(None, es, baseline="markov")
    m = report["metrics"]
    for head in ("routing_accuracy", "relevance_precision_at_1", "proactive_f1", "composite"):
        assert m[head]["value"] is None and m[head]["absent"] is True
        assert all(v is None for v in m[head]["baselines"].values())
    assert m["next_action_top1"]["value"] > m["next_action_top1"]["baselines"]["most_frequent"]
    assert m["next_action_top1"]["ceiling"] is None  # no simulator behind a real log
    assert m["delay_mae_log"]["value"] is not None
    held_out = {e.stream for s in es.streams for e in s.events}
    assert held_out and all(is_eval_stream(n) for n in held_out)
    assert not held_out & {s[0].stream for s in es.train}
