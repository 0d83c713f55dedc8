"""Tests for the CSV log importer, on the real receipt log and on small bad files."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from augur.cli import main
from augur.events.importers import ImportConfig, LogImportError, import_csv
from augur.events.io import group_streams, read_jsonl
from augur.events.schema import Event

# The shared data folder sits beside the checkout; the log is never copied into the repo.
RECEIPT = Path(__file__).resolve().parents[3] / "shared" / "data" / "receipt.csv"
RECEIPT_COLS = dict(case_col="case:concept:name", activity_col="concept:name",
                    time_col="time:timestamp", resource_col="org:resource")
RECEIPT_ROWS = 8577

needs_receipt = pytest.mark.skipif(
    not RECEIPT.is_file(), reason=f"real log not found at {RECEIPT} (shared data folder absent)")


def _import_counting_skips(config: ImportConfig) -> tuple[list[Event], int]:
    """Import the receipt log; return the events and how many rows were reported skipped."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        events = import_csv(RECEIPT, config)
    counts = [re.search(r"skipped (\d+) rows", str(w.message)) for w in caught]
    return events, sum(int(m.group(1)) for m in counts if m)


@pytest.fixture(scope="module")
def by_case() -> list[Event]:
    return import_csv(RECEIPT, ImportConfig(**RECEIPT_COLS))


@pytest.fixture(scope="module")
def by_resource() -> tuple[list[Event], int]:
    return _import_counting_skips(ImportConfig(**RECEIPT_COLS, group_by="resource"))


def _check_streams(events: list[Event]) -> None:
    """Labels point at the next event of the same stream; streams are contiguous and sorted."""
    seen: set[str] = set()
    for i, event in enumerate(events):
        if i and event.stream != events[i - 1].stream:
            assert event.stream not in seen, f"stream {event.stream} is not contiguous"
        seen.add(event.stream)
    for stream in group_streams(events).values():
        assert [e.ts for e in stream] == sorted(e.ts for e in stream)
        assert stream[-1].labels is None
        for cur, nxt in zip(stream, stream[1:], strict=False):
            assert cur.labels is not None
            assert cur.labels.next_action == nxt.action
            minutes = (nxt.ts - cur.ts).total_seconds() / 60
            assert cur.labels.delay_min == pytest.approx(minutes, abs=1e-3)
            assert cur.labels.delay_min >= 0
            assert cur.labels.lane is None and cur.labels.proactive is None
            assert cur.labels.candidates is None and cur.labels.target is None


@needs_receipt
def test_receipt_by_case(by_case: list[Event]) -> None:
    assert len(by_case) == RECEIPT_ROWS
    assert len({e.stream for e in by_case}) == 1434
    assert len({e.action for e in by_case}) == 27
    assert len({e.actor for e in by_case}) == 48
    assert all(e.type == "activity" and e.source == "import" for e in by_case)
    assert all(e.stream == e.project == e.attributes["case"] for e in by_case)
    _check_streams(by_case)


@needs_receipt
def test_receipt_by_resource(by_resource: tuple[list[Event], int]) -> None:
    events, skipped = by_resource
    assert len(events) + skipped == RECEIPT_ROWS
    assert len({e.stream for e in events}) == 48
    assert all(e.stream == e.actor == e.attributes["resource"] for e in events)
    _check_streams(events)


@needs_receipt
def test_receipt_streams_ordered_by_first_timestamp(by_case: list[Event]) -> None:
    firsts = [(s[0].ts, name) for name, s in group_streams(by_case).items()]
    assert firsts == sorted(firsts)


@needs_receipt
def test_receipt_through_cli(tmp_path: Path, by_case: list[Event]) -> None:
    out = tmp_path / "x.jsonl"
    rc = main(["data", "import", str(RECEIPT), "--case-col", "case:concept:name",
               "--activity-col", "concept:name", "--time-col", "time:timestamp",
               "--resource-col", "org:resource", "--out", str(out)])
    assert rc == 0
    back = read_jsonl(out)
    assert len(back) == RECEIPT_ROWS
    assert [e.to_dict() for e in back] == [e.to_dict() for e in by_case]


def _write(tmp_path: Path, text: str, name: str = "log.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding, newline="")
    return path


SMALL_CONFIG = ImportConfig(case_col="case", activity_col="act", time_col="ts",
                            resource_col="who")


def test_small_log_sorting_ties_bom_and_labels(tmp_path: Path) -> None:
    path = _write(tmp_path, "case,act,ts,who\r\n"
                  "c2,  late ,2024-01-01 12:00:00+00:00,ann\r\n"
                  "c1,b,2024-01-01 10:30:00+00:00,\r\n"
                  "c1,a,2024-01-01 11:00:00+01:00,bob\r\n"  # 10:00 UTC: first of c1
                  "c1,tie,2024-01-01 10:30:00Z,ann\r\n"
                  "\r\n", encoding="utf-8-sig")
    events = import_csv(path, SMALL_CONFIG)
    assert [(e.stream, e.action) for e in events] == [
        ("c1", "a"), ("c1", "b"), ("c1", "tie"), ("c2", "late")]
    assert [e.labels.delay_min if e.labels else None for e in events] == [30.0, 0.0, None, None]
    assert events[0].labels and events[0].labels.next_action == "b"
    assert events[1].actor == "unknown" and events[1].attributes == {"case": "c1"}
    assert events[0].attributes == {"case": "c1", "resource": "bob"}


def test_group_by_resource_skips_rows_without_a_person(tmp_path: Path) -> None:
    path = _write(tmp_path, "case,act,ts,who\n"
                  "c1,a,2024-01-01T10:00:00+00:00,ann\n"
                  "c1,b,2024-01-01T10:05:00+00:00,\n"
                  "c2,c,2024-01-01T10:10:00+00:00,ann\n")
    config = ImportConfig("case", "act", "ts", "who", group_by="resource")
    with pytest.warns(UserWarning, match="skipped 1 rows with an empty 'who'"):
        events = import_csv(path, config)
    assert [(e.stream, e.action) for e in events] == [("ann", "a"), ("ann", "c")]
    assert events[0].labels and events[0].labels.delay_min == 10.0


def test_config_checks_group_by() -> None:
    with pytest.raises(LogImportError, match="needs a resource column.*--resource-col"):
        ImportConfig("case", "act", "ts", group_by="resource")
    with pytest.raises(LogImportError, match="group_by must be one of"):
        ImportConfig("case", "act", "ts", group_by="person")


GOOD_HEADER = "case,act,ts,who\n"
BAD_LOGS = {
    "missing_column": ("case,activity,ts,who\nc1,a,2024-01-01 10:00:00+00:00,ann\n",
                       [r"missing column\(s\) \['act'\]", "'case', 'activity', 'ts', 'who'"]),
    "bad_timestamp": (GOOD_HEADER + "c1,a,2024-01-01 10:00:00+00:00,ann\nc1,b,next tuesday,ann\n",
                      ["line 3", "'ts'", "'next tuesday'", "2011-10-11 13:45:40\\+02:00"]),
    "naive_timestamp": (GOOD_HEADER + "c1,a,2024-01-01 10:00:00,ann\n",
                        ["line 2", "'2024-01-01 10:00:00'", "never guesses time zones"]),
    "empty_file": ("", ["file is empty", "header row"]),
    "header_only": (GOOD_HEADER, ["no usable rows"]),
    "empty_activity": (GOOD_HEADER + "c1,a,2024-01-01 10:00:00+00:00,ann\nc1, ,2024-01-01 "
                       "10:05:00+00:00,ann\n", ["line 3", "'act' is empty"]),
    "empty_case": (GOOD_HEADER + ",a,2024-01-01 10:00:00+00:00,ann\n", ["line 2", "'case'"]),
    "ragged_row": (GOOD_HEADER + "c1,a,2024-01-01 10:00:00+00:00,ann,extra\n",
                   ["line 2", "expected 4 fields", "got 5"]),
    "semicolons": ("case;act;ts;who\nc1;a;2024-01-01 10:00:00+00:00;ann\n",
                   ["missing column", "comma-separated"]),
}


@pytest.mark.parametrize("name", sorted(BAD_LOGS))
def test_bad_logs_raise_clear_errors(tmp_path: Path, name: str) -> None:
    text, patterns = BAD_LOGS[name]
    with pytest.raises(LogImportError) as info:
        import_csv(_write(tmp_path, text), SMALL_CONFIG)
    for pattern in patterns:
        assert re.search(pattern, str(info.value)), (pattern, str(info.value))


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(LogImportError, match="no such file"):
        import_csv(tmp_path / "nope.csv", SMALL_CONFIG)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(GOOD_HEADER.encode() + "c1,café,2024-01-01 10:00:00+00:00,ann\n"
                      .encode("latin-1"))
    with pytest.raises(LogImportError, match="not UTF-8"):
        import_csv(latin, SMALL_CONFIG)


def _cli_args(log: Path, out: Path, *extra: str) -> list[str]:
    return ["data", "import", str(log), "--case-col", "case", "--activity-col", "act",
            "--time-col", "ts", *extra, "--out", str(out)]


CLI_BAD_CASES = [(name, text, ["--resource-col", "who"]) for name, (text, _) in BAD_LOGS.items()]
CLI_BAD_CASES.append(("resource_without_column",
                      GOOD_HEADER + "c1,a,2024-01-01 10:00:00+00:00,ann\n",
                      ["--group-by", "resource"]))


@pytest.mark.parametrize(("name", "text", "extra"), CLI_BAD_CASES,
                         ids=[case[0] for case in CLI_BAD_CASES])
def test_cli_bad_input_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      name: str, text: str, extra: list[str]) -> None:
    log = _write(tmp_path, text)
    out = tmp_path / "out" / "x.jsonl"
    assert main(_cli_args(log, out, *extra)) == 2
    assert not out.exists()
    assert "augur: error:" in capsys.readouterr().err

    out.parent.mkdir(exist_ok=True)
    out.write_text("previous contents\n", encoding="utf-8")
    assert main(_cli_args(log, out, *extra)) == 2
    assert out.read_text(encoding="utf-8") == "previous contents\n"
    assert [p.name for p in out.parent.iterdir()] == ["x.jsonl"]  # no temporary file left


def test_cli_refuses_to_write_the_events_over_the_csv_or_into_a_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD_HEADER + "c1,a,2024-01-01 10:00:00+00:00,ann\n"
    log = _write(tmp_path, text)
    assert main(_cli_args(log, tmp_path / "." / "log.csv")) == 2
    assert "is the CSV being imported; writing the events there would replace it" in (
        capsys.readouterr().err)
    assert log.read_text(encoding="utf-8") == text
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(_cli_args(log, folder)) == 2
    assert f"{folder}: is a folder; name the JSON Lines file to write" in capsys.readouterr().err
    assert list(folder.iterdir()) == []
