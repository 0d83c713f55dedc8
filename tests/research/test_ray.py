"""Ray Tune runs the same trials: a real local Ray instance that listens on 127.0.0.1 only,
two tiny trials (one a real crash in its child), the same rows as a local run, and no Ray
process left afterwards."""

import contextlib
import importlib.util
import ipaddress
import json
import os
import sys
import time
from pathlib import Path

import pytest

from augur.cli import main
from augur.research.experiment import Experiment
from augur.research.loop import COLUMNS, LoopConfig, read_results, run_trials
from augur.research.ray_runner import ray_runner

# find_spec, not importorskip: ray must first be imported by ray_runner, which keeps a
# local instance on 127.0.0.1 (a setting read when ray is imported)
pytestmark = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                reason='the research extra: pip install -e ".[research]"')

TINY_EXP = dict(d_model=32, n_layers=1, n_heads=2, d_ff=64, d_candidate=16, windows=(16, 32),
                batch_tokens=256)


@pytest.fixture
def no_ray_left():
    yield
    import ray

    ray.shutdown()  # the runner shuts Ray down itself; this only covers a failed test


def test_local_ray_runs_the_same_trials_on_loopback_and_stops(tmp_path, no_ray_left):
    empty = tmp_path / "empty.jsonl"  # the crash: the first trial's data has no events
    empty.write_text("")
    cfg = LoopConfig(data=empty, budget_s=1, results=tmp_path / "results.tsv",
                     models_dir=tmp_path / "models", noise_seeds=0, workdir=tmp_path / "work",
                     eval_sets=("temporal",))
    logs = []
    with ray_runner("local", cfg, logs.append) as runner:
        ray_pids = _descendants(os.getpid())
        listening = _listening_ips([os.getpid(), *ray_pids])
        rows = run_trials([Experiment(**TINY_EXP), Experiment(**TINY_EXP, days=8)], cfg,
                          logs.append, runner)

    assert ray_pids and listening == {"127.0.0.1"}
    assert logs[0].startswith("ray: local instance at 127.0.0.1:")
    import ray

    assert not ray.is_initialized()
    deadline = time.monotonic() + 15
    while (alive := [p for p in ray_pids if _running(p)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive, f"Ray processes still running after the run: {alive}"

    assert [r["status"] for r in rows] == ["crash", "keep"]
    saved = read_results(cfg.results)
    assert [r["trial"] for r in saved] == ["1", "2"] and tuple(saved[0]) == COLUMNS
    crash, base = saved
    assert "crash: DataFileError" in crash["description"] and crash["composite"] == ""
    assert 0 < float(base["composite"]) < 1 and float(base["noise_floor"]) == 0
    assert float(base["peak_mem_mb"]) > 50 and float(base["seconds"]) > 0
    assert json.loads(base["params"])["days"] == 8
    assert (cfg.models_dir / "research-0002" / "config.json").is_file()
    tune_trials = sorted(p.name for p in (cfg.workdir / "ray").glob("trials-*/trial-*"))
    assert tune_trials == ["trial-0001", "trial-0002"]  # each ran as a Ray Tune trial


def test_ray_without_the_extra_names_it(tmp_path, monkeypatch, capsys):
    exps = tmp_path / "e.json"
    exps.write_text("[{}]")
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    code = main(["research", "run", "--experiments", str(exps), "--ray", "local",
                 "--results", str(tmp_path / "r.tsv"), "--workdir", str(tmp_path / "w")])
    assert code == 2
    assert '--ray needs Ray Tune: install the research extra: pip install -e ".[research]"' \
        in capsys.readouterr().err
    assert not (tmp_path / "r.tsv").exists()


def _descendants(root: int) -> list[int]:
    parents = {}
    for d in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            if d.name.isdigit():
                parents[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
    found, todo = [], [root]
    while todo:
        parent = todo.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        todo += kids
    return found


def _listening_ips(pids: list[int]) -> set[str]:
    """The addresses these processes' listening TCP sockets are bound to (from /proc)."""
    inodes = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:["):
                        inodes.add(link[8:-1])
    ips = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if f[3] == "0A" and f[9] in inodes:  # 0A: LISTEN
                raw = bytes.fromhex(f[1].split(":")[0])  # 32-bit words, little-endian
                ip = ipaddress.ip_address(b"".join(raw[i:i + 4][::-1]
                                                   for i in range(0, len(raw), 4)))
                ips.add(str(getattr(ip, "ipv4_mapped", None) or ip))
    return ips


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
