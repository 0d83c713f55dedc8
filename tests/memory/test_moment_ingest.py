"""Ingest cuts moments (REM task 3's wiring): a transcript or a person's events become
Moment records with stable ids and the memory's people, through `augur memory ingest
--moments`; a bad file fails by name and leaves the store as it was. The wiring runs on
the `one` and `fixed` models (milliseconds); one slow test fits `trained` and reads it
back from the disk cache."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from augur.cli import main
from augur.memory.ingest import IngestError
from augur.memory.model import Entity, MemoryBatch
from augur.memory.store.sqlite import SQLiteStore
from augur.memory.tasks import moment_ingest as MI
from augur.memory.tasks.harness.moment_schema import MomentAnswer, MomentLine, MomentOut

TZ = timezone(timedelta(hours=1))
ENTITIES = [Entity(id="ana-ruiz", name="Ana Ruiz", kind="person", aliases=["Ana"]),
            Entity(id="ben-okafor", name="Ben Okafor", kind="person", aliases=["Ben"]),
            Entity(id="cobalt", name="cobalt", kind="project")]
# Three hours of one morning: a standup, a long silence, then coding.
TRANSCRIPT = """\
2025-03-04 09:00+01:00 Ana: standup: what is blocking the cobalt release?
2025-03-04 09:05+01:00 Ben Okafor: the payment retries still fail in staging
2025-03-04 09:12+01:00 Carla Diaz: I can pair on it after lunch
continued: or tomorrow morning
2025-03-04 10:40+01:00 ben: coding on the retry backoff for cobalt
2025-03-04 11:15+01:00 ben: tests pass locally, pushing
2025-03-04 12:05+01:00 Ben: opened the PR for the retry backoff
"""


def _event(ts: str, **kw) -> dict:
    return {"ts": ts, "type": "email_received", "source": "mail", "actor": "ana", **kw}


EVENTS = [
    _event("2025-03-03T09:00:00+09:00", project="cobalt", topic="release",
           attributes={"artifact": "thread-1", "subject": "Release notes"}),
    _event("2025-03-03T23:30:00+09:00"),
    _event("2025-03-04T08:10:00+09:00", type="code_edited", source="git", actor="persona-7",
           action="write_code", project="cobalt", attributes={"artifact": "pr-3"}),
    _event("2025-03-04T09:40:00+09:00", type="chat_message", source="chat", actor="ben"),
]


@pytest.fixture
def db(tmp_path):
    """A SQLite memory holding ENTITIES, as a path."""
    path = tmp_path / "m.db"
    with SQLiteStore(path) as store:
        store.add(MemoryBatch(entities=ENTITIES))
    return str(path)


def _ingest(capsys, *args: str) -> dict:
    assert main(["memory", "ingest", "--no-embed", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _fails(capsys, *args: str) -> str:
    assert main(["memory", "ingest", "--no-embed", *args]) == 2
    return capsys.readouterr().err


def _records(db: str) -> list[dict]:
    with SQLiteStore(db) as store:
        return sorted(store.export(), key=lambda r: json.dumps(r, sort_keys=True, default=str))


def test_a_transcript_becomes_moments_and_a_second_ingest_adds_nothing(tmp_path, db, capsys):
    path = tmp_path / "day.txt"
    path.write_text(TRANSCRIPT)
    first = _ingest(capsys, "--moments", str(path), "--store", db, "--moment-model", "fixed")
    assert first["lines"] == 6 and first["model"] == "fixed"
    moments = first["moments"]
    assert len(moments) >= 2 and first["added"] == {"moments": len(moments)}
    assert [m["start"] for m in moments] == sorted(m["start"] for m in moments)
    assert moments[0]["start"] == "2025-03-04T09:00:00+01:00"
    people = {p["id"]: p["name"] for p in moments[0]["present_persons"]}
    # Ana and Ben resolve to the memory's people; Carla is not in it: a slug of her name
    assert people == {"ana-ruiz": "Ana Ruiz", "ben-okafor": "Ben Okafor",
                      "carla-diaz": "Carla Diaz"}
    assert "or tomorrow morning" in moments[0]["content"]  # a continuation line

    again = _ingest(capsys, "--moments", str(path), "--store", db, "--moment-model", "fixed")
    assert [m["id"] for m in again["moments"]] == [m["id"] for m in moments]
    assert again["added"] == {} and again["updated"] == {}
    assert again["stats"]["moments"] == len(moments)

    # the table: how many were added, their times, types and names
    assert main(["memory", "ingest", "--no-embed", "--moments", str(path), "--store", db,
                 "--moment-model", "one"]) == 0
    out = capsys.readouterr().out
    assert "starts_at" in out and "ends_at" in out and "moment_type" in out
    assert "2025-03-04T09:00+01:00" in out and "6 lines cut into 1 moments by one, added 1" in out


def test_events_of_one_day_are_cut_in_their_own_offsets(tmp_path, db, capsys):
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    report = _ingest(capsys, "--moments", str(path), "--store", db, "--day", "2025-03-04",
                     "--moment-model", "one")
    assert report["lines"] == 2 and report["day"] == "2025-03-04"
    (m,) = report["moments"]  # 08:10 and 09:40 at +09:00; 23:30 on the 3rd is left out
    assert m["start"] == "2025-03-04T08:10:00+09:00"
    assert "Write code on cobalt (pr-3)" in m["content"]
    assert {p["id"] for p in m["present_persons"]} == {"persona-7", "ben-okafor"}


def test_event_text_reads_as_a_line_of_a_log():
    from augur.events.schema import Event

    first = Event.from_dict(EVENTS[0])
    assert MI.event_text(first) == ("Email received on cobalt about release: Release notes "
                                    "(thread-1)")
    assert MI.event_text(Event.from_dict(EVENTS[1])) == "Email received"
    lines = MI.event_lines([Event.from_dict(e) for e in reversed(EVENTS)])
    assert [x.ts for x in lines] == sorted(x.ts for x in lines) and lines[0].speaker == "ana"


@pytest.mark.parametrize(("name", "text", "args", "words"), [
    ("events.jsonl", "".join(json.dumps(e) + "\n" for e in EVENTS), ["--day", "2026-03-04"],
     ["no events on 2026-03-04", "run from 2025-03-03 to 2025-03-04"]),
    ("events.jsonl", json.dumps(EVENTS[0]) + "\n" + json.dumps({**EVENTS[1], "ts": "soon"}),
     [], ["events.jsonl:2", "field 'ts'"]),
    ("events.jsonl", json.dumps(EVENTS[0]) + "\n{not json\n", [], ["events.jsonl:2", "JSON"]),
    ("day.txt", "hello there\n", [], ["day.txt", "transcript line 1", "YYYY-MM-DD HH:MM"]),
    ("day.txt", "2025-03-04 09:00 ana: no offset\n", [],
     ["no UTC offset", "2025-01-06 09:00+01:00"]),
    ("day.txt", TRANSCRIPT + "2025-03-04 08:00+01:00 ana: late\n", [],
     ["line 7", "time order"]),
    ("day.csv", "a,b\n", [], ["expected a transcript", ".csv"]),
])
def test_a_bad_file_fails_by_name_and_leaves_the_store_as_it_was(tmp_path, db, capsys, name,
                                                                  text, args, words):
    good = tmp_path / "good.txt"
    good.write_text(TRANSCRIPT)
    _ingest(capsys, "--moments", str(good), "--store", db, "--moment-model", "one")
    before = _records(db)
    path = tmp_path / name
    path.write_text(text)
    err = _fails(capsys, "--moments", str(path), "--store", db, "--moment-model", "one", *args)
    assert all(w in err for w in words), err
    assert _records(db) == before


@pytest.mark.parametrize(("args", "words"), [
    (["notes/", "--moments", "day.txt"], ["give one of", "--moments FILE"]),
    (["--persona", "3", "--moments", "day.txt"], ["not several"]),
    (["notes/", "--day", "2025-03-04"], ["--day, --moment-model and --timezone go with"]),
    (["notes/", "--writer", "template"], ["--writer writes the words of moments"]),
    (["--moments", "day.txt", "--timezone", "Mars/Olympus"], ["IANA time zone name"]),
    (["--moments", "day.txt", "--propose-edges"], ["--propose-edges links resources"]),
])
def test_moments_flags_are_checked_before_anything_loads(tmp_path, capsys, args, words):
    err = _fails(capsys, "--store", str(tmp_path / "m.db"), *args)
    assert all(w in err for w in words), err
    assert not (tmp_path / "m.db").exists()


def test_a_missing_store_is_not_created_for_a_bad_file(tmp_path, capsys):
    err = _fails(capsys, "--moments", str(tmp_path / "none.txt"), "--store",
                 str(tmp_path / "m.db"))
    assert "no such file" in err and not (tmp_path / "m.db").exists()


class _PerLine:
    """A stub model: one moment a line, so a long day overflows an answer's 64."""

    name = "per-line"

    def predict_lines(self, lines):
        from augur.memory.tasks.base import Prediction

        return Prediction(MomentAnswer(moments=[_out(x.ts, x.ts + timedelta(minutes=1))
                                                for x in lines]))


def _out(start, end, **kw) -> MomentOut:
    return MomentOut(name="Coding", start=start, end=end, moment_type="coding", **kw)


def test_a_day_with_more_moments_than_an_answer_holds_is_cut_at_its_silences():
    t0 = datetime(2025, 3, 4, 6, 0, tzinfo=UTC)
    lines = [MomentLine(ts=t0 + timedelta(minutes=3 * i), speaker="ana", text=f"step {i}")
             for i in range(200)]
    lines += [MomentLine(ts=t0 + timedelta(days=1), speaker="ana", text="next day")]
    moments = MI.predict_moments(_PerLine(), lines)
    assert [m.start for m in moments] == [x.ts for x in lines]


def test_records_resolve_the_models_people_and_name_a_project():
    t = datetime(2025, 3, 4, 9, 0, tzinfo=TZ)
    answer = MomentAnswer(moments=[_out(t, t + timedelta(hours=1), topic_tags=["Cobalt"],
                                        present_persons=["A. Ruiz", "Dana Smith"])])
    (rec,) = MI.moment_records(answer, "day.txt", ENTITIES)
    assert [(p.id, p.name) for p in rec.present_persons] == [("ana-ruiz", "Ana Ruiz"),
                                                              ("dana-smith", "Dana Smith")]
    assert rec.project == "cobalt" and rec.start == t
    assert rec.id == MI.moment_records(answer, "day.txt")[0].id  # the label, start and end
    assert rec.id != MI.moment_records(answer, "other.txt")[0].id


def test_lines_must_be_in_order_and_agree_on_offsets():
    t = datetime(2025, 3, 4, 9, 0)
    naive = [MomentLine(ts=t, speaker="a", text="x"), MomentLine(ts=t, speaker="b", text="y")]
    assert MI.check_lines(naive) == naive  # /generate takes times without an offset
    with pytest.raises(ValueError, match="no UTC offset"):
        MI.check_lines(naive, aware=True)
    mixed = [naive[0], MomentLine(ts=t.replace(tzinfo=UTC), speaker="b", text="y")]
    with pytest.raises(ValueError, match="line 2 .* has a UTC offset and line 1's has none"):
        MI.check_lines(mixed)
    with pytest.raises(ValueError, match="line 2 .* is before line 1"):
        MI.check_lines([naive[0], naive[0].model_copy(update={"ts": t - timedelta(hours=1)})])


def test_a_transcript_without_offsets_needs_its_time_zone(tmp_path, db, capsys):
    path = tmp_path / "naive.txt"
    path.write_text("2025-07-04 09:00 ana: standup, the build is red\n"
                    "2025-07-04 09:10 ben: fixed the flaky test\n"
                    "2025-07-04 09:40 ana: back to the parser\n")
    before = _records(db)
    err = _fails(capsys, "--moments", str(path), "--store", db)
    assert "no UTC offset" in err and "--timezone Europe/Lisbon" in err
    assert _records(db) == before
    report = _ingest(capsys, "--moments", str(path), "--store", db, "--moment-model", "one",
                     "--timezone", "Europe/Lisbon", "--writer", "template")
    (m,) = report["moments"]
    assert m["start"] == "2025-07-04T09:00:00+01:00"  # Lisbon keeps summer time in July
    assert m["name"] and m["summary"].endswith(".")  # the template writer's words


def test_read_lines_keeps_one_day_of_a_transcript(tmp_path):
    path = tmp_path / "day.md"
    path.write_text(TRANSCRIPT + "2025-03-05 09:00+01:00 ana: a new day\n")
    assert len(MI.read_lines(path)) == 7
    (line,) = MI.read_lines(path, date(2025, 3, 5))
    assert line.text == "a new day"
    with pytest.raises(IngestError, match="no lines on 2025-03-06; the file's lines run from "
                                          "2025-03-04 to 2025-03-05"):
        MI.read_lines(path, date(2025, 3, 6))


def test_the_model_cache_is_written_once_read_back_and_refitted_when_unreadable(
        tmp_path, monkeypatch):
    from augur.memory.tasks import moment_models

    monkeypatch.setattr(MI, "CACHED", ("fixed",))  # the mechanics, on a model fit in ms
    first = MI.fitted_moment_model("fixed", root=tmp_path)
    (path,) = (tmp_path / "moment_models").glob("fixed-*.pkl")
    assert path == MI.model_path("fixed", root=tmp_path)

    def refit(*a, **kw):
        raise AssertionError("fitted again although the cache holds the model")

    with monkeypatch.context() as m:
        m.setattr(moment_models, "make_moment_model", refit)
        again = MI.fitted_moment_model("fixed", root=tmp_path)
    lines = MI.check_lines([MomentLine(ts=datetime(2025, 3, 4, 9, 0), speaker="a", text="x"),
                            MomentLine(ts=datetime(2025, 3, 4, 11, 0), speaker="a", text="y")])
    assert again.predict_lines(lines).output == first.predict_lines(lines).output

    path.write_bytes(b"not a pickle")
    with pytest.warns(UserWarning, match="unreadable .* fitting fixed again"):
        MI.fitted_moment_model("fixed", root=tmp_path)
    assert MI.fitted_moment_model("fixed", root=tmp_path).minutes_ == first.minutes_


@pytest.mark.slow
def test_the_trained_model_is_fitted_once_then_read_from_the_cache(tmp_path):
    from augur.memory.embed import Embedder

    embedder = Embedder()
    t0 = time.perf_counter()
    cold = MI.fitted_moment_model("trained", embedder, root=tmp_path)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    warm = MI.fitted_moment_model("trained", embedder, root=tmp_path)
    load_s = time.perf_counter() - t0
    print(f"trained: fitted in {fit_s:.1f} s, read from the cache in {load_s:.1f} s")
    assert load_s < fit_s / 2
    from augur.memory.tasks.moments import parse_transcript

    lines = parse_transcript(TRANSCRIPT)
    assert warm.predict_lines(lines).output == cold.predict_lines(lines).output


def test_a_served_answer_over_64_moments_is_invalid_not_a_server_error():
    from augur.memory.tasks.serve import MomentsServed, TaskRequestError, check_input

    t0 = datetime(2025, 3, 4, 6, 0)
    lines = [MomentLine(ts=t0 + timedelta(minutes=i), speaker="a", text="x") for i in range(65)]
    pred = MomentsServed(_PerLine()).predict(lines)
    assert not pred.valid and "moments" in pred.error and "at most 64" in pred.error
    with pytest.raises(TaskRequestError, match="transcript string or an object") as e:
        check_input("moments", ["2025-03-04 09:00 a: b"])
    assert e.value.field == "input"
