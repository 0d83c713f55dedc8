import pytest

from augur.errors import AugurError
from augur.lab.collect import Cell, CollectConfig, collect
from augur.lab.generators import GenSettings
from augur.lab.store import COLLECTED

SCEN = ("p42-morning", "p43-afternoon")


def _config(models=("template", "fake-a"), prompts=("v1", "v3-few-shot"), **kw):
    return CollectConfig(models=models, prompts=prompts, scenarios=SCEN,
                         settings=GenSettings(n=3, **kw))


def test_every_cell_is_one_run_with_params_tags_and_artifacts(store, make_fake):
    report = collect(store, _config(), make=make_fake, progress=False)
    assert len(report.collected) == 2 * 2 * 2 and not report.failed
    runs = store.search(COLLECTED)
    assert len(runs) == 8
    run = next(r for r in runs if r.data.tags["model"] == "fake-a")
    p, t = run.data.params, run.data.tags
    assert {k: p[k] for k in ("n", "temperature", "max_tokens", "seed")} == \
        {"n": "3", "temperature": "0.7", "max_tokens": "64", "seed": "0"}
    assert p["prompt_version"] in ("v1", "v3-few-shot") and p["scenario"] in SCEN
    assert t["judge_pending"] == "true" and t["rubric_version"] == "tip-v1"
    assert t["cell_key"] == Cell("fake-a", p["prompt_version"], p["scenario"]).key(
        GenSettings(n=3))
    rid = run.info.run_id
    names = {a.path for a in store.client.list_artifacts(rid)}
    assert names == {"prompt.txt", "context.json", "candidates.json", "raw.json", "rubric.json"}
    cands = store.load_json(rid, "candidates.json")
    assert [c["index"] for c in cands] == [0, 1, 2]
    assert cands[1]["format_ok"] is False  # the fake's second tip is a markdown list
    raw = store.load_json(rid, "raw.json")
    assert raw[0]["prompt_tokens"] == 100 and raw[2]["seed"] == 2 and "latency_s" in raw[0]
    assert store.load_json(rid, "rubric.json")["version"] == "tip-v1"
    assert run.data.metrics["format_ok_rate"] == pytest.approx(2 / 3)


def test_models_load_one_at_a_time(store, make_fake):
    collect(store, _config(models=("fake-a", "template", "fake-b")), make=make_fake,
            progress=False)
    assert make_fake.log == ["load fake-a", "close fake-a", "load template", "close template",
                             "load fake-b", "close fake-b"]


def test_rerun_skips_collected_cells_and_new_settings_are_new_cells(store, make_fake):
    collect(store, _config(models=("template",)), make=make_fake, progress=False)
    again = collect(store, _config(models=("template", "fake-a")), make=make_fake,
                    progress=False)
    assert again.skipped == 4 and len(again.collected) == 4
    assert make_fake.log.count("load template") == 1  # nothing left to do: never loaded
    hotter = collect(store, _config(models=("template",), temperature=1.0), make=make_fake,
                     progress=False)
    assert hotter.skipped == 0 and len(hotter.collected) == 4


def test_a_failing_cell_is_recorded_and_the_rest_continue(store, make_fake):
    def make(spec):
        gen = make_fake(spec)
        gen.backend.fail_on = "persona-43"  # every cell of scenario p43-afternoon fails
        return gen

    report = collect(store, _config(models=("fake-a",)), make=make, progress=False)
    assert len(report.collected) == 2 and len(report.failed) == 2
    assert all("backend exploded" in e for e in report.failed.values())
    failed = store.search("tags.status = 'failed'")
    assert len(failed) == 2
    assert failed[0].data.tags["error"] == "RuntimeError: backend exploded"
    assert failed[0].data.tags["judge_pending"] == "false"
    assert failed[0].info.status == "FAILED"
    # failed cells are tried again on the next run
    retry = collect(store, _config(models=("fake-a",)), make=make_fake, progress=False)
    assert retry.skipped == 2 and len(retry.collected) == 2


def test_unknown_prompts_and_scenarios_fail_before_any_work(store, make_fake):
    with pytest.raises(AugurError, match="known versions"):
        collect(store, _config(prompts=("v7",)), make=make_fake, progress=False)
    with pytest.raises(AugurError, match="known scenarios"):
        collect(store, CollectConfig(models=("template",), prompts=("v1",),
                                     scenarios=("nowhere",)), make=make_fake, progress=False)
    assert make_fake.log == []
