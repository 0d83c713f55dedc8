import json

import pytest

from augur.oracle.config import OracleConfig, TrainConfig
from augur.research.experiment import Experiment, ExperimentError, field_docs, load_experiments


def test_default_is_the_default_oracle():
    mc, tc = Experiment().to_configs()
    default_m, default_t = OracleConfig(), TrainConfig()
    assert mc.to_json() == default_m.to_json()
    assert (tc.lr, tc.batch_tokens, tc.use_curriculum, tc.curriculum, tc.class_weighting) == (
        default_t.lr, default_t.batch_tokens, default_t.use_curriculum,
        tuple(default_t.curriculum), default_t.class_weighting)
    assert Experiment().describe() == "baseline (default oracle)"


def test_to_configs_and_describe():
    e = Experiment(d_model=32, n_layers=1, n_heads=2, pooling="mean", attention="bidirectional",
                   windows=[16, 32], lr=1e-3, class_weighting=False)
    mc, tc = e.to_configs()
    assert (mc.d_model, mc.n_layers, mc.n_heads, mc.d_ff) == (32, 1, 2, 96)
    assert (mc.pooling, mc.attention) == ("mean", "bidirectional")
    assert tc.curriculum == (16, 32) and tc.lr == 1e-3 and not tc.class_weighting
    d = e.describe()
    assert "d_model=32" in d and "pooling=mean" in d and "windows=16,32" in d
    assert "batch_tokens" not in d


def test_every_field_has_an_axis_and_a_description():
    docs = field_docs()
    assert {a for a, _ in docs.values()} == {"architecture", "data", "optimisation"}
    assert all(doc for _, doc in docs.values())
    assert "smollm2" in docs["use_backbone"][1].lower()


@pytest.mark.parametrize("kw, field", [
    ({"n_layers": 0}, "n_layers"), ({"d_model": 30, "n_heads": 4}, "n_heads"),
    ({"pooling": "max"}, "pooling"), ({"attention": "local"}, "attention"),
    ({"lr": 0}, "lr"), ({"lr": "fast"}, "lr"), ({"windows": (32, 16)}, "windows"),
    ({"windows": (16, 512)}, "windows"), ({"days": -1}, "days"),
    ({"use_backbone": "yes"}, "use_backbone"), ({"batch_tokens": 1.5}, "batch_tokens"),
])
def test_validation_names_field_expected_and_got(kw, field):
    with pytest.raises(ExperimentError, match=rf"^{field}: expected .*, got "):
        Experiment(**kw)


def test_load_json_list_and_jsonl(tmp_path):
    p = tmp_path / "e.json"
    p.write_text(json.dumps([{}, {"pooling": "mean", "windows": [16, 32]}]))
    exps = load_experiments(p)
    assert exps[0] == Experiment() and exps[1].windows == (16, 32)
    q = tmp_path / "e.jsonl"
    q.write_text('{"lr": 0.001}\n\n{"use_curriculum": false}\n')
    assert [e.describe() for e in load_experiments(q)] == ["lr=0.001", "use_curriculum=False"]


def test_load_rejects_unknown_fields_and_bad_values(tmp_path):
    p = tmp_path / "e.json"
    p.write_text(json.dumps([{"widht": 3}]))
    with pytest.raises(ExperimentError, match="experiment 1: unknown field"):
        load_experiments(p)
    p.write_text(json.dumps([{}, {"pooling": "max"}]))
    with pytest.raises(ExperimentError, match="experiment 2: pooling: expected"):
        load_experiments(p)
    p.write_text("{}")
    with pytest.raises(ExperimentError, match="non-empty list"):
        load_experiments(p)
