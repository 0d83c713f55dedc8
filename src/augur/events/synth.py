"""Simulating several people into one JSON Lines file, one process per person.

Each person's stream is a pure function of their seed, so people can be simulated
side by side and the file is the same whatever the number of processes: each
worker writes its person to a part file, and the parts are joined in seed order
into a temporary file that is renamed into place. A failure leaves no output and
no part files behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from augur.events.io import _umask, check_out_file, write_jsonl
from augur.events.persona import KnowledgeWorkerPersona


def _one(seed: int, days: int, part: str) -> int:
    return write_jsonl(part, KnowledgeWorkerPersona(seed=seed).generate(days=days))


def synthesize(seeds: list[int], days: int, out: str | Path, jobs: int | None = None) -> int:
    """Write the first `days` days of each persona in `seeds` to `out`, in seed order;
    return the number of events. `jobs` processes (default: one per core, at most one
    per person)."""
    out = Path(out)
    check_out_file(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    jobs = max(1, min(len(seeds), jobs or os.cpu_count() or 1))
    parts_dir = Path(tempfile.mkdtemp(prefix=f".{out.name}.parts.", dir=out.parent))
    parts = [parts_dir / f"{seed}.jsonl" for seed in seeds]
    total = 0
    try:
        with tqdm(total=len(seeds), unit="person", desc=f"simulating {days} days",
                  disable=None) as bar:
            if jobs == 1:
                for seed, part in zip(seeds, parts, strict=True):
                    total += _one(seed, days, str(part))
                    bar.update(1)
            else:
                with ProcessPoolExecutor(max_workers=jobs) as pool:
                    futures = [pool.submit(_one, seed, days, str(part))
                               for seed, part in zip(seeds, parts, strict=True)]
                    for f in as_completed(futures):
                        total += f.result()
                        bar.update(1)
        joined = parts_dir / "joined.jsonl"
        with joined.open("wb") as dst:
            for part in parts:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 20)
        os.chmod(joined, 0o666 & ~_umask())
        os.replace(joined, out)
    finally:
        shutil.rmtree(parts_dir, ignore_errors=True)
    return total
