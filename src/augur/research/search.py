"""Optuna (TPE) over a declared search space: `augur research run --search SPACE.json`.

A space file fixes some Experiment fields for every trial and gives ranges for others:

    {"base": {"days": 120},
     "space": {"d_model": {"choices": [64, 128, 256]},
               "lr": {"low": 3e-4, "high": 5e-3, "log": true},
               "n_layers": {"low": 1, "high": 3, "int": true}}}

A range is {"choices": [...]} or {"low": a, "high": b} with optional "log", "int" (taken
from the field's type when left out) and "step". Every trial goes through the same Ledger
as an explicit list of experiments (one results.tsv row, keep only above the noise floor);
the Optuna objective is the temporal composite and a crash is a FAIL of the study.

- The baseline of a new results file is `base` alone (every searched field at its
  default). It runs first as a plain trial, outside the study, because the defaults need
  not lie inside the declared ranges; it is not one of the --trials.
- A sampled combination that Experiment refuses (n_heads not dividing d_model, ...) is
  PRUNED: nothing is trained and no row is written, but it counts toward --trials so a
  space full of invalid corners cannot loop forever. The reason is the trial's user
  attribute "invalid".
- The study lives in sqlite (default <workdir>/study.db). --trials is the study's total:
  running the same command again runs only what is missing. A trial left RUNNING by a
  stopped sweep is marked FAIL and does not count; a fresh trial takes its place. One
  sweep at a time per study and results file.
- Each study trial's results.tsv id is its user attribute "results_trial" (and the row's
  description ends with "(optuna trial N)")."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from augur.errors import AugurError
from augur.research.experiment import Experiment, ExperimentError
from augur.research.loop import Ledger, LoopConfig, Runner

RANGE_KEYS = ("choices", "low", "high", "log", "int", "step")
EXTRA_HINT = 'install the research extra: pip install -e ".[research]"'


class SearchSpaceError(AugurError, ValueError):
    """A search-space file that cannot be searched; the message names the field."""


@dataclass(frozen=True)
class Param:
    """One searched field: categorical choices, or a numeric range."""
    name: str
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False
    step: float | None = None

    def suggest(self, trial: Any) -> Any:
        if self.choices:
            # Optuna stores only None, bool, int, float and str: a list choice (windows)
            # goes in as its JSON text and comes back as the list.
            keys = {_key(c): c for c in self.choices}
            return keys[trial.suggest_categorical(self.name, list(keys))]
        if self.integer:
            return trial.suggest_int(self.name, int(self.low), int(self.high),
                                     step=int(self.step or 1), log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, step=self.step,
                                   log=self.log)


@dataclass(frozen=True)
class SearchSpace:
    base: dict[str, Any]
    params: tuple[Param, ...]

    @classmethod
    def load(cls, path: str | Path) -> SearchSpace:
        path = Path(path)
        if not path.is_file():
            raise SearchSpaceError(f"no search-space file at {path}")
        try:
            d = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise SearchSpaceError(f"{path}: not JSON: {e}") from None
        return cls.from_dict(d, where=str(path))

    @classmethod
    def from_dict(cls, d: Any, where: str = "search space") -> SearchSpace:
        if not isinstance(d, dict) or not set(d) <= {"base", "space"} or "space" not in d:
            raise SearchSpaceError(f'{where}: expected an object {{"base": {{...}}, "space": '
                                   f'{{...}}}} ("base" optional), got {_short(d)}')
        base, space = d.get("base", {}), d["space"]
        Experiment.from_dict(base, f"{where}: base (alone it is the search's baseline)")
        if not isinstance(space, dict) or not space:
            raise SearchSpaceError(f'{where}: "space" expected a non-empty object of '
                                   f"field: range, got {_short(space)}")
        hints = typing.get_type_hints(Experiment)
        known = [f.name for f in fields(Experiment)]
        if unknown := sorted(set(space) - set(known)):
            raise SearchSpaceError(f'{where}: "space" has unknown field(s) {unknown}; an '
                                   f"experiment has {known}")
        if both := sorted(set(space) & set(base)):
            raise SearchSpaceError(f"{where}: {both} both fixed in \"base\" and searched in "
                                   '"space"; keep each in one place')
        params = tuple(_param(n, space[n], hints[n], where) for n in known if n in space)
        return cls(dict(base), params)

    def baseline(self) -> Experiment:
        return Experiment.from_dict(self.base)

    def sample(self, trial: Any) -> Experiment:
        """The trial's experiment; ExperimentError when the combination is invalid."""
        values = {p.name: p.suggest(trial) for p in self.params}
        return Experiment.from_dict({**self.base, **values}, "sampled experiment")

    def to_json(self) -> dict[str, Any]:
        return {"base": self.base, "space": {p.name: _range_json(p) for p in self.params}}


@dataclass
class SearchConfig:
    trials: int  # the study's total: a resumed study runs only what is missing
    study_name: str = "augur-search"
    storage: str | None = None  # sqlite file or Optuna storage URL; None: <workdir>/study.db
    seed: int = 0  # TPE sampler seed

    def __post_init__(self) -> None:
        if isinstance(self.trials, bool) or not isinstance(self.trials, int) or self.trials < 1:
            raise AugurError(f"trials: expected a positive integer, got {self.trials!r}")
        if not self.study_name:
            raise AugurError("study_name: expected a non-empty name, got ''")

    def storage_url(self, workdir: Path) -> str:
        where = str(self.storage or Path(workdir) / "study.db")
        if "://" in where:
            return where
        Path(where).parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{Path(where).resolve()}"


def run_search(space: SearchSpace, cfg: LoopConfig, search: SearchConfig,
               log: Callable[[str], None] | None = None,
               runner: Runner | None = None) -> list[dict[str, Any]]:
    """Run the study up to search.trials finished trials; returns the rows appended."""
    optuna = _import_optuna()
    ledger = Ledger(cfg, log, runner)
    study = _open_study(optuna, space, search, cfg.workdir)
    _fail_interrupted(optuna, study, ledger.log)
    done = _finished(optuna, study)
    ledger.log(f"study {search.study_name}: {done} of {search.trials} trials done")
    rows = []
    if ledger.state.incumbent is None and done < search.trials:
        rows += ledger.run([ledger.plan(space.baseline(), note=" (search baseline)")])
    while done < search.trials:
        asked = [study.ask() for _ in range(min(ledger.batch_size(), search.trials - done))]
        done += len(asked)
        plans, by_tid = [], {}
        for t in asked:
            try:
                exp = space.sample(t)
            except ExperimentError as e:
                t.set_user_attr("invalid", str(e))
                study.tell(t, state=optuna.trial.TrialState.PRUNED)
                ledger.log(f"optuna trial {t.number}: pruned, {e}")
                continue
            plans.append(ledger.plan(exp, note=f" (optuna trial {t.number})"))
            t.set_user_attr("results_trial", plans[-1].tid)
            by_tid[plans[-1].tid] = t
        new = ledger.run(plans)
        for row in new:
            if (t := by_tid.get(row["trial"])) is None:
                continue  # a noise-floor re-training is not a study trial
            t.set_user_attr("status", row["status"])
            if row["status"] == "crash":
                study.tell(t, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(t, row["composite"])
        rows += new
    return rows


def _open_study(optuna: Any, space: SearchSpace, search: SearchConfig, workdir: Path) -> Any:
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the ledger logs every trial
    url = search.storage_url(workdir)
    study = optuna.create_study(storage=url, study_name=search.study_name,
                                direction="maximize", load_if_exists=True)
    recorded, mine = study.user_attrs.get("space"), space.to_json()
    if recorded is None:
        study.set_user_attr("space", mine)
    elif recorded != json.loads(json.dumps(mine)):
        raise SearchSpaceError(f"study {search.study_name!r} in {url} was made with another "
                               "search space; pass the same space file to resume it, or "
                               "another --study-name to start a new study")
    # The same seed again would replay the first draws of the stopped sweep: offset it by
    # the trials already asked, so a given history still has reproducible next draws.
    n = len(study.get_trials(deepcopy=False))
    study.sampler = optuna.samplers.TPESampler(seed=search.seed + n)
    return study


def _fail_interrupted(optuna: Any, study: Any, log: Callable[[str], None]) -> None:
    running = optuna.trial.TrialState.RUNNING
    for t in study.get_trials(deepcopy=False, states=(running,)):
        study.tell(t.number, state=optuna.trial.TrialState.FAIL)
        log(f"optuna trial {t.number}: left running by a stopped sweep, marked failed "
            "(it does not count toward --trials)")


def _finished(optuna: Any, study: Any) -> int:
    """Trials that count toward the target: scored, pruned, or crashed (a crash is a
    result); an interrupted trial (FAIL without a status) is not."""
    state = optuna.trial.TrialState
    return sum(t.state in (state.COMPLETE, state.PRUNED) or t.user_attrs.get("status")
               == "crash" for t in study.get_trials(deepcopy=False))


def _import_optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise AugurError(f"--search needs Optuna: {EXTRA_HINT}") from None
    return optuna


def _param(name: str, spec: Any, hint: Any, where: str) -> Param:
    def fail(expected: str, got: Any) -> None:
        raise SearchSpaceError(f"{where}: space.{name}: expected {expected}, got {_short(got)}")

    if not isinstance(spec, dict) or not spec or not set(spec) <= set(RANGE_KEYS):
        fail(f'an object {{"choices": [...]}} or {{"low": a, "high": b}} with optional '
             f'"log", "int", "step" ({_tname(hint)} field)', spec)
    if "choices" in spec:
        ch = spec["choices"]
        if set(spec) != {"choices"}:
            fail('"choices" alone, without low/high/log/int/step', spec)
        if not isinstance(ch, list) or not ch:
            fail("a non-empty list of choices", ch)
        if bad := [c for c in ch if not _accepts(hint, c)]:
            fail(f"choices of the field's type {_tname(hint)}", bad)
        if len({json.dumps(c) for c in ch}) != len(ch):
            fail("distinct choices", ch)
        return Param(name, choices=tuple(ch))
    low, high, step = spec.get("low"), spec.get("high"), spec.get("step")
    if not all(_accepts(float, v) for v in (low, high)) or low >= high:
        fail('numbers "low" < "high"', spec)
    int_field = _accepts(hint, 1) and not _accepts(hint, 0.5)
    integer, log = spec.get("int", int_field), spec.get("log", False)
    if not isinstance(integer, bool) or not isinstance(log, bool):
        fail('true or false for "int" and "log"', spec)
    if integer and not (int_field and _accepts(int, low) and _accepts(int, high)):
        fail(f"integer low and high for an integer field (this one is {_tname(hint)})", spec)
    if not integer and not _accepts(hint, 0.5):
        fail(f'"int": true, the field is {_tname(hint)}', spec)
    if log and low <= 0:
        fail('"low" > 0 with "log"', spec)
    if step is not None and (log or not _accepts(float, step) or step <= 0):
        fail('a positive "step", and no "step" with "log"', spec)
    return Param(name, low=low, high=high, log=log, integer=integer, step=step)


def _accepts(tp: Any, v: Any) -> bool:
    """Whether the JSON value v fits the Experiment field type tp."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_accepts(a, v) for a in args)
    if tp is type(None):
        return v is None
    if origin is tuple:
        return isinstance(v, list | tuple) and all(_accepts(args[0], x) for x in v)
    if tp is bool or isinstance(v, bool):
        return tp is bool and isinstance(v, bool)
    if tp is float:
        return isinstance(v, int | float)
    return isinstance(v, tp) if isinstance(tp, type) else True


def _range_json(p: Param) -> dict[str, Any]:
    if p.choices:
        return {"choices": list(p.choices)}
    return {"low": p.low, "high": p.high, "log": p.log, "int": p.integer, "step": p.step}


def _key(choice: Any) -> Any:
    return json.dumps(choice) if isinstance(choice, list | tuple) else choice


def _tname(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else str(tp).replace("typing.", "")


def _short(v: Any) -> str:
    text = json.dumps(v) if not isinstance(v, str) else repr(v)
    return text if len(text) <= 120 else text[:117] + "..."
