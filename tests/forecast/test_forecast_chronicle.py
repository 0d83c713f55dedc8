"""The dated corpus, Brainstormer and Chronicler on a small rendered world corpus."""

from __future__ import annotations

import json

import pytest

from augur.cli import main
from augur.forecast.brainstorm import brainstorm
from augur.forecast.case import read_cases
from augur.forecast.chronicle import chronicle, measure
from augur.forecast.corpus import (
    CorpusError,
    embed_documents,
    read_corpus,
    read_document,
    render_world_corpus,
)
from augur.forecast.world_events import world_cases

N_CHAINS = 30


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    chains = render_world_corpus(world_cases(N_CHAINS, 3, depth=3), folder, filler=10, seed=3)
    docs = read_corpus(folder)
    return folder, chains, docs, embed_documents(docs)


def test_reads_dates_from_name_or_first_line(tmp_path):
    (tmp_path / "2023-01-15-a.txt").write_text("Veltrix cuts jobs.\n\nMore words.\n")
    (tmp_path / "b.txt").write_text("Date: 2023-01-20\n\nVeltrix shares fall.\n")
    (tmp_path / "notes.md").write_text("not read")
    docs = read_corpus(tmp_path)
    assert [(d.name, d.date.isoformat(), d.title) for d in docs] == [
        ("2023-01-15-a.txt", "2023-01-15", "Veltrix cuts jobs."),
        ("b.txt", "2023-01-20", "Veltrix shares fall.")]


@pytest.mark.parametrize("name, text, fix", [
    ("undated.txt", "Something happened.\n", "no date"),
    ("c.txt", "Date: 2023-13-40\nText\n", "not a date"),
    ("2023-01-15-d.txt", "Date: 2023-01-16\nText\n", "make them agree"),
    ("2023-01-15-e.txt", "Date: 2023-01-15\n\n", "no text"),
])
def test_bad_files_are_named(tmp_path, name, text, fix):
    (tmp_path / name).write_text(text)
    with pytest.raises(CorpusError, match=fix) as err:
        read_document(tmp_path / name)
    assert name in str(err.value)


def test_empty_or_missing_folder(tmp_path):
    with pytest.raises(CorpusError, match="no \\*.txt files"):
        read_corpus(tmp_path)
    with pytest.raises(CorpusError, match="no such folder"):
        read_corpus(tmp_path / "nope")


def test_render_writes_only_what_happened(world):
    folder, chains, docs, _ = world
    assert len(docs) == N_CHAINS * 4 + 10
    titles = {d.title for d in docs}
    by_name = {d.name: d for d in docs}
    for chain in chains:
        assert chain.seed_text in titles and set(chain.outcomes) <= titles
        days = [by_name[n].date for n in (chain.seed, *chain.docs)]
        assert days == sorted(days) and len(set(days)) == 4
        # the chain's own articles are the seed and its actual outcomes, nothing else
        assert [by_name[n].title for n in chain.docs] == list(chain.outcomes)
    with pytest.raises(CorpusError, match="not empty"):
        render_world_corpus(world_cases(1, 3), folder)


def test_brainstorm_and_chronicle_recover_most_chains(world):
    _, chains, docs, vecs = world
    seeds = {c.seed for c in chains}
    proposed = brainstorm(docs, vecs, n=N_CHAINS)
    assert sum(p.doc in seeds for p in proposed) >= 0.5 * N_CHAINS
    ranged = brainstorm(docs, vecs, docs[40].date, docs[80].date, n=5)
    assert all(docs[40].date.isoformat() <= p.date <= docs[80].date.isoformat()
               for p in ranged)
    cases = chronicle(docs, vecs, [c.seed for c in chains], depth=3)
    first = {c.id.removeprefix("chronicle-") + ".txt": c.levels[0] for c in cases}
    hits = sum(first[c.seed].candidates[first[c.seed].actual].text == c.outcomes[0]
               for c in chains if c.seed in first)
    assert hits >= 0.6 * N_CHAINS
    for case in cases:
        assert case.seed.date <= case.levels[0].date
        assert all(len(lv.candidates) >= 2 for lv in case.levels)
    with pytest.raises(ValueError, match="not documents of the corpus"):
        chronicle(docs, vecs, ["missing.txt"])


def test_measure_is_json(world):
    report = measure(n=12, depth=2, filler=4, seed=5)
    json.dumps(report)
    assert set(report["chronicle_given_true_seeds"]["recovered_by_depth"]) == {1, 2}
    assert 0 <= report["brainstorm"]["precision"] <= 1


def test_cli_round_trip(world, tmp_path, capsys):
    folder, chains, docs, _ = world
    seeds = tmp_path / "seeds.jsonl"
    assert main(["forecast", "brainstorm", "--corpus", str(folder), "--n", "8",
                 "--from", docs[0].date.isoformat(), "--to", docs[-1].date.isoformat(),
                 "--out", str(seeds)]) == 0
    printed = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert len(printed) == 8 and {"doc", "date", "text", "score"} <= set(printed[0])
    out = tmp_path / "cases.jsonl"
    assert main(["forecast", "chronicle", "--corpus", str(folder), "--seeds", str(seeds),
                 "--out", str(out)]) == 0
    cases = read_cases(out)
    assert 1 <= len(cases) <= 8 and all(c.source == "chronicle" for c in cases)
    assert main(["forecast", "brainstorm", "--corpus", str(folder), "--from", "2020-02-01",
                 "--to", "2020-01-01"]) != 0
    assert "swap them" in capsys.readouterr().err


@pytest.mark.slow
def test_llm_ranker_keeps_the_range(world):
    from augur.llm.factory import make_backend

    _, _, docs, vecs = world
    backend = make_backend("llamacpp")
    try:
        proposed = brainstorm(docs, vecs, n=3, llm=backend)
    finally:
        backend.close()
    assert len(proposed) == 3 and len({p.doc for p in proposed}) == 3
