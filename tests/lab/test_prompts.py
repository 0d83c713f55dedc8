import pytest

from augur.errors import AugurError
from augur.lab.context import PLACEHOLDERS
from augur.lab.prompts import get_prompt, known_versions, parse_prompt, render_text
from augur.lab.scenarios import SCENARIOS

GOOD = """version: v9
description: a test prompt

=== system ===
Be brief. A literal {{brace}}.

=== user ===
It is {time} for {person}.
"""


def test_registry_has_the_three_versions():
    assert {"v1", "v2-mentor", "v3-few-shot"} <= set(known_versions())


def test_unknown_version_lists_known_ones():
    with pytest.raises(AugurError, match="known versions: .*v1.*v2-mentor.*v3-few-shot"):
        get_prompt("v0")


@pytest.mark.parametrize("version", ["v1", "v2-mentor", "v3-few-shot"])
def test_every_prompt_renders_the_context(version):
    ctx = SCENARIOS["p42-morning"].context()
    messages = get_prompt(version).render(ctx)
    assert [m["role"] for m in messages] == ["system", "user"]
    text = render_text(messages)
    assert "persona-42" in text and "{" not in text
    assert ctx.open_tasks[0]["artifact"] in text


def test_file_format_parses_header_sections_and_literal_braces():
    p = parse_prompt(GOOD, "v9")
    assert (p.version, p.description) == ("v9", "a test prompt")
    ctx = SCENARIOS["p43-afternoon"].context()
    system, user = p.render(ctx)
    assert system["content"] == "Be brief. A literal {brace}."
    assert user["content"] == "It is 14:30 for persona-43."


@pytest.mark.parametrize("text, match", [
    (GOOD.replace("=== user ===", "=== usr ==="), "system ===' section followed by"),
    (GOOD.replace("{time}", "{clock}"), "unknown placeholders \\['clock'\\]"),
    (GOOD.replace("version: v9", "version: v8"), "must equal its file name"),
    (GOOD.replace("description: a test prompt\n", ""), "description"),
    (GOOD.replace("{time}", "{time"), "literal braces"),
])
def test_bad_prompt_files_fail_naming_the_problem(text, match):
    with pytest.raises(AugurError, match=match):
        parse_prompt(text, "v9", "v9.md")


def test_placeholders_cover_what_the_context_provides():
    ctx = SCENARIOS["p44-morning"].context()
    assert set(ctx.placeholders()) == set(PLACEHOLDERS)
