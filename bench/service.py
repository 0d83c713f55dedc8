"""Load test of POST /predict on loopback; prints one JSON object.

    augur bench service [--models DIR] [--model NAME] [--url URL] [--window N]
                        [--seconds S] [--batch-wait-ms X]

Starts `augur serve` as a child process (or targets --url, loopback only), waits
for /healthz, warms up, then runs closed-loop clients at 1, 8 and 32 concurrent
connections for --seconds each: every client sends its next request as soon as
the previous answer arrives. Reports p50/p99 latency, predictions per second,
requests and errors (non-200 answers and broken connections) per level.

The client is kept cheap so that it does not steal the server's cores: asyncio
with one raw keep-alive HTTP/1.1 connection per client, request bytes built
before the clock starts (distinct windows of real events, cycled), and a
minimal response parser (status line + Content-Length).

Each level also reports CPU use in percent of one core: client_cpu_pct (this
process; should stay a few percent), server_cpu_pct (the server process) and
other_cpu_pct (everything else on the machine). On a 2-core box a busy neighbour
wrecks the figures, so rerun when other_cpu_pct is not near 0.

Targets: p99 <= 20 ms at 8 clients, >= 500 predictions/s at 32 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # `augur bench` runs us by path
from serve_process import ServeProcess, healthy  # noqa: E402

LEVELS = (1, 8, 32)
LOOPBACK = ("127.0.0.1", "localhost")
N_WINDOWS = 256  # distinct request bodies, cycled; enough that no two in flight repeat


# ---------------------------------------------------------------- request windows

def _slice_lines(path: Path, offset: int, size: int) -> list[dict]:
    """The whole JSON lines inside [offset, offset + size) of a big file: reading a few
    slices instead of 200 MB keeps start-up at a fraction of a second."""
    with path.open("rb") as f:
        f.seek(offset)
        chunk = f.read(size)
    lines = chunk.split(b"\n")
    if offset > 0:
        lines = lines[1:]  # the first line is probably cut
    return [json.loads(line) for line in lines[:-1] if line.strip()]  # the last one too


def _windows_from_events(runs: list[list[dict]], window: int) -> list[tuple[list, list]]:
    """(events, candidates) for windows of `window` consecutive events of one person,
    ending at evenly spaced points; candidates are the last event's labelled ones."""
    out = []
    per_run = max(1, N_WINDOWS // len(runs))
    for run in runs:
        clean = [{k: v for k, v in e.items() if k not in ("labels", "sim")} for e in run]
        ends = range(window, len(run) + 1)
        for end in ends[::max(1, len(ends) // per_run)][:per_run]:
            cands = (run[end - 1].get("labels") or {}).get("candidates") or []
            out.append((clean[end - window:end], cands))
    return out[:N_WINDOWS]


def _runs_by_stream(events: list[dict]) -> list[list[dict]]:
    """Split into maximal runs of one stream (windows never mix two people)."""
    runs: list[list[dict]] = []
    for e in events:
        if runs and runs[-1][0].get("stream") == e.get("stream"):
            runs[-1].append(e)
        else:
            runs.append([e])
    return runs


def load_windows(data: Path, window: int) -> tuple[list[tuple[list, list]], str]:
    if data.is_file():
        size = data.stat().st_size
        per = 2 << 20  # 2 MiB a slice: about 1,400 events
        offsets = sorted({max(0, min(size - per, size * k // 4 + size // 8)) for k in range(4)})
        # Runs are split per slice: two slices of one person are not consecutive.
        runs = [r for o in offsets for r in _runs_by_stream(_slice_lines(data, o, per))
                if len(r) >= window]
        if runs:
            streams = sorted({r[0].get("stream", "?") for r in runs})
            wins = _windows_from_events(runs, window)
            return wins, f"{data.name}: {len(wins)} windows from {len(runs)} runs of " \
                         f"consecutive events ({', '.join(streams)})"
    # No data file: a short simulated stream (same schema, same candidate labels).
    from augur.events.persona import KnowledgeWorkerPersona

    events = [e.to_dict() for e in KnowledgeWorkerPersona(42).generate(days=3)]
    if len(events) < window:
        raise SystemExit(f"--window {window}: the fallback stream has only {len(events)} "
                         "events; use a smaller window or provide --data")
    wins = _windows_from_events([events], window)
    return wins, f"KnowledgeWorkerPersona(42), 3 days ({data} missing): {len(wins)} windows"


def build_requests(wins, model: str, host: str, port: int, top_k: int) -> list[bytes]:
    out = []
    for events, cands in wins:
        body = json.dumps({"model": model, "events": events, "candidates": cands,
                           "top_k": top_k}, separators=(",", ":")).encode()
        head = (f"POST /predict HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        out.append(head.encode() + body)
    return out


# ---------------------------------------------------------------- HTTP client

class BadAnswer(Exception):
    pass


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: bytes) -> tuple[int, bytes, bool]:
    """One request on a keep-alive connection: (status, body, server wants to close)."""
    writer.write(request)
    await writer.drain()
    line = await reader.readline()
    if not line:
        raise ConnectionError("the server closed the connection")
    parts = line.split(b" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise BadAnswer(f"not an HTTP status line: {line[:80]!r}")
    length, close = None, False
    while True:
        h = await reader.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and b"close" in value.lower():
            close = True
    if length is None:  # uvicorn always sends it for JSON answers
        raise BadAnswer("answer without Content-Length (chunked answers are not supported)")
    body = await reader.readexactly(length) if length else b""
    return int(parts[1]), body, close


class Level:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.first_error: str | None = None

    def error(self, what: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = what
            print(f"bench service: first error: {what[:2000]}", file=sys.stderr)


async def _client(host: str, port: int, requests: list[bytes], start: int, stop_at: float,
                  level: Level) -> None:
    conn = None
    i = start
    while time.perf_counter() < stop_at:
        try:
            if conn is None:
                conn = await asyncio.open_connection(host, port)
            t = time.perf_counter()
            status, body, close = await _exchange(*conn, requests[i % len(requests)])
            elapsed = time.perf_counter() - t
        except (OSError, asyncio.IncompleteReadError, BadAnswer) as exc:
            level.error(f"{type(exc).__name__}: {exc}")
            if conn is not None:
                conn[1].close()
            conn = None
            await asyncio.sleep(0.05)  # a dead server must not turn into a busy loop
            continue
        i += 1
        if status == 200:
            level.latencies.append(elapsed)
        else:
            level.error(f"HTTP {status}: {body.decode(errors='replace')}")
        if close:
            conn[1].close()
            conn = None
    if conn is not None:
        conn[1].close()


def _pct(sorted_ms: list[float], q: float) -> float | None:
    if not sorted_ms:
        return None
    k = min(len(sorted_ms) - 1, max(0, round(q / 100 * len(sorted_ms) + 0.5) - 1))
    return round(sorted_ms[k], 2)  # nearest-rank percentile


async def run_level(host: str, port: int, requests: list[bytes], clients: int,
                    seconds: float) -> tuple[dict, float]:
    level = Level()
    cpu0, t0 = time.process_time(), time.perf_counter()
    stop_at = t0 + seconds
    # Clients start at different windows so concurrent requests differ.
    await asyncio.gather(*(_client(host, port, requests, c * len(requests) // clients,
                                   stop_at, level) for c in range(clients)))
    wall = time.perf_counter() - t0
    ms = sorted(x * 1000 for x in level.latencies)
    return {"p50_ms": _pct(ms, 50), "p99_ms": _pct(ms, 99),
            "per_s": round(len(ms) / wall, 1), "requests": len(ms) + level.errors,
            "errors": level.errors,
            "client_cpu_pct": round(100 * (time.process_time() - cpu0) / wall, 1)}, wall


# ---------------------------------------------------------------- the server

def _batches(host: str, port: int) -> tuple[int, int] | None:
    """(predictions, forward passes) the server reports on /healthz."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=2) as r:
            h = json.loads(r.read())
        return h["predictions"], h["batches"]
    except (OSError, ValueError, KeyError):
        return None


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), for the server's share."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def server_for(args: argparse.Namespace) -> ServeProcess:
    """`augur serve` on the bench's models, with the bench's server flags."""
    cmd = ["--models", str(args.models), "--default-model", args.model]
    if args.batch_wait_ms is not None:
        cmd += ["--batch-wait-ms", str(args.batch_wait_ms)]
    if args.torch_threads is not None:
        cmd += ["--torch-threads", str(args.torch_threads)]
    return ServeProcess(cmd, "bench service", port=args.port)


# ---------------------------------------------------------------- main

def _target(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise SystemExit(f"--url: expected http://127.0.0.1:PORT or http://localhost:PORT "
                         f"(load tests target loopback only); got {url!r}")
    return "127.0.0.1" if parts.hostname == "localhost" else parts.hostname, parts.port or 80


def _busy_s() -> float | None:
    """CPU seconds all cores have been busy (Linux /proc/stat): what neither the server
    nor this client used was another process, which makes the figures unreliable."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


async def _measure(host: str, port: int, requests: list[bytes], seconds: float,
                   warmup_s: float, pid: int | None) -> dict:
    levels, durations = {}, {}
    if warmup_s > 0:  # first batches of each size, allocator, connection set-up
        warm, _ = await run_level(host, port, requests, 8, warmup_s)
        if warm["errors"]:
            raise SystemExit("bench service: errors during warm-up (see stderr); stopping")
    for n in LEVELS:
        b0 = _batches(host, port)
        cpu0, busy0, own0 = _cpu_s(pid) if pid else None, _busy_s(), time.process_time()
        res, wall = await run_level(host, port, requests, n, seconds)
        cpu1, busy1, own1 = _cpu_s(pid) if pid else None, _busy_s(), time.process_time()
        b1 = _batches(host, port)
        res["mean_batch"] = (round((b1[0] - b0[0]) / max(1, b1[1] - b0[1]), 2)
                             if b0 and b1 else None)
        server = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
        res["server_cpu_pct"] = round(100 * server / wall, 1) if server is not None else None
        other = (busy1 - busy0 - server - (own1 - own0)
                 if server is not None and busy0 is not None and busy1 is not None else None)
        # Clock-tick rounding makes an idle machine read a few percent below zero.
        res["other_cpu_pct"] = round(max(0.0, 100 * other / wall), 1) if other is not None \
            else None
        levels[f"c{n}"], durations[f"c{n}"] = res, round(wall, 2)
    return {**levels, "duration_s": durations}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="augur bench service", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=Path, default=ROOT / "checkpoints",
                    help="models folder for the server (default: the checkout's checkpoints)")
    ap.add_argument("--model", default="oracle", help="model every request names")
    ap.add_argument("--port", type=int, default=None, help="server port (default: a free one)")
    ap.add_argument("--url", default=None,
                    help="load an already running server (loopback only) instead of starting "
                         "one; --models, --port and --batch-wait-ms are then ignored")
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "world-42x12.jsonl",
                    help="JSON Lines events for the windows (a short simulated stream if "
                         "missing)")
    ap.add_argument("--window", type=int, default=32, help="events per request (default 32)")
    ap.add_argument("--top-k", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=10.0, help="per level (default 10)")
    ap.add_argument("--warmup-s", type=float, default=None,
                    help="warm-up at 8 clients (default: min(2, --seconds))")
    ap.add_argument("--batch-wait-ms", type=float, default=None,
                    help="passed to `augur serve` (default: the server's own)")
    ap.add_argument("--torch-threads", type=int, default=None,
                    help="passed to `augur serve` (default: the server's own)")
    args = ap.parse_args(argv)
    from augur.service.config import ServiceConfig  # light: no FastAPI, no torch

    if args.window < 1 or args.seconds <= 0:
        raise SystemExit("--window must be >= 1 and --seconds > 0")
    warmup_s = min(2.0, args.seconds) if args.warmup_s is None else args.warmup_s

    target = _target(args.url) if args.url else None  # refuse before any work
    wins, data = load_windows(args.data, args.window)
    server = None
    try:
        if target:
            host, port = target
            info = {"started": False, "url": args.url, "model": args.model}
            if not healthy(f"http://{host}:{port}"):
                raise SystemExit(f"bench service: no /healthz answer at {args.url}")
        else:
            if not (args.models / args.model).is_dir():
                raise SystemExit(f"--model {args.model!r}: no checkpoint folder "
                                 f"{args.models / args.model}")
            server = server_for(args)
            host, port = "127.0.0.1", server.port
            info = {"started": True, "cmd": " ".join(server.cmd[1:]), "url": server.url,
                    "model": args.model, "batch_wait_ms": (
                        ServiceConfig().batch_wait_ms if args.batch_wait_ms is None
                        else args.batch_wait_ms),
                    "torch_threads": (ServiceConfig().torch_threads if args.torch_threads is None
                                      else args.torch_threads),
                    "cpus": os.cpu_count()}
            server.wait_healthy(120)
        requests = build_requests(wins, args.model, host, port, args.top_k)
        pid = server.proc.pid if server else None
        res = asyncio.run(_measure(host, port, requests, args.seconds, warmup_s, pid))
    finally:
        if server is not None:
            server.stop()
    report = {"data": data, "window_events": args.window, "windows": len(requests),
              "top_k": args.top_k, "server": info, "warmup_s": warmup_s, **res,
              "targets": {"c8_p99_ms<=20": _met(res["c8"]["p99_ms"], 20, below=True),
                          "c32_per_s>=500": _met(res["c32"]["per_s"], 500, below=False)}}
    print(json.dumps(report, indent=2))
    return 0


def _met(value: float | None, bound: float, below: bool) -> bool:
    return value is not None and (value <= bound if below else value >= bound)


if __name__ == "__main__":
    # SIGTERM takes the same road as Ctrl-C, so the finally in main() stops the server.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench service: interrupted; server stopped", file=sys.stderr)
        sys.exit(130)
