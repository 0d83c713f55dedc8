"""Config values that cannot train are refused when the config is made, with the field's
name, what it takes and what it got; before, a width of 0 or 0 epochs ended in a torch
traceback, and a learning rate of 0 wrote a checkpoint that had learnt nothing."""

from __future__ import annotations

import pytest

from augur.cli import main
from augur.errors import AugurError
from augur.oracle.config import OracleConfig, TrainConfig


@pytest.mark.parametrize(("field", "value", "says"), [
    ("epochs", 0, "epochs: expected an integer >= 1, got 0"),
    ("epochs", 2.5, "epochs: expected an integer >= 1, got 2.5"),
    ("seed", -1, "seed: expected an integer >= 0, got -1"),
    ("batch_tokens", True, "batch_tokens: expected an integer >= 1, got True"),
    ("patience", 0, "patience: expected an integer >= 1"),
    ("lr", 0.0, "lr: expected a finite number > 0, got 0.0"),
    ("lr", float("inf"), "lr: expected a finite number > 0, got inf"),
    ("weight_decay", -0.1, "weight_decay: expected a finite number >= 0"),
    ("ema_decay", 1.0, "ema_decay: expected a number in [0, 1), got 1.0"),
    ("val_fraction", 0.0, "val_fraction: expected a number in (0, 1), got 0.0"),
    ("time_budget_s", 0, "time_budget_s: expected a finite number > 0, got 0"),
    ("curriculum", (), "curriculum: expected increasing window lengths"),
    ("curriculum", (32, 16), "curriculum: expected increasing window lengths"),
    ("curriculum", (0, 16), "curriculum: expected increasing window lengths"),
])
def test_train_config_refuses_values_that_cannot_train(field, value, says):
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("+", r"\+")):
        TrainConfig(**{field: value})


@pytest.mark.parametrize(("kw", "says"), [
    ({"d_model": 0}, "d_model: expected an integer >= 1, got 0"),
    ({"n_layers": 0}, "n_layers: expected an integer >= 1, got 0"),
    ({"n_heads": 0}, "n_heads: expected an integer >= 1, got 0"),
    ({"d_model": 100, "n_heads": 3}, "d_model: expected a multiple of n_heads (3), got 100"),
    ({"dropout": 1.0}, "dropout: expected a number in [0, 1), got 1.0"),
    ({"sizes": {"type": 0}}, "sizes: expected field name -> vocabulary size >= 1, got"),
    ({"sizes": [3]}, "sizes: expected a dict"),
])
def test_oracle_config_refuses_shapes_that_cannot_build(kw, says):
    with pytest.raises(ValueError) as err:
        OracleConfig(**kw)
    assert says in str(err.value)


def test_the_defaults_and_a_list_curriculum_from_json_are_accepted():
    assert TrainConfig().epochs == 30 and OracleConfig().d_model == 256
    assert TrainConfig(curriculum=[5, 16]).curriculum == [5, 16]  # as read back from JSON


@pytest.mark.parametrize(("flags", "says"), [
    (["--width", "101"], "--width (d_model): expected a multiple of n_heads (4), got 101; "
                         "pick a width such as 100"),
    (["--epochs", "0"], "--epochs (epochs): expected an integer >= 1, got 0"),
    (["--time-budget", "-5"], "--time-budget (time_budget_s): expected a finite number > 0"),
    (["--layers", "0"], "--layers (n_layers): expected an integer >= 1, got 0"),
])
def test_train_command_names_the_flag_and_writes_nothing(tmp_path, tiny_data, flags, says,
                                                         capsys):
    out = tmp_path / "ck"
    assert main(["train", "--data", str(tiny_data), "--out", str(out), *flags]) == 2
    assert says in capsys.readouterr().err
    assert not out.exists()


def test_a_diverging_run_stops_with_the_fix_and_leaves_no_checkpoint(tmp_path, tiny_data,
                                                                    tiny):
    from augur.oracle.train import train

    out = tmp_path / "ck"
    with pytest.raises(AugurError, match=r"training diverged at step \d+ \(epoch 1\): the "
                                         r"loss is nan; lower the learning rate"):
        train(tiny_data, out, tiny[1](lr=1e30, epochs=1), OracleConfig(**tiny[0]),
              progress=False)
    assert not out.exists()


def test_data_with_no_labelled_step_to_train_or_validate_on_fails_by_name(tmp_path, tiny_data,
                                                                          tiny):
    """One event used to end in numpy's "cannot reshape array of size 0"."""
    from augur.events.io import read_jsonl, write_jsonl
    from augur.oracle.train import train

    events = read_jsonl(tiny_data)
    one, unlabelled = tmp_path / "one.jsonl", tmp_path / "unlabelled.jsonl"
    write_jsonl(one, events[:1])
    write_jsonl(unlabelled, [e.model_copy(update={"labels": None}) for e in events[:300]])
    for data, counts in ((one, "0 labelled steps to train on and 1 to validate on"),
                         (unlabelled, "0 labelled steps to train on and 0 to validate on")):
        with pytest.raises(AugurError, match=f"{data}: {counts}; training needs both"):
            train(data, tmp_path / "ck", tiny[1](), OracleConfig(**tiny[0]), progress=False)
        assert not (tmp_path / "ck").exists()
