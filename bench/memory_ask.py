"""Latency of POST /memory/ask through a real `augur serve` on 127.0.0.1; prints one JSON
object.

    augur bench memory-ask [--requests 100] [--split test] [--memory PATH] [--warmup 5]

Starts `augur serve` as a child process over the task harness's world memory (persona
42's first 90 days, the store task 1's gold queries execute on; --memory for another),
waits until /memory/ask answers (the server builds task 1's fast model at startup:
`ready_s`), sends --warmup requests unmeasured, then --requests request texts of the
frozen --split (evenly spaced over it), one at a time on one keep-alive connection.

Reports the client's p50/p99 over every answer (200 and 422 alike: a 422 is the model
failing on the text, as fast as an answer), the server's own split of each answer
into generate_ms (text -> query: one MiniLM embedding, the classifier, the slot
fillers) and execute_ms (the query on the store), per operation too, and how many
answers were refused or could not run.

The world store holds no embeddings (the harness executes without them), so SEARCH
embeds its query but its semantic part finds nothing; pass --memory with a store
built by `augur memory ingest --persona 42 --days 90` to measure it with vectors.
Target: p50 <= 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `augur bench` runs us by path
from serve_process import ServeProcess  # noqa: E402

TARGET_P50_MS = 100.0


def _pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile, rounded to 0.01 ms."""
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))], 2)


def ask(conn: http.client.HTTPConnection, text: str) -> tuple[float, int, dict]:
    """(client ms, status, body) of one POST /memory/ask on a keep-alive connection."""
    body = json.dumps({"text": text}).encode()
    t0 = time.perf_counter()
    conn.request("POST", "/memory/ask", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    ms = (time.perf_counter() - t0) * 1000
    return ms, resp.status, json.loads(data)


def _median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 2) if xs else None


def measure(conn: http.client.HTTPConnection, texts: list[str]) -> dict:
    client, generate, execute, server = [], [], [], []
    by_type: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, int] = defaultdict(int)
    refused = 0
    for text in texts:
        ms, status, body = ask(conn, text)
        statuses[str(status)] += 1
        if status not in (200, 422):
            raise SystemExit(f"bench memory-ask: HTTP {status} for {text!r}: {body}")
        client.append(ms)
        if status == 200:
            generate.append(body["generate_ms"])
            execute.append(body["execute_ms"])
            server.append(body["elapsed_ms"])
            by_type[body["query_type"]].append(body["execute_ms"])
            refused += body["refused"]
    return {
        "p50_ms": _pct(client, 50), "p99_ms": _pct(client, 99),
        "mean_ms": round(statistics.fmean(client), 2),
        "generate_ms": {"p50": _median(generate), "p99": _pct(generate, 99)},
        "execute_ms": {"p50": _median(execute), "p99": _pct(execute, 99)},
        "server_elapsed_ms_p50": _median(server),
        "execute_ms_p50_by_type": {k: {"n": len(v), "p50": _median(v)}
                                   for k, v in sorted(by_type.items())},
        "statuses": dict(statuses), "refused": refused,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="augur bench memory-ask", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=100, help="measured requests (default 100)")
    ap.add_argument("--split", default="test", help="task-1 split the texts come from")
    ap.add_argument("--memory", type=Path, default=None,
                    help="the store to serve (default: the task harness's world store)")
    ap.add_argument("--warmup", type=int, default=5, help="unmeasured requests first")
    ap.add_argument("--ready-timeout", type=float, default=300.0,
                    help="seconds to wait for the first answer (the model builds first)")
    args = ap.parse_args(argv)
    if args.requests < 1 or args.warmup < 0:
        raise SystemExit("--requests must be >= 1 and --warmup >= 0")

    from augur.memory.tasks.harness.data import query_examples

    examples = query_examples(args.split)
    step = max(1, len(examples) // args.requests)
    texts = [e.text for e in examples[::step]][:args.requests]
    if args.memory is None:
        from augur.memory.tasks.harness.evaluate import world_store_path

        args.memory = world_store_path()
    if not args.memory.is_file():
        raise SystemExit(f"--memory {args.memory}: no such file; build one with `augur "
                         "memory ingest`")

    with tempfile.TemporaryDirectory() as models:
        server = ServeProcess(["--models", str(models), "--memory", str(args.memory)],
                              "bench memory-ask")
        try:
            t0 = time.perf_counter()
            server.wait_healthy(60)
            conn = http.client.HTTPConnection("127.0.0.1", server.port,
                                              timeout=args.ready_timeout)
            ask(conn, texts[0])  # waits for the model the server builds at startup
            ready_s = time.perf_counter() - t0
            for text in texts[1:1 + args.warmup]:
                ask(conn, text)
            report = measure(conn, texts)
            conn.close()
        finally:
            server.stop()

    out = {"memory": str(args.memory), "split": args.split, "requests": len(texts),
           "ready_s": round(ready_s, 1), **report,
           "target": {"p50_ms": TARGET_P50_MS},
           "meets_target": report["p50_ms"] is not None and report["p50_ms"] <= TARGET_P50_MS,
           "machine": platform.machine(), "cpus": os.cpu_count()}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
