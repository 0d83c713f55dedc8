"""Reading and writing event streams as JSON Lines, one event per line.

Writes are atomic (temporary file in the same folder, then rename), so a
failed or interrupted command never leaves a partial file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from augur.events.schema import Event, EventValidationError


class DataFileError(ValueError):
    """A data file that cannot be read; the message names the file and line."""


def check_out_file(path: Path) -> None:
    """Fail in seconds, before the events are made, if PATH cannot take a file."""
    if path.is_dir():
        raise DataFileError(f"{path}: is a folder; name the JSON Lines file to write, such as "
                            f"{path / 'events.jsonl'}")


def write_jsonl(path: str | Path, events: Iterable[Event]) -> int:
    """Write events atomically; return how many were written."""
    return write_lines(path, (event.to_json() for event in events))


def write_lines(path: str | Path, lines: Iterable[str]) -> int:
    """Write one JSON text per line, atomically; return how many lines were written."""
    path = Path(path)
    check_out_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    n = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            for line in lines:
                f.write(line)
                f.write("\n")
                n += 1
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def iter_jsonl(path: str | Path) -> Iterator[Event]:
    """Yield validated events; a bad line raises DataFileError with its line number."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file; create one with `augur data synth` or "
                            "`augur data import`")
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                yield Event.from_dict(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataFileError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            except EventValidationError as exc:
                raise DataFileError(f"{path}:{lineno}: {exc}") from None


def read_jsonl(path: str | Path) -> list[Event]:
    events = list(iter_jsonl(path))
    if not events:
        raise DataFileError(f"{path}: the file holds no events")
    return events


def group_streams(events: Iterable[Event]) -> dict[str, list[Event]]:
    """Split events by their `stream`, keeping file order within each stream."""
    streams: dict[str, list[Event]] = {}
    for event in events:
        streams.setdefault(event.stream, []).append(event)
    return streams
