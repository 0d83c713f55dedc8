"""`augur serve` in a child process for the benchmarks that load a real server
(service.py, memory_ask.py): started on 127.0.0.1, waited for, stopped in order.

    server = ServeProcess(["--models", "ckpts", "--memory", "m.db"], "bench memory-ask")
    try:
        server.wait_healthy(60)
        ...  # requests to server.url
    finally:
        server.stop()
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(url + "/healthz", timeout=1):
        return True
    return False


def _die_with_parent() -> None:
    """In the child before exec: ask Linux for SIGTERM when the parent dies."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class ServeProcess:
    """`augur serve --host 127.0.0.1 --port P *serve_args`; `stop()` is safe to call
    more than once. The child never sees AUGUR_API_TOKEN: a benchmark on loopback
    needs none."""

    def __init__(self, serve_args: list[str], name: str, port: int | None = None) -> None:
        self.name = name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cmd = [sys.executable, "-m", "augur.cli", "serve", "--host", "127.0.0.1",
                    "--port", str(self.port), *serve_args]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        # Own session: the terminal's Ctrl-C reaches only us, and stop() (in a finally)
        # shuts the server down in order. If we are killed outright, the kernel sends
        # it SIGTERM (Linux), so no orphan server keeps eating the cores.
        self.proc = subprocess.Popen(
            self.cmd, stdout=subprocess.DEVNULL, stderr=self.log, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent,
            env={k: v for k, v in os.environ.items() if k != "AUGUR_API_TOKEN"})

    def wait_healthy(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name}: the server exited with code "
                                 f"{self.proc.returncode}:\n{self.log_tail()}")
            if healthy(self.url):
                return
            time.sleep(0.1)
        raise SystemExit(f"{self.name}: no /healthz answer from {self.url} in "
                         f"{timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()
