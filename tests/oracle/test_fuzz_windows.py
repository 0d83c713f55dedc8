"""Any window the request schema accepts is predicted: every feature id lies inside its
embedding table and every probability is finite. Seeded random windows, not a fixed
case: events out of time order, offsets from -12:00 to +14:00, years 1971 to 2099,
unknown types, sources and actions, repeated artifacts, flags that are not True."""

from __future__ import annotations

import random
import warnings
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from augur.events.schema import Artifact, Event
from augur.events.vocab import ACTIONS, ARTIFACT_KINDS, EVENT_TYPES, SOURCES
from augur.oracle.features import CANDIDATE_FIELDS, EVENT_FIELDS, FLAG_NAMES, artifact_index
from augur.oracle.predictor import Oracle

WINDOWS = 120


def _name(rng: random.Random, known: tuple[str, ...]) -> str:
    return rng.choice(known) if rng.random() < 0.85 else f"made_up_{rng.randint(0, 9)}"


def _window(rng: random.Random, selves: tuple[str, ...]) -> list[Event]:
    person = rng.choice([*selves, "someone_new"])
    start = datetime(rng.randint(1971, 2099), 1, 1, tzinfo=UTC) + timedelta(
        days=rng.uniform(0, 360))
    t, events = start, []
    for _ in range(rng.choice([1, 2, 7, 64, 127, 128, 129, 200])):
        # Mostly forward, sometimes back (clock skew), sometimes days apart.
        t += timedelta(minutes=rng.choice([0, 0.5, 3, 40, -25, -3000, 9000]) * rng.random())
        offset = timezone(timedelta(minutes=15 * rng.randint(-48, 56)))
        mine = rng.random() < 0.5
        attrs = {}
        if rng.random() < 0.7:
            attrs["artifact"] = f"a-{rng.randint(0, 12)}" if rng.random() < 0.9 else 7
        for flag in FLAG_NAMES:
            if rng.random() < 0.1:
                attrs[flag] = rng.choice([True, False, "yes", 1])
        events.append(Event.model_validate({
            "ts": t.astimezone(offset).isoformat(), "type": _name(rng, EVENT_TYPES),
            "source": _name(rng, SOURCES), "stream": person,
            "actor": person if mine else f"colleague_{rng.randint(0, 300)}",
            "action": _name(rng, ACTIONS) if mine else None,
            "importance": rng.random(), "attributes": attrs,
            "project": rng.choice([None, "atlas", f"p{rng.randint(0, 99)}"])}))
    return events


def _candidates(rng: random.Random) -> list[Artifact]:
    return [Artifact(id=f"a-{rng.randint(0, 15)}", kind=_name(rng, ARTIFACT_KINDS),
                     project=rng.choice([None, "atlas"])) for _ in range(rng.randint(0, 10))]


@pytest.fixture(scope="module")
def oracle(tiny_checkpoint):
    return Oracle.load(tiny_checkpoint)


def test_every_feature_id_of_any_valid_window_is_inside_its_table(oracle):
    rng = random.Random(0)
    sizes = oracle.model.cfg.sizes
    assert oracle.vocab.selves  # the tiny model tells its people from strangers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown names warn once each, by design
        for n in range(WINDOWS):
            window, cands = _window(rng, oracle.vocab.selves), _candidates(rng)
            ev = oracle.featurizer.events(window)
            for j, field in enumerate(EVENT_FIELDS):
                lo, hi = int(ev[:, j].min()), int(ev[:, j].max())
                assert lo >= 0 and hi < sizes[field], (n, field, lo, hi, sizes[field])
            c = oracle.featurizer.candidates(window, artifact_index(window), len(window) - 1,
                                             0, cands)
            for j, field in enumerate(CANDIDATE_FIELDS):
                if len(c):
                    assert c[:, j].min() >= 0 and c[:, j].max() < sizes[field], (n, field)


def test_any_valid_window_gets_finite_predictions(oracle):
    rng = random.Random(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = [_window(rng, oracle.vocab.selves) for _ in range(WINDOWS // 4)]
        cands = [_candidates(rng) for _ in windows]
        raw = oracle.raw_batch(windows, cands)
        single = [oracle.predict(w, c) for w, c in zip(windows[:8], cands[:8], strict=True)]
    for key in ("next_action", "routing", "proactive", "delay"):
        assert np.isfinite(raw[key]).all(), key
    assert np.allclose(raw["next_action"].sum(1), 1, atol=1e-5)
    assert np.allclose(raw["routing"].sum(1), 1, atol=1e-5)
    assert (raw["delay"] >= 0).all()
    for p, row in zip(single, raw["next_action"], strict=False):
        assert p.next_actions[0][1] == pytest.approx(float(row.max()), abs=1e-5)
