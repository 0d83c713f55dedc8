"""A local dated corpus: a folder of text files, each a document with a date.

A file's date comes from a `YYYY-MM-DD` prefix of its name (`2023-01-15-layoffs.txt`) or
from a first line `Date: YYYY-MM-DD`; its title is its first other non-empty line. Only
`*.txt` files are read; anything else in the folder is left alone.

`render_world_corpus` writes world-events cases as such a folder, news-like: one article
per seed event and one per actual outcome at each depth, dated along the chain, plus
unrelated filler. The alternatives are not written (they did not happen). It returns the
true chains, which Brainstormer and Chronicler are measured against.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from augur.errors import AugurError
from augur.forecast.case import Case

_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_DATE_LINE = re.compile(r"^date:\s*(\S+)\s*$", re.IGNORECASE)


class CorpusError(AugurError):
    """A corpus folder or file that cannot be read; the message names the file."""


@dataclass(frozen=True)
class Document:
    name: str  # the file's name, unique in its folder
    date: date
    title: str  # the first non-empty line that is not the Date line
    text: str  # everything but the Date line


@dataclass(frozen=True)
class TrueChain:
    """A chain the corpus was rendered from: the seed's file, then each depth's file
    and its title (the actual outcome's words)."""
    seed: str
    seed_text: str
    docs: tuple[str, ...]
    outcomes: tuple[str, ...]


def _parse_date(text: str, path: Path, where: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CorpusError(f"{path}: {where} {text!r} is not a date; expected YYYY-MM-DD such "
                          "as 2023-01-15") from None


def read_document(path: Path) -> Document:
    """One file as a Document; CorpusError naming the file when it has no date or text."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise CorpusError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    body = [ln for ln in lines if ln.strip()]
    from_line = None
    if body and (m := _DATE_LINE.match(body[0].strip())):
        from_line = _parse_date(m.group(1), path, "its Date line gives")
        body = body[1:]
    from_name = _PREFIX.match(path.name)
    when = _parse_date(from_name.group(1), path, "its name starts with") if from_name else None
    if when is not None and from_line is not None and when != from_line:
        raise CorpusError(f"{path}: the name says {when} but the Date line says {from_line}; "
                          "make them agree or drop one")
    when = when or from_line
    if when is None:
        raise CorpusError(f"{path}: no date; start the file name with YYYY-MM-DD "
                          "(2023-01-15-title.txt) or make its first line 'Date: 2023-01-15'")
    if not body:
        raise CorpusError(f"{path}: no text besides the date; write the article or remove "
                          "the file")
    return Document(name=path.name, date=when, title=body[0].strip(),
                    text="\n".join(ln.strip() for ln in body))


def read_corpus(folder: str | Path) -> list[Document]:
    """Every `*.txt` file of `folder`, sorted by date then name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"{folder}: no such folder; --corpus takes a folder of dated text "
                          "files")
    docs = [read_document(p) for p in sorted(folder.glob("*.txt"))]
    if not docs:
        raise CorpusError(f"{folder}: holds no *.txt files; put one dated article per file")
    return sorted(docs, key=lambda d: (d.date, d.name))


FILLER = ("{town} council approves a new cycle lane", "Heavy rain floods streets in {town}",
          "{town} wins the regional football cup", "A new museum opens in {town}",
          "{town} hosts its annual jazz festival", "Schools in {town} extend summer holidays",
          "A heatwave grips {town}", "{town} zoo welcomes a baby giraffe",
          "Road works close the main bridge in {town}", "{town} marathon draws record crowds",
          "A film festival in {town} crowns its winners", "Snow cuts power to homes in {town}")
TOWNS = ("Ashford", "Brindle", "Carrow", "Dunmore", "Elbury", "Fallow", "Greyholm",
         "Harwick", "Islay", "Juniper Bay", "Kestrel", "Lowmoor")


def render_world_corpus(cases: list[Case], out_dir: str | Path, filler: int = 0,
                        seed: int = 0) -> list[TrueChain]:
    """Write `cases` as dated articles in `out_dir` (which must be empty or absent), and
    `filler` unrelated ones; return the true chains. File names are the date and a
    shuffled number, so they say nothing about which chain an article belongs to."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise CorpusError(f"{out}: not empty; render into a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"augur-corpus-{seed}")
    articles: list[tuple[str, str, str]] = []  # (date, title, body)
    owners: list[int | None] = []  # which case each article belongs to
    for k, case in enumerate(cases):
        if case.seed.date is None or any(lv.date is None for lv in case.levels):
            raise CorpusError(f"case {case.id!r}: needs dates on its seed and every level "
                              "to be rendered as dated articles")
        articles.append((case.seed.date[:10], case.seed.text, case.context or ""))
        owners.append(k)
        for lv in case.levels:
            articles.append((lv.date[:10], lv.candidates[lv.actual].text, ""))
            owners.append(k)
    days = sorted(c.seed.date[:10] for c in cases) or [date(2015, 1, 1).isoformat()]
    lo, hi = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    for _ in range(filler):
        day = lo + timedelta(days=rng.randint(0, max((hi - lo).days, 0) + 60))
        articles.append((day.isoformat(),
                         rng.choice(FILLER).format(town=rng.choice(TOWNS)), ""))
        owners.append(None)
    numbers = list(range(len(articles)))
    rng.shuffle(numbers)
    names = [f"{day}-{num:06d}.txt" for (day, _, _), num in zip(articles, numbers, strict=True)]
    for name, (_, title, body) in zip(names, articles, strict=True):
        (out / name).write_text(f"{title}.\n\n{body}\n" if body else f"{title}.\n",
                                encoding="utf-8")
    chains: list[TrueChain] = []
    for k, case in enumerate(cases):
        mine = [names[i] for i, o in enumerate(owners) if o == k]
        chains.append(TrueChain(seed=mine[0], seed_text=f"{case.seed.text}.",
                                docs=tuple(mine[1:]),
                                outcomes=tuple(f"{lv.candidates[lv.actual].text}."
                                               for lv in case.levels)))
    return chains


def embed_documents(docs: list[Document], embedder=None):
    """Unit vectors of the documents' texts, (n, d) float32; MiniLM unless given. (TF-IDF
    beside MiniLM, to tie articles on the same company name, scored worse on the
    rendered world corpus at every weight tried.)"""
    import numpy as np

    if embedder is None:
        from augur.memory.embed import EmbedConfig, Embedder

        embedder = Embedder(EmbedConfig(threads=1))
    v = np.asarray(embedder.embed([d.text for d in docs]), dtype=np.float32)  # (n, d)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
