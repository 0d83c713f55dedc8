import pytest

from augur.cli import main
from augur.events.io import read_jsonl
from augur.events.persona import KnowledgeWorkerPersona


def test_synth_writes_the_simulator_output(tmp_path):
    out = tmp_path / "p.jsonl"
    assert main(["data", "synth", "--days", "3", "--seed", "9", "--out", str(out)]) == 0
    events = read_jsonl(out)
    assert [e.to_json() for e in events] == [
        e.to_json() for e in KnowledgeWorkerPersona(9).generate(3)]


@pytest.mark.parametrize(("days", "got"), [("-3", "got -3"), ("0", "got 0"),
                                         ("many", "got 'many'")])
def test_synth_rejects_bad_days_and_writes_nothing(tmp_path, capsys, days, got):
    out = tmp_path / "p.jsonl"
    with pytest.raises(SystemExit) as exc:
        main(["data", "synth", "--days", days, "--out", str(out)])
    assert exc.value.code == 2
    assert f"--days must be a positive integer, {got}" in capsys.readouterr().err
    assert not out.exists()


def test_synth_several_personas_makes_one_stream_each(tmp_path):
    out = tmp_path / "w.jsonl"
    assert main(["data", "synth", "--days", "2", "--seed", "50", "--personas", "3",
                 "--out", str(out)]) == 0
    streams = [e.stream for e in read_jsonl(out)]
    assert list(dict.fromkeys(streams)) == ["persona-50", "persona-51", "persona-52"]


def test_synth_refuses_the_cold_start_people(tmp_path, capsys):
    out = tmp_path / "w.jsonl"
    assert main(["data", "synth", "--days", "2", "--seed", "1000", "--personas", "3",
                 "--out", str(out)]) == 2
    assert "[1001, 1002] are the harness's cold-start people" in capsys.readouterr().err
    assert not out.exists()


def test_synth_side_by_side_writes_the_same_file_as_one_process(tmp_path):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    for out, jobs in ((one, "1"), (two, "2")):
        assert main(["data", "synth", "--days", "2", "--seed", "60", "--personas", "3",
                     "--jobs", jobs, "--out", str(out)]) == 0
    assert one.read_bytes() == two.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.jsonl", "two.jsonl"]


def test_synth_failure_leaves_no_output_and_no_parts(tmp_path, monkeypatch):
    from augur.events import synth

    def boom(seed, days, part):
        raise RuntimeError(f"simulating persona {seed} failed")

    monkeypatch.setattr(synth, "_one", boom)
    out = tmp_path / "w.jsonl"
    with pytest.raises(RuntimeError, match="persona 60 failed"):
        synth.synthesize([60, 61], 2, out, jobs=1)
    assert list(tmp_path.iterdir()) == []


def test_synth_into_a_folder_fails_before_simulating(tmp_path, capsys, monkeypatch):
    from augur.events import synth

    def never(seed, days, part):
        raise AssertionError("simulated before checking --out")

    monkeypatch.setattr(synth, "_one", never)
    assert main(["data", "synth", "--days", "2", "--out", str(tmp_path)]) == 2
    assert f"{tmp_path}: is a folder; name the JSON Lines file to write, such as " in (
        capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []
