"""The playground in a real browser against a real `augur serve`: Debian's chromium driven
by Playwright (never Playwright's downloaded browsers), with every request that leaves
127.0.0.1 blocked, which proves the page needs no CDN."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path(os.environ.get("AUGUR_CHROMIUM", "/usr/bin/chromium"))
STARTUP_S = 30

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason=f"no chromium at {CHROMIUM}: run scripts/setup-browser.sh (as root) to install "
           "Debian's, or set AUGUR_CHROMIUM to a Chromium binary")


def _serve(models_dir, tmp_path, server_process):
    env = {k: v for k, v in os.environ.items() if k != "AUGUR_API_TOKEN"}
    args = ["augur.cli", "serve", "--host", "127.0.0.1", "--port", "{port}", "--models",
            str(models_dir)]
    return server_process(args, "/healthz", tmp_path / "serve.log", STARTUP_S, env)


@pytest.fixture
def server(models_dir, tmp_path, server_process):
    """`augur serve` over alpha and beta as a subprocess, the way a user runs it."""
    with _serve(models_dir, tmp_path, server_process) as url:
        yield url


@pytest.fixture
def server_with_log(models_dir, tiny_log_checkpoint, tmp_path, server_process):
    """The same, with a third model, `log`, trained without lane, interruption or
    candidate labels."""
    shutil.copytree(tiny_log_checkpoint, models_dir / "log")
    with _serve(models_dir, tmp_path, server_process) as url:
        yield url


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # --no-sandbox: the test runs as root, where Chromium's sandbox refuses to start.
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--no-sandbox"])
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


def _compare(page, server: str, a: str, b: str, scenario: str) -> None:
    """Open the playground, compare models a and b on a scenario, wait for both sides."""
    page.goto(f"{server}/playground")
    page.wait_for_selector(f"#model-b option[value={b}]", state="attached")
    page.select_option("#model-a", a)
    page.select_option("#model-b", b)
    page.select_option("#scenario", scenario)
    page.click("#compare")
    # Each side records what it shows, so this waits out any earlier, stale comparison.
    for side, model in (("a", a), ("b", b)):
        page.wait_for_selector(f"#side-{side}[data-model={model}][data-scenario={scenario}] "
                               ".actions .bar")


def _watch(page) -> tuple[list[str], list[str]]:
    """(requests that tried to leave 127.0.0.1, aborted; JavaScript errors), filled as
    the page runs: the playground must work offline and without errors."""
    outside, page_errors = [], []

    def only_loopback(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    return outside, page_errors


def test_playground_compares_two_models(server, page, tmp_path):
    outside, page_errors = _watch(page)
    _compare(page, server, "alpha", "beta", "pr_review")

    for side in ("#side-a", "#side-b"):
        widths = page.eval_on_selector_all(
            f"{side} .actions .bar", "els => els.map(e => e.getBoundingClientRect().width)")
        assert len(widths) >= 5, f"{side} shows {len(widths)} action bars, expected 5"
        assert all(w > 0 for w in widths), f"{side} has a zero-width bar: {widths}"
    diff = page.text_content("#composite-diff").strip()
    assert re.fullmatch(r"[+-]?\d+\.\d+", diff), f"composite diff is not a number: {diff!r}"
    assert page.text_content("#error").strip() == ""

    page.fill("#events", "[{not json")
    page.click("#compare")
    page.wait_for_selector("#error:not(:empty)")
    message = page.text_content("#error")
    assert "events" in message and "not valid JSON" in message, message

    shots = Path(os.environ.get("AUGUR_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / "playground.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 1000

    assert outside == [], f"the page tried to reach beyond 127.0.0.1: {outside}"
    assert page_errors == [], f"JavaScript errors on the page: {page_errors}"


def test_playground_shows_heads_a_model_never_trained(server_with_log, page):
    page_errors = []
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    _compare(page, server_with_log, "alpha", "log", "pr_review")
    said = page.eval_on_selector_all("#side-b .untrained", "els => els.map(e => e.textContent)")
    assert said == [f"not trained: this model's data had no {what} labels"
                    for what in ("lane", "interruption", "candidate")]
    assert page.text_content("#side-b .delay").startswith("Next action expected in ")
    assert page.eval_on_selector_all("#side-a .untrained", "els => els.length") == 0
    assert page.eval_on_selector_all("#side-a .lanes li", "els => els.length") == 5
    assert page.text_content("#error").strip() == ""
    assert page_errors == [], f"JavaScript errors on the page: {page_errors}"


@pytest.fixture
def memory_server(models_dir, tmp_path, server_process):
    """`augur serve --memory` over a small memory built from a folder of notes."""
    from augur.memory.ingest import folder_batch, ingest
    from augur.memory.store.sqlite import SQLiteStore

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "release.md").write_text("# Release checklist\n\nTag the build, ship, announce.\n")
    (notes / "budget.md").write_text("# Budget for the offsite\n\nVenue, travel, meals.\n")
    store = tmp_path / "memory.db"
    with SQLiteStore(store) as s:
        ingest(s, folder_batch(notes))  # no vectors: SEARCH still has BM25 and entities
    env = {k: v for k, v in os.environ.items() if k != "AUGUR_API_TOKEN"}
    args = ["augur.cli", "serve", "--host", "127.0.0.1", "--port", "{port}", "--models",
            str(models_dir), "--memory", str(store)]
    with server_process(args, "/healthz", tmp_path / "serve.log", STARTUP_S, env) as url:
        yield url


def test_memory_page_runs_queries_and_shows_errors(memory_server, page):
    page_errors = []
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.goto(f"{memory_server}/playground/memory")
    page.wait_for_selector("#stats:has-text('2 resources')")
    page.fill("#query", "FUZZY 'relase cheklist' IN resources THRESHOLD 0.2")
    page.click("#run")
    page.wait_for_selector("#rows tbody tr")
    first = page.text_content("#rows tbody tr:first-child")
    assert "Release checklist" in first, first
    assert "1 rows" in page.text_content("#summary") or "rows in" in page.text_content("#summary")
    page.fill("#query", 'SEARCH "x" IN widgets')
    page.click("#run")
    page.wait_for_selector("#error:not(:empty)")
    message = page.text_content("#error")
    assert message.startswith("400") and "widgets" in message, message
    assert page_errors == [], f"JavaScript errors on the page: {page_errors}"


def test_memory_page_asks_in_words(memory_server, page):
    page_errors = []
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.goto(f"{memory_server}/playground/memory")
    page.fill("#ask", "open 'Release checklist'")
    page.click("#ask-run")
    # The server builds the model in the background at startup; the first answer may wait
    # for it (seconds, more on a cold embedding cache).
    page.wait_for_selector("#ask-query[data-state=answered]", timeout=120_000)
    shown = page.text_content("#ask-query")
    assert shown.startswith('fast made: LOOKUP "Release checklist"'), shown
    assert "Release checklist" in page.text_content("#rows tbody tr:first-child")
    assert page.input_value("#query") == 'LOOKUP "Release checklist"'  # ready to edit

    page.fill("#ask", "send an email to Ana about the budget")
    page.press("#ask", "Enter")
    page.wait_for_selector("#ask-query[data-state=refused]")
    assert page.text_content("#ask-query").startswith("Refused by fast")
    assert page.eval_on_selector_all("#rows tbody tr", "els => els.length") == 0

    page.fill("#ask", "   ")
    page.click("#ask-run")
    page.wait_for_selector("#ask-query[data-state=failed]", state="attached")  # empty: hidden
    message = page.text_content("#error")
    assert message.startswith("422") and "body.text" in message, message
    assert page_errors == [], f"JavaScript errors on the page: {page_errors}"


def test_annotation_page_labels_and_saves(memory_server, page):
    """Open the annotation page from the memory page's link, label a candidate, save, and
    find the label in the store through GET /memory/annotations."""
    import json
    import urllib.request

    outside, page_errors = _watch(page)
    page.goto(f"{memory_server}/playground/memory")
    page.click("a[href='/playground/annotate']")
    page.fill("#annotator", "tester")
    page.click("#load")
    # The first answer builds the served edge scorer (seconds, more on a cold cache).
    page.wait_for_selector("#pairs tbody tr[data-labelled=no]", timeout=120_000)
    assert page.eval_on_selector_all("#pairs tbody tr", "els => els.length") == 8
    assert page.text_content("#progress").startswith("tester: 0 of 320 pairs labelled")
    source = page.get_attribute("#source", "data-source")
    first = page.locator("#pairs tbody tr").first
    candidate = first.get_attribute("data-candidate")
    first.locator(".affinity-value").fill("0.9")
    first.locator(".type").select_option("PREREQUISITE")
    first.locator(".reason-useful").select_option("5")
    page.click("#save")
    page.wait_for_selector("#saved[data-saved='8']")
    assert page.text_content("#progress").startswith("tester: 8 of 320 pairs labelled, 1 of")
    assert page.input_value("#pairs tbody tr:first-child .affinity") == "0.9"  # reloaded

    with urllib.request.urlopen(f"{memory_server}/memory/annotations?annotator=tester") as r:
        labels = json.load(r)["labels"]
    assert len(labels) == 8
    mine = next(x for x in labels if x["candidate"] == candidate)
    assert (mine["source"], mine["affinity"], mine["type"], mine["reason_useful"],
            mine["model"]) == (source, 0.9, "PREREQUISITE", 5, "scorer")

    page.click("#next")  # the first source is done: the next one is offered
    page.wait_for_selector(f"#source:not([data-source='{source}'])")
    if os.environ.get("AUGUR_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["AUGUR_SCREENSHOT_DIR"]) / "annotate.png"),
                        full_page=True)
    assert page.text_content("#error").strip() == ""
    assert outside == [], f"the page tried to reach beyond 127.0.0.1: {outside}"
    assert page_errors == [], f"JavaScript errors on the page: {page_errors}"


def test_forecast_page_draws_bars_beside_the_truth(server, page):
    """Open the forecast page from the models page's link: the first example case loads
    and is forecast; each depth shows a forecast bar and a true-probability bar per
    candidate, with the outcome that happened marked; a bad case names its field."""
    outside, page_errors = _watch(page)
    page.goto(f"{server}/playground")
    page.click("a[href='/playground/forecast']")
    page.wait_for_selector("body[data-shown^='base-rate:'] .fc-level", timeout=60_000)
    page.select_option("#forecaster", "uniform")
    page.select_option("#source", "persona")
    page.fill("#index", "2")
    page.click("#load")
    page.wait_for_selector("body[data-shown^='uniform:persona-'] .fc-level")
    levels = page.eval_on_selector_all(".fc-level", "els => els.length")
    assert levels >= 1
    for level in range(1, levels + 1):
        sel = f".fc-level:nth-child({level})"
        forecast = page.eval_on_selector_all(
            f"{sel} .bar.forecast", "els => els.map(e => e.getBoundingClientRect().width)")
        true = page.eval_on_selector_all(f"{sel} .bar.true", "els => els.length")
        assert len(forecast) >= 2 and true == len(forecast), (forecast, true)
        assert all(w > 0 for w in forecast) and len(set(forecast)) == 1  # uniform
        assert page.eval_on_selector_all(f"{sel} li.actual", "els => els.length") == 1
    assert page.text_content("#error").strip() == ""
    if os.environ.get("AUGUR_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["AUGUR_SCREENSHOT_DIR"]) / "forecast.png"),
                        full_page=True)

    page.click("summary")
    page.fill("#fc-case", '{"id": "x", "source": "s", "seed": {"text": "t"}, "levels": []}')
    page.click("#predict")
    page.wait_for_selector("#error:not(:empty)")
    message = page.text_content("#error")
    assert message.startswith("422: body.case:") and "levels" in message, message
    assert outside == [], f"the page tried to reach beyond 127.0.0.1: {outside}"
    assert page_errors == [], f"JavaScript errors on the page: {page_errors}"
