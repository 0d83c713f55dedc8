"""The real eval sets (slow: they generate 760 days of persona 42 on first use)."""

import json

import pytest

from augur.cli import main
from augur.harness import constants as C

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report():
    from augur.scorecard import build_report

    return build_report(None, "markov", None, progress=False)


def test_markov_is_well_below_the_ceiling_on_the_temporal_holdout(report):
    top1 = report["eval_sets"]["temporal"]["metrics"]["next_action_top1"]
    assert top1["ceiling"] - top1["value"] >= 0.10, top1


def test_both_eval_sets_have_baselines_and_ceilings(report):
    assert set(report["eval_sets"]) == {"temporal", "cold_start"}
    for es in report["eval_sets"].values():
        assert es["steps"] > 1000
        for name, m in es["metrics"].items():
            assert m["ceiling"] is not None, name
            assert all(v is not None for v in m["baselines"].values()), name
        for head in ("next_action_top1", "routing_accuracy", "relevance_precision_at_1",
                     "proactive_f1", "composite"):
            m = es["metrics"][head]
            assert m["ceiling"] > max(m["baselines"].values()), head


def test_cold_start_holds_three_people():
    from augur.harness.evalsets import synthetic_eval_sets
    from augur.harness.manifest import load_manifest

    sets = {es.name: es for es in synthetic_eval_sets(load_manifest()["data"])}
    assert len(sets["cold_start"].streams) == len(C.COLD_START_SEEDS)
    temporal = sets["temporal"].streams[0]
    assert temporal.score_from == C.CONTEXT_EVENTS
    first_scored = temporal.events[temporal.score_from].ts
    assert (first_scored - sets["temporal"].train[0][0].ts).days == C.TRAIN_DAYS


def test_cli_json_has_value_baselines_ceiling_headroom(capsys):
    assert main(["evaluate", "--baseline", "markov", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for es in report["eval_sets"].values():
        for m in es["metrics"].values():
            assert {"value", "baselines", "ceiling", "headroom_captured"} <= set(m)


def test_cli_table_is_readable(capsys):
    assert main(["evaluate", "--baseline", "uniform"]) == 0
    out = capsys.readouterr().out
    assert "temporal:" in out and "cold_start:" in out and "next_action_top1" in out
