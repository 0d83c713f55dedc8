import pytest

from augur.lab.generators import GenSettings, TemplateGenerator, TipGenerator, make_generator
from augur.lab.prompts import get_prompt
from augur.lab.rubric import flags
from augur.lab.scenarios import SCENARIOS


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_template_floor_writes_well_formed_tips_about_open_items(name):
    ctx = SCENARIOS[name].context()
    tips = TemplateGenerator().generate(get_prompt("v1"), ctx, GenSettings(n=4, seed=3))
    assert len(tips) == 4
    for tip in tips:
        assert flags(tip.text) == {"format_ok": True, "overlong": False}, tip.text
        assert tip.model == "template" and tip.completion_tokens > 0
    assert ctx.open_tasks[0]["artifact"] in tips[0].text
    assert len({t.text for t in tips}) > 1


def test_template_is_deterministic_in_its_seed():
    ctx = SCENARIOS["p43-morning"].context()
    gen, p = TemplateGenerator(), get_prompt("v1")
    texts = [g.text for g in gen.generate(p, ctx, GenSettings(n=3, seed=5))]
    assert texts == [g.text for g in gen.generate(p, ctx, GenSettings(n=3, seed=5))]


def test_tip_generator_sends_the_rendered_prompt_with_seed_plus_i(fake_backend):
    backend = fake_backend()
    gen = TipGenerator(backend)
    ctx = SCENARIOS["p42-afternoon"].context()
    out = gen.generate(get_prompt("v2-mentor"), ctx,
                       GenSettings(n=3, temperature=0.2, max_tokens=40, seed=10))
    assert len(out) == 3 and gen.name == "fake"
    assert [c["seed"] for c in backend.calls] == [10, 11, 12]
    assert all(c["max_tokens"] == 40 and c["temperature"] == 0.2 for c in backend.calls)
    assert backend.calls[0]["messages"] == get_prompt("v2-mentor").render(ctx)
    gen.close()
    assert backend.closed


@pytest.mark.parametrize("kw, match", [
    ({"n": 0}, "n must be a positive integer"),
    ({"temperature": 3.0}, "temperature"),
    ({"max_tokens": -1}, "max_tokens"),
])
def test_settings_are_checked(kw, match):
    with pytest.raises(ValueError, match=match):
        GenSettings(**kw)


def test_make_generator_template_needs_no_backend():
    assert isinstance(make_generator("template"), TemplateGenerator)
