"""Golden test: a fixed tiny predictor on fixed data gives pinned numbers.

The data (tests/harness/golden/persona3_3days.jsonl) is committed, so a change in
the simulator cannot move these numbers; only a change in how the harness scores
can, and that is exactly what this test exists to catch. If it fails after a
deliberate amendment, update the numbers together with HARNESS_VERSION.
"""

from pathlib import Path

import numpy as np
import pytest

from augur.events.io import read_jsonl
from augur.events.vocab import ACTIONS
from augur.harness.evalsets import EvalSet, EvalStream
from augur.harness.evaluate import evaluate
from augur.harness.predictor import Predictions

DATA = Path(__file__).parent / "golden" / "persona3_3days.jsonl"


class TinyPredictor:
    """Bets on repeating the last action seen; fixed guesses for everything else."""

    name = "tiny"

    def predict(self, queries, actions):
        probs = np.full((len(queries), len(actions)), 0.4 / (len(actions) - 1))
        lanes, pro, delay, scores = [], [], [], []
        for r, q in enumerate(queries):
            last = next((e.action for e in reversed(q.window) if e.action), actions[0])
            probs[r] = 0.4 / (len(actions) - 1)
            probs[r, actions.index(last)] = 0.6
            lanes.append([0.1, 0.4, 0.2, 0.2, 0.1])
            pro.append(0.7 if q.window[-1].action else 0.3)
            delay.append(5.0 + len(q.window) % 7)
            artifact = q.window[-1].attributes.get("artifact")
            scores.append(np.array([1.0 if c.id == artifact else 0.0 for c in q.candidates]))
        return Predictions(probs, np.array(lanes), np.array(pro), np.array(delay), scores)


GOLDEN_STEPS = 104
# metric: (tiny predictor, Markov baseline, ceiling)
GOLDEN = {
    "next_action_top1": (0.057692307692307696, 0.18269230769230768, 0.4230769230769231),
    "next_action_top3": (0.09615384615384616, 0.27884615384615385, 0.7403846153846154),
    "routing_accuracy": (0.38461538461538464, 0.3269230769230769, 0.36538461538461536),
    "routing_macro_f1": (0.11111111111111112, 0.18389226571852826, 0.19334118694206653),
    "relevance_precision_at_1": (0.20552884615384615, 0.2107371794871795, 0.5480769230769231),
    "proactive_precision": (0.5573770491803278, 0.7058823529411765, 0.704225352112676),
    "proactive_recall": (0.6071428571428571, 0.42857142857142855, 0.8928571428571429),
    "proactive_f1": (0.5811965811965811, 0.5333333333333333, 0.7874015748031497),
    "calibration_ece": (0.5423076923076933, 0.11734014145873117, 0.09899011867800046),
    "calibration_nll": (4.560190718087544, 6.17025304202944, 1.6700179342340484),
    "calibration_brier": (1.2786499215070641, 0.9912927108643591, 0.700153215526361),
    "delay_mae_log": (0.9548401032397525, 0.7561848271458668, 0.3732000555681258),
    "timing_accuracy": (0.8076923076923077, 0.7884615384615384, 0.9326923076923077),
    "composite": (0.2875160256410255, 0.3469518832900243, 0.5360958397372878),
}


@pytest.fixture(scope="module")
def report():
    events = read_jsonl(DATA)
    cut = next(i for i, e in enumerate(events) if (e.ts - events[0].ts).days >= 2)
    es = EvalSet("golden", "persona 3, day 3", [EvalStream(events, cut)], ACTIONS, True,
                 "", [events[:cut]])
    return evaluate(TinyPredictor(), es)


def test_golden_numbers(report):
    got = {k: (m["value"], m["baselines"]["markov"], m["ceiling"])
           for k, m in report["metrics"].items()}
    assert report["steps"] == GOLDEN_STEPS
    for name, expected in GOLDEN.items():
        assert got[name] == pytest.approx(expected, abs=1e-9), name
