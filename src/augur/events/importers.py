"""Turn a CSV event log (one row per recorded activity) into augur event streams.

Process-mining logs such as the BPI receipt log list, for each recorded step, the
case it belongs to, the activity, when it happened and who did it. Each row
becomes one `activity` event; rows are grouped into streams (one per case, or
one per person), time-sorted, and every event but a stream's last is labelled
with the next activity of its stream and the minutes until it. A log cannot say
which lane an assistant should take or which artifacts were touched, so those
labels stay empty. Only the stdlib `csv` module is used: importing needs no
extra dependency.
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from augur.events.schema import Event, EventValidationError
from augur.events.vocab import IMPORTED_EVENT_TYPE

GROUP_BY = ("case", "resource")
TIMESTAMP_EXAMPLE = "2011-10-11 13:45:40+02:00"


class LogImportError(ValueError):
    """A CSV log that cannot be imported; the message names the file, line and fix."""


@dataclass(frozen=True)
class ImportConfig:
    """Which CSV columns hold what, and how rows are grouped into streams."""

    case_col: str
    activity_col: str
    time_col: str
    resource_col: str | None = None
    group_by: str = "case"  # "case": one stream per case; "resource": one per person

    def __post_init__(self) -> None:
        if self.group_by not in GROUP_BY:
            raise LogImportError(f"group_by must be one of {GROUP_BY}, got {self.group_by!r}")
        if self.group_by == "resource" and not self.resource_col:
            raise LogImportError(
                "group_by='resource' needs a resource column, got none; pass --resource-col "
                "(for example --resource-col org:resource) or group by case")


class _Row(NamedTuple):
    ts: datetime
    where: str  # "file, line N", for error messages raised after parsing
    case: str
    activity: str
    resource: str  # "" when the log has no resource for this row


def import_csv(path: str | Path, config: ImportConfig) -> list[Event]:
    """Read a CSV log into time-sorted, labelled events; raise LogImportError on bad input.

    The whole file is read and checked before anything is returned, so a caller
    that writes the result never writes part of a bad log.
    """
    streams: dict[str, list[_Row]] = {}
    for row in _read_rows(Path(path), config):
        key = row.case if config.group_by == "case" else row.resource
        streams.setdefault(key, []).append(row)
    for rows in streams.values():
        rows.sort(key=lambda r: r.ts)  # stable: rows with equal times keep file order
    order = sorted(streams, key=lambda s: (streams[s][0].ts, s))
    return [event for s in order for event in _stream_events(s, streams[s])]


def _read_rows(path: Path, config: ImportConfig) -> list[_Row]:
    if not path.is_file():
        raise LogImportError(f"{path}: no such file; check the path to the CSV log")
    try:
        # utf-8-sig drops the byte-order mark that spreadsheet exports put before the header.
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows, skipped = _parse_rows(path, csv.reader(f), config)
    except UnicodeDecodeError as exc:
        raise LogImportError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start} of a read chunk); "
            "export the log as a UTF-8 CSV file") from None
    except csv.Error as exc:
        raise LogImportError(f"{path}: not a readable CSV file ({exc}); export the log as "
                             "comma-separated values with a header row") from None
    if skipped:
        warnings.warn(
            f"{path}: skipped {skipped} rows with an empty {config.resource_col!r} column: "
            "grouping by resource needs a person for every event (group by case to keep them)",
            stacklevel=3)
    if not rows:
        raise LogImportError(f"{path}: the file has a header but no usable rows; expected at "
                             "least one row per recorded activity")
    return rows


def _parse_rows(path: Path, reader: Any, config: ImportConfig) -> tuple[list[_Row], int]:
    """Check every row; return the kept rows and how many lacked a resource."""
    header = next(reader, None)
    if not header:
        raise LogImportError(f"{path}: the file is empty; expected a header row naming the "
                             f"columns, then one row per recorded activity")
    cols = _column_indexes(path, header, config)
    rows, skipped = [], 0
    for fields in reader:
        if not fields:  # a blank line, common at the end of exported files
            continue
        where = f"{path}, line {reader.line_num}"  # line_num: physical line, header is 1
        if len(fields) != len(header):
            raise LogImportError(f"{where}: expected {len(header)} fields like the header, got "
                                 f"{len(fields)}; is a value with a comma missing its quotes?")
        row = _parse_row(fields, cols, where, config)
        if config.group_by == "resource" and not row.resource:
            skipped += 1
        else:
            rows.append(row)
    return rows, skipped


def _column_indexes(path: Path, header: list[str], config: ImportConfig) -> dict[str, int]:
    wanted = {"case": config.case_col, "activity": config.activity_col, "time": config.time_col}
    if config.resource_col:
        wanted["resource"] = config.resource_col
    missing = [name for name in wanted.values() if name not in header]
    if missing:
        hint = " (only one column: is the file comma-separated?)" if len(header) == 1 else ""
        raise LogImportError(
            f"{path}: missing column(s) {missing}; the file has columns {header}{hint}; "
            "name existing ones with --case-col, --activity-col, --time-col, --resource-col")
    return {role: header.index(name) for role, name in wanted.items()}


def _parse_row(fields: list[str], cols: dict[str, int], where: str, config: ImportConfig
               ) -> _Row:
    case, activity = fields[cols["case"]].strip(), fields[cols["activity"]].strip()
    for value, name in ((case, config.case_col), (activity, config.activity_col)):
        if not value:
            raise LogImportError(f"{where}: column {name!r} is empty; every row needs a case "
                                 "id and an activity name: fill it in or remove the row")
    ts = _parse_ts(fields[cols["time"]].strip(), where, config.time_col)
    resource = fields[cols["resource"]].strip() if "resource" in cols else ""
    return _Row(ts, where, case, activity, resource)


def _parse_ts(text: str, where: str, column: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        raise LogImportError(
            f"{where}: column {column!r} expected an ISO 8601 timestamp with a UTC offset "
            f"such as '{TIMESTAMP_EXAMPLE}', got {text!r}; fix the value or pick the right "
            "--time-col") from None
    if ts.utcoffset() is None:
        # A naive time could be local time anywhere; guessing would silently shift delays.
        raise LogImportError(
            f"{where}: column {column!r} expected a timestamp with a UTC offset such as "
            f"'{TIMESTAMP_EXAMPLE}' (or 'Z' for UTC), got {text!r} with none; augur never "
            "guesses time zones, so add the offset to the log")
    return ts


def _stream_events(stream: str, rows: list[_Row]) -> list[Event]:
    """Events of one time-sorted stream, each labelled with the step that follows it."""
    events = []
    for i, row in enumerate(rows):
        labels = None
        if i + 1 < len(rows):
            nxt = rows[i + 1]
            delay = round((nxt.ts - row.ts).total_seconds() / 60, 3)
            labels = {"next_action": nxt.activity, "delay_min": delay}
        attributes = {"case": row.case}
        if row.resource:
            attributes["resource"] = row.resource
        try:
            events.append(Event.from_dict({
                "ts": row.ts, "type": IMPORTED_EVENT_TYPE, "source": "import",
                "actor": row.resource or "unknown", "action": row.activity,
                "project": row.case, "stream": stream, "attributes": attributes,
                "labels": labels,
            }))
        except EventValidationError as exc:
            raise LogImportError(f"{row.where}: {exc}") from None
    return events
