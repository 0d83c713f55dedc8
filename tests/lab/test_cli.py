import argparse
import json

import pytest

from augur.errors import AugurError
from augur.lab.cli import add_lab_arguments


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="augur")
    add_lab_arguments(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["lab", *argv])
    return args.func(args)


def test_collect_export_apply_compare_end_to_end(store, tmp_path, capsys):
    uri = ["--tracking-uri", store.tracking_uri]
    grid = ["--models", "template", "--prompts", "v1,v2-mentor", "--scenarios", "p42-morning",
            "p45-afternoon", "--n", "2", "--no-progress"]
    assert _run("collect", *uri, *grid) == 0
    assert "collected 4 cells, skipped 0" in capsys.readouterr().out
    assert _run("collect", *uri, *grid) == 0
    assert "collected 0 cells, skipped 4" in capsys.readouterr().out

    path = tmp_path / "judge.json"
    assert _run("judge", *uri, "export", "--out", str(path)) == 0
    doc = json.loads(path.read_text())
    for cell in doc["cells"]:
        for cand in cell["candidates"]:
            cand["scores"] = {"relevance": 4, "actionability": 4, "tone": 3}
    path.write_text(json.dumps(doc))
    assert _run("judge", "apply", str(path), *uri) == 0
    assert "applied scores to 4 cells" in capsys.readouterr().out

    out = tmp_path / "board.png"
    assert _run("compare", *uri, "--out", str(out)) == 0
    text = capsys.readouterr().out
    assert "template  v1" in text and "13.00" in text and out.is_file()


def test_errors_name_what_is_known(store):
    uri = ["--tracking-uri", store.tracking_uri]
    with pytest.raises(AugurError, match="known versions"):
        _run("collect", *uri, "--models", "template", "--prompts", "v0")
    with pytest.raises(AugurError, match="known scenarios"):
        _run("collect", *uri, "--models", "template", "--scenarios", "p1-dawn")
    with pytest.raises(ValueError, match="backend spec 'gpt9': unknown kind"):
        _run("collect", *uri, "--models", "template", "gpt9")  # from make_backend, up front
    with pytest.raises(AugurError, match="give a subcommand"):
        _run("judge", *uri)
    with pytest.raises(AugurError, match="no judged cells"):
        _run("compare", *uri)


def test_bad_n_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        _run("collect", "--n", "0")
    assert "--n must be a positive integer, got 0" in capsys.readouterr().err
