"""Golden test of the frozen forecast harness: the manifest verifies, the datasets hash
to pinned values, a changed harness file or dataset is refused, and uniform, the base
rate and the ceiling score pinned numbers on each test split (so a changed metric,
baseline or generator shows here, not as quietly moved results).

If a deliberate amendment moves them: bump FORECAST_HARNESS_VERSION, add the CHANGELOG
entry, `augur forecast seal`, and update the pins below with the reason.
"""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from augur import frozen
from augur.cli import build_parser
from augur.forecast.case import split_of
from augur.forecast.harness import constants as C
from augur.forecast.harness.data import cache_dir, forecast_cases
from augur.forecast.harness.evaluate import evaluate
from augur.forecast.harness.manifest import FORECAST_HARNESS, verify

DATA_SHA256 = {
    "persona_test": "9346d7df99c97b56e6ee6be16f16a86929be9c4bdeba89841ecf492e234989cc",
    "persona_train": "ed741b0f34609dabfd7f5ae7f16304644ae8bcf15bf453b050405086418c8434",
    "persona_val": "97f98360d6019b847d1c2c812d327dcc43c709743ae9180a5769cfcc5ba322fc",
    "world_test": "b1450e18709aebd880ff44c7829d5d7e201218b0befac255af3c0368f9d09bd0",
    "world_train": "d3ed05f69807bfb3a9e13e2e5f260ecd9432d55be8c038677bac8600633851c4",
    "world_val": "2002deb6df0e3a74e83f8c9fb925906bed9c8b36f5a60afeccd168ffdb9026e0",
}
CASES = {"world": {"train": 3928, "val": 511, "test": 561},
         "persona": {"train": 1280, "val": 120, "test": 200}}
# (source, depth or "all") -> levels, then {row: (multiclass Brier, loss)} on the test split,
# the base rate fitted on the train split.
GOLDEN = {
    ("world", "all"): (2244, {"uniform": (0.803, 1.634), "base-rate": (0.757, 1.522),
                              "ceiling": (0.559, 1.097)}),
    ("world", 1): (561, {"uniform": (0.804, 1.635), "base-rate": (0.784, 1.575),
                         "ceiling": (0.575, 1.132)}),
    ("world", 2): (561, {"uniform": (0.805, 1.642), "base-rate": (0.753, 1.528),
                         "ceiling": (0.579, 1.131)}),
    ("world", 3): (561, {"uniform": (0.802, 1.626), "base-rate": (0.747, 1.488),
                         "ceiling": (0.534, 1.055)}),
    ("world", 4): (561, {"uniform": (0.803, 1.633), "base-rate": (0.745, 1.496),
                         "ceiling": (0.549, 1.071)}),
    ("persona", "all"): (648, {"uniform": (0.796, 1.600), "base-rate": (0.695, 1.378),
                               "ceiling": (0.621, 1.225)}),
    ("persona", 1): (200, {"uniform": (0.796, 1.603), "base-rate": (0.705, 1.403),
                           "ceiling": (0.622, 1.231)}),
    ("persona", 2): (173, {"uniform": (0.796, 1.603), "base-rate": (0.674, 1.343),
                           "ceiling": (0.616, 1.230)}),
    ("persona", 3): (148, {"uniform": (0.794, 1.593), "base-rate": (0.679, 1.334),
                           "ceiling": (0.608, 1.173)}),
    ("persona", 4): (127, {"uniform": (0.796, 1.602), "base-rate": (0.723, 1.440),
                           "ceiling": (0.641, 1.268)}),
}


@pytest.fixture(scope="module")
def reports():
    return {s: evaluate([], forecast_cases(s, "test"), forecast_cases(s, "train"))
            for s in C.SOURCES}


def test_the_manifest_verifies_with_every_dataset_pinned():
    manifest = verify()
    assert manifest["version"] == C.FORECAST_HARNESS_VERSION
    assert manifest["data"] == DATA_SHA256
    assert {"metrics.py", "baselines.py", "data.py", "evaluate.py",
            "constants.py"} <= set(manifest["code"])
    assert cache_dir().parent.name == f"forecast-harness-v{C.FORECAST_HARNESS_VERSION}"


def test_the_seal_command_the_errors_name_exists():
    assert FORECAST_HARNESS.seal_command == "augur forecast seal"
    for command in ("seal", "verify"):
        args = build_parser().parse_args(["forecast", command])
        assert args.func.__name__ == f"_cmd_{command}"


def test_a_changed_harness_file_is_refused(tmp_path):
    root = tmp_path / "harness"
    shutil.copytree(FORECAST_HARNESS.root, root, ignore=shutil.ignore_patterns("__pycache__"))
    spec = dataclasses.replace(FORECAST_HARNESS, root=root)
    assert frozen.verify_code(spec)["version"] == C.FORECAST_HARNESS_VERSION
    path = root / "metrics.py"
    path.write_text(path.read_text().replace('"brier": M.brier_score(probs, labels)',
                                             '"brier": 0.0'))
    with pytest.raises(frozen.FrozenChangedError) as err:
        frozen.verify_code(spec)
    msg = str(err.value)
    assert "metrics.py was modified" in msg and "FORECAST_HARNESS_VERSION" in msg
    assert "forecast-harness vN" in msg and "augur forecast seal" in msg


def test_changed_data_is_refused():
    sealed = verify()["data"]
    with pytest.raises(frozen.FrozenChangedError, match=r"forecast-harness eval data changed "
                                                        r"\(world_test: sha256 000000000000"):
        frozen.verify_data(FORECAST_HARNESS, dict(sealed, world_test="0" * 64), sealed)


def test_seal_refuses_a_silent_amendment(tmp_path):
    with pytest.raises(frozen.FrozenChangedError, match="an amendment needs a new version"):
        frozen.seal(FORECAST_HARNESS, tmp_path / "CHANGELOG.md", progress=False)


def test_splits_have_their_sizes_and_never_share_a_case_or_person():
    people = {}
    for source, sizes in CASES.items():
        for split, n in sizes.items():
            cases = forecast_cases(source, split, verify=False)
            assert len(cases) == n and {c.split for c in cases} == {split}
            assert all(c.source == source for c in cases)
            if source == "world":
                assert all(split_of(c.id) == split and len(c.levels) == C.WORLD_DEPTH
                           for c in cases)
            else:
                for c in cases:
                    people.setdefault(c.id.rsplit("-", 1)[0], set()).add(split)
    assert len(people) == C.PERSONA_CASES // 20 and all(len(s) == 1 for s in people.values())


def test_uniform_base_rate_and_ceiling_are_pinned(reports):
    for (source, depth), (n, rows) in GOLDEN.items():
        report = reports[source]
        group = report["overall"] if depth == "all" else report["by_depth"][depth]
        assert group["n"] == n, (source, depth)
        for name, (brier, loss) in rows.items():
            got = group["forecasters"][name]
            assert got["brier"] == pytest.approx(brier, abs=5e-4), (source, depth, name)
            assert got["loss"] == pytest.approx(loss, abs=5e-4), (source, depth, name)
        assert group["best_baseline"] == {"brier": "base-rate", "loss": "base-rate"}
    for report in reports.values():
        assert report["ceiling"] and report["market_levels"] == 0
        assert set(report["by_depth"]) == {1, 2, 3, 4}


def test_forecast_cases_names_what_it_expects():
    with pytest.raises(ValueError, match="source: expected one of world, persona, got 'news'"):
        forecast_cases("news", "test")
    with pytest.raises(ValueError, match="split: expected one of train, val, test, got 'dev'"):
        forecast_cases("world", "dev")


def test_the_cache_is_keyed_by_version_and_by_the_code_the_data_comes_from(tmp_path,
                                                                             monkeypatch):
    monkeypatch.setenv("AUGUR_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "generator.py"
    source.write_text("A = 1\n")
    first = frozen.cache_dir(FORECAST_HARNESS, [source])
    assert first.parent == tmp_path / "cache" / f"forecast-harness-v{C.FORECAST_HARNESS_VERSION}"
    source.write_text("A = 2\n")
    assert frozen.cache_dir(FORECAST_HARNESS, [source]) != first
