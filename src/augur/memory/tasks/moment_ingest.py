"""Ingest cuts moments: REM task 3's wiring into the memory.

    lines = read_lines("day.txt", day)               # a transcript, or a person's events
    batch = moment_batch(store, lines, source_label("day.txt"), "trained")
    ingest(store, batch, embedder)                   # one transaction, as every source

where moment_batch is

    moments = predict_moments(moment_model("trained"), lines)
    records = moment_records(moments, source, memory_entities(store), lines)

A transcript (.txt, .log, .md) is `YYYY-MM-DD HH:MM+01:00 speaker: text` lines
(moments.parse_transcript); a .jsonl file is a person's events (augur.events, read by
its own reader, so a bad line fails naming its line and field), each event one line:
its time, its actor as the speaker, and text rendered from its action or type, project,
topic and title-like attributes. Times must carry their UTC offset: the memory holds
aware times and augur never guesses a time zone. `day` keeps one calendar day, in the
lines' own offsets.

The model answers each calendar day on its own (the harness's transcripts are parts of
one day, and an answer holds at most 64 moments); a day whose answer would hold more
is cut at its longest silence and each part answered.

Each moment becomes a `Moment` whose id is a hash of the source label, start and end,
so ingesting the same file again adds nothing. Its present_persons are the speakers of
its lines (without the lines: the model's named people), each resolved against the
memory's person entities: the entity's id and name when one matches, a slug of the
name as written otherwise. Its project is the first of its topics that names one of
the memory's projects.

Fitting `tiling` or `trained` takes 10 to 60 seconds on two cores, so
`fitted_moment_model` keeps them on disk beside the task harness's datasets
(`harness.data.cache_dir()`: another harness version or world never reads them), under
`moment_models/`, named by a hash of the model's name, its code, the train and val
splits, the embedder's identity and the library versions, and written atomically.
Loaded, a model must give the answer to a val transcript it gave when saved, else it is
fitted again with a warning saying why.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import warnings
from collections.abc import Iterable
from datetime import date, tzinfo
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from augur.memory.ingest import IngestError
from augur.memory.model import Entity, MemoryBatch, Moment, Person, slug
from augur.memory.tasks.harness.moment_schema import MomentAnswer, MomentLine, MomentOut

TRANSCRIPT_SUFFIXES = (".txt", ".log", ".md")
EVENT_SUFFIXES = (".jsonl", ".ndjson")
TITLE_KEYS = ("title", "subject", "name", "summary", "description", "message", "text")
CACHED = ("tiling", "trained")  # the models whose fit is worth keeping on disk
EMBEDDING = ("tiling", "trained")  # the models that embed lines
_MODELS: dict[str, Any] = {}  # fitted task-3 models by name, built once per process


class MomentRequest(BaseModel):
    """What /generate's task "moments" takes as an object: the transcript's lines."""

    model_config = ConfigDict(extra="forbid")

    lines: list[MomentLine] = Field(min_length=1)


# ---- lines: from a transcript or a person's events ------------------------------------
def event_text(event) -> str:
    """An event as a line of a log: 'Reply email on granite about metrics: Q3 plan
    (thread-4)'."""
    head = (event.action or event.type).replace("_", " ")
    text = head[:1].upper() + head[1:]
    if event.project:
        text += f" on {event.project}"
    if event.topic:
        text += f" about {event.topic}"
    attrs = event.attributes or {}
    title = next((attrs[k].strip() for k in TITLE_KEYS
                  if isinstance(attrs.get(k), str) and attrs[k].strip()), "")
    if title:
        text += f": {title}"
    artifact = attrs.get("artifact")
    if isinstance(artifact, str) and artifact.strip() and artifact != title:
        text += f" ({artifact.strip()})"
    return " ".join(text.split())


def event_lines(events: Iterable, day: date | None = None) -> list[MomentLine]:
    """A person's events (Event or ObservedEvent) as lines in time order: speaker the
    actor, text from event_text. `day` keeps that calendar day in the events' own
    offsets; a ValueError says so when nothing is left."""
    lines = sorted((MomentLine(ts=e.ts, speaker=e.actor, text=event_text(e)) for e in events),
                   key=lambda x: x.ts)
    if not lines:
        raise ValueError("no events; expected a person's events, one JSON object a line")
    return on_day(lines, day, "events")


def on_day(lines: list[MomentLine], day: date | None, noun: str = "lines"
           ) -> list[MomentLine]:
    """The lines of calendar day `day` (in their own offsets); all of them when None."""
    if day is None:
        return lines
    kept = [x for x in lines if x.ts.date() == day]
    if not kept:
        first, last = min(x.ts.date() for x in lines), max(x.ts.date() for x in lines)
        raise ValueError(f"no {noun} on {day}; the file's {noun} run from {first} to {last}")
    return kept


def check_lines(lines: list[MomentLine], where: str = "transcript", aware: bool = False
                ) -> list[MomentLine]:
    """`lines` when a model can cut them: in time order, and every time with a UTC offset
    or none with one (aware: every one with one, as the memory keeps them)."""
    def at(i: int) -> str:
        x = lines[i]
        return f"{where} line {i + 1} ({x.ts.isoformat(timespec='minutes')} {x.speaker})"

    offsets = [x.ts.utcoffset() is not None for x in lines]
    if (aware or offsets[0]) and not all(offsets):
        i = offsets.index(False)
        raise ValueError(f"{at(i)}: its time has no UTC offset; the memory keeps aware times "
                         "and augur never guesses a time zone, so write it as "
                         "2025-01-06 09:00+01:00 (or Z for UTC), or name the zone the "
                         "times were written in (`--timezone Europe/Lisbon`)")
    if any(offsets) and not all(offsets):
        i = offsets.index(True)
        raise ValueError(f"{at(i)}: its time has a UTC offset and line 1's has none; give "
                         "every line an offset, or none")
    for i in range(1, len(lines)):
        if lines[i].ts < lines[i - 1].ts:
            raise ValueError(f"{at(i)} is before line {i} ({lines[i - 1].ts.isoformat()}); "
                             "lines go in time order")
    return lines


def read_lines(path: Path, day: date | None = None, tz: tzinfo | None = None
               ) -> list[MomentLine]:
    """The lines of a transcript (.txt, .log, .md) or of a person's events (.jsonl),
    of calendar day `day` when given. tz: the time zone of a transcript's times written
    without a UTC offset (they are refused without it). IngestError names the file and
    what is wrong."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TRANSCRIPT_SUFFIXES + EVENT_SUFFIXES:
        raise IngestError(f"{path}: expected a transcript ({', '.join(TRANSCRIPT_SUFFIXES)}) "
                          f"or a person's events (.jsonl), got a {suffix or 'suffix-less'} "
                          "file")
    if not path.is_file():
        raise IngestError(f"{path}: no such file; give a transcript or a .jsonl file of "
                          "events")
    if suffix in EVENT_SUFFIXES:
        from augur.events.io import read_jsonl

        events = read_jsonl(path)  # DataFileError: the file, its line and the field
        try:
            return event_lines(events, day)
        except ValueError as e:
            raise IngestError(f"{path}: {e}") from None
    from augur.memory.tasks.moments import parse_transcript

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise IngestError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    try:
        lines = parse_transcript(text)
        if tz is not None:
            lines = [x if x.ts.utcoffset() is not None else
                     x.model_copy(update={"ts": x.ts.replace(tzinfo=tz)}) for x in lines]
        return on_day(check_lines(lines, aware=True), day)
    except ValueError as e:
        raise IngestError(f"{path}: {e}") from None


# ---- moments: the model's answer, day by day -------------------------------------------
def predict_moments(model, lines: list[MomentLine]) -> list[MomentOut]:
    """The model's moments of `lines` (in time order), one calendar day at a time."""
    days: dict[date, list[MomentLine]] = {}
    for x in lines:
        days.setdefault(x.ts.date(), []).append(x)
    return [m for piece in days.values() for m in _predict(model, piece)]


def _predict(model, lines: list[MomentLine]) -> list[MomentOut]:
    try:
        pred = model.predict_lines(lines)
    except ValidationError as e:
        if len(lines) < 4 or not _too_many(e):
            raise
        # More moments than one answer holds: cut at the longest silence of the middle
        # half (halves, so a long day needs few cuts) and answer each part.
        lo, hi = len(lines) // 4, len(lines) - len(lines) // 4
        cut = max(range(max(lo, 1), hi), key=lambda i: lines[i].ts - lines[i - 1].ts)
        return _predict(model, lines[:cut]) + _predict(model, lines[cut:])
    if not pred.valid:
        raise ValueError(f"moment model {model.name!r} gave no valid answer: {pred.error}")
    return list(pred.output.moments)


def _too_many(e: ValidationError) -> bool:
    return any(x["type"] == "too_long" and tuple(x["loc"]) == ("moments",)
               for x in e.errors())


# ---- records: Moment, with the memory's people and projects ---------------------------
def source_label(path: Path) -> str:
    """What a file's moment ids are hashed from: its absolute path."""
    return Path(path).resolve().as_posix()


def moment_id(source: str, start, end) -> str:
    h = hashlib.sha1(f"{source}\0{start.isoformat()}\0{end.isoformat()}".encode())
    return f"moment-{start:%Y%m%d-%H%M}-{h.hexdigest()[:10]}"


def memory_entities(store) -> list[Entity]:
    """The store's person and project entities."""
    _, rows = store.select("SELECT id FROM entities WHERE kind IN ('person', 'project')",
                           100_000, 30.0)
    found = (store.get("entities", rid) for (rid,) in rows)
    return [Entity.model_validate(row) for row in found if row is not None]


def moment_records(answer: MomentAnswer | Iterable[MomentOut], source: str,
                   entities: Iterable[Entity] = (),
                   lines: list[MomentLine] | None = None) -> list[Moment]:
    """Moment records of a model's moments (see the module's docstring). `entities`: the
    memory's people and projects; `lines`: the lines the moments were cut from, whose
    speakers are each moment's people (else the model's present_persons)."""
    from augur.memory.entities import EntityResolver

    moments = answer.moments if isinstance(answer, MomentAnswer) else list(answer)
    people, projects = EntityResolver(), EntityResolver()
    names: dict[str, str] = {}
    for e in entities:
        if e.kind in ("person", "project"):
            (people if e.kind == "person" else projects).add(e)
            names[e.id] = e.name
    out = []
    for m in moments:
        said = ([x.speaker for x in lines if m.start <= x.ts < m.end] if lines is not None
                else m.present_persons)
        persons: dict[str, Person] = {}
        for name in said:
            eid = people.resolve(name)
            p = Person(id=eid, name=names[eid]) if eid in names else Person(id=slug(name),
                                                                            name=name)
            persons.setdefault(p.id, p)
        project = next((pid for t in m.topic_tags if (pid := projects.resolve(t)) in names),
                       None)
        out.append(Moment(id=moment_id(source, m.start, m.end), name=m.name,
                          summary=m.summary, content=m.content, start=m.start, end=m.end,
                          moment_type=m.moment_type, emotion_tags=list(m.emotion_tags),
                          topic_tags=list(m.topic_tags), present_persons=list(persons.values()),
                          project=project))
    return out


def moment_batch(store, lines: list[MomentLine], source: str, model: str = "trained",
                 embedder=None, writer=None) -> MemoryBatch:
    """The moments task-3 model `model` cuts `lines` into, as records of the memory in
    `store` (its people and projects), ids hashed from `source` (see source_label).
    writer (writer_models): names and summaries written again by it."""
    moments = predict_moments(moment_model(model, embedder), lines)
    if writer is not None:
        from augur.memory.tasks.writer_models import rewrite

        moments = rewrite(writer, moments, lines, progress=True)
    return MemoryBatch(moments=moment_records(moments, source, memory_entities(store), lines))


# ---- the fitted model, cached on disk ---------------------------------------------------
def moment_model(name: str = "trained", embedder=None):
    """The task-3 model `name`, fitted (or read from the disk cache) the first time it is
    asked for in this process, then kept."""
    if name not in _MODELS:
        _MODELS[name] = fitted_moment_model(name, embedder)
    return _MODELS[name]


def fitted_moment_model(name: str, embedder=None, root: Path | None = None):
    """make_moment_model(name), from the disk cache when it holds a model to trust (see
    the module's docstring); `root`: the cache's folder (default the harness's)."""
    from augur.memory.tasks.harness.data import moment_examples
    from augur.memory.tasks.moment_models import MODELS, make_moment_model

    if name not in MODELS:
        raise ValueError(f"moment model: expected one of {', '.join(MODELS)}, got {name!r}")
    if name not in CACHED:
        return make_moment_model(name)
    if embedder is None and name in EMBEDDING:
        from augur.memory.embed import Embedder

        embedder = Embedder()
    probe = moment_examples("val")[0].lines  # also the harness's manifest check
    path = model_path(name, embedder, root)
    if path.is_file():
        model, why = _load(path, name, probe, embedder)
        if model is not None:
            return model
        warnings.warn(f"moment model cache {path}: {why}; fitting {name} again", stacklevel=2)
    model = make_moment_model(name, embedder=embedder)
    _save(path, model, _answer_of(model, probe))
    return model


def model_path(name: str, embedder=None, root: Path | None = None) -> Path:
    """Where the fitted model `name` is cached."""
    import numpy
    import sklearn

    from augur.memory import entities
    from augur.memory.tasks import moment_models
    from augur.memory.tasks.harness.data import cache_dir, dataset_files
    from augur.memory.tasks.shots_cache import embedder_identity

    h = hashlib.sha256(f"{name}\0{sys.version_info[:2]}\0{numpy.__version__}\0"
                       f"{sklearn.__version__}\0".encode())
    for module in (moment_models, entities):  # the code of what the pickle holds
        h.update(Path(module.__file__).read_bytes())
    files = dataset_files()
    for split in ("train", "val"):
        h.update(files[f"moment_{split}"].read_bytes())
    if embedder is not None:
        h.update(embedder_identity(embedder).encode())
    return Path(root or cache_dir()) / "moment_models" / f"{name}-{h.hexdigest()[:24]}.pkl"


def _answer_of(model, lines: list[MomentLine]) -> str:
    pred = model.predict_lines(lines)
    return pred.output.model_dump_json() if pred.valid else f"invalid: {pred.error}"


def _save(path: Path, model, probe: str) -> None:
    from augur.memory.tasks.shots_cache import write_atomic

    # the embedder is left out (moment_models._Embed.__getstate__) and given on load
    payload = pickle.dumps({"model": model, "probe": probe}, protocol=pickle.HIGHEST_PROTOCOL)
    write_atomic(path, lambda f: f.write(payload))


def _load(path: Path, name: str, probe: list[MomentLine], embedder) -> tuple[Any, str]:
    """(model, "") when the file holds a model to trust, else (None, why not). A pickle
    runs code as it loads: the cache folder is the user's own, as are the datasets
    beside it that the harness reads."""
    try:
        with path.open("rb") as f:
            data = pickle.load(f)
        model, expected = data["model"], data["probe"]
    except Exception as e:  # noqa: BLE001 - a file that cannot be read is fitted again
        return None, f"unreadable ({type(e).__name__}: {e})"
    if getattr(model, "name", None) != name:
        return None, f"holds model {getattr(model, 'name', None)!r}, not {name!r}"
    if hasattr(model, "embed"):
        model.embed.embedder = embedder
    try:
        got = _answer_of(model, probe)
    except Exception as e:  # noqa: BLE001 - a model that cannot answer is fitted again
        return None, f"cannot answer ({type(e).__name__}: {e})"
    if got != expected:
        return None, "its answer to a val transcript differs from the one it gave when saved"
    return model, ""


__all__ = ["MomentRequest", "check_lines", "event_lines",
           "event_text", "fitted_moment_model", "memory_entities", "moment_batch",
           "moment_id", "moment_model", "moment_records", "predict_moments", "read_lines",
           "source_label"]
