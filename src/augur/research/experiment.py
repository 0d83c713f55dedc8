"""One trial's settings: the only things a research trial may change (see program.md).

Every field is an axis; its default is the default oracle, so `Experiment()` is the
baseline. `describe()` names what differs from it; `to_configs()` gives the oracle's own
configs. A file of experiments is a JSON list (or JSON Lines) of field dicts."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from augur.errors import AugurError
from augur.oracle.config import BACKBONES, OracleConfig, TrainConfig

_M, _T = OracleConfig(), TrainConfig()
AXES = ("architecture", "data", "optimisation")


class ExperimentError(AugurError, ValueError):
    """An experiment with a value out of range; the message names field, expected and got."""


def _axis(axis: str, doc: str, default: Any = None, factory: Any = None) -> Any:
    meta = {"axis": axis, "doc": doc}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class Experiment:
    # architecture
    n_layers: int = _axis("architecture", "transformer layers", _M.n_layers)
    d_model: int = _axis("architecture", "width: the model dimension", _M.d_model)
    n_heads: int = _axis("architecture", "attention heads; must divide d_model", _M.n_heads)
    d_ff: int | None = _axis("architecture", "feed-forward width; None means 3 x d_model")
    d_candidate: int = _axis("architecture", "candidate-scorer width", _M.d_candidate)
    pooling: str = _axis("architecture", "'last' token or 'mean' of the window", _M.pooling)
    attention: str = _axis("architecture", "'causal' or 'bidirectional' attention",
                           _M.attention)
    use_backbone: bool = _axis("architecture", "frozen SmolLM2-135M reads each event as text "
                               "in place of the learned field embeddings", False)
    # data
    days: int | None = _axis("data", "synthetic days to train on; None = the loop's data")
    use_curriculum: bool = _axis("data", "grow the window length over training",
                                 _T.use_curriculum)
    windows: tuple[int, ...] = _axis("data", "window lengths of the curriculum, ascending",
                                     factory=lambda: tuple(_T.curriculum))
    # optimisation
    lr: float = _axis("optimisation", "peak learning rate (AdamW)", _T.lr)
    batch_tokens: int = _axis("optimisation", "events per optimiser step", _T.batch_tokens)
    class_weighting: bool = _axis("optimisation", "routing loss weighted by inverse lane "
                                  "frequency", _T.class_weighting)

    def __post_init__(self) -> None:
        if isinstance(self.windows, list):
            self.windows = tuple(self.windows)
        self.validate()

    def validate(self) -> None:
        for name in ("n_layers", "d_model", "n_heads", "d_candidate", "batch_tokens"):
            _positive_int(name, getattr(self, name))
        if self.d_ff is not None:
            _positive_int("d_ff", self.d_ff)
        if self.days is not None:
            _positive_int("days", self.days)
        if self.d_model % self.n_heads:
            _fail("n_heads", f"a divisor of d_model={self.d_model}", self.n_heads)
        _choice("pooling", self.pooling, ("last", "mean"))
        _choice("attention", self.attention, ("causal", "bidirectional"))
        for name in ("use_backbone", "use_curriculum", "class_weighting"):
            if not isinstance(getattr(self, name), bool):
                _fail(name, "true or false", getattr(self, name))
        w = self.windows
        if (not isinstance(w, tuple) or not w
                or not all(isinstance(n, int) and not isinstance(n, bool) for n in w)
                or list(w) != sorted(set(w)) or w[0] < 1 or w[-1] > _M.max_len):
            _fail("windows", f"ascending distinct integers in 1..{_M.max_len}", w)
        lr = self.lr
        if isinstance(lr, bool) or not isinstance(lr, int | float) or not 0 < lr < 1:
            _fail("lr", "a number in (0, 1)", lr)

    def to_configs(self) -> tuple[OracleConfig, TrainConfig]:
        mc = OracleConfig(d_model=self.d_model, n_layers=self.n_layers, n_heads=self.n_heads,
                          d_ff=self.d_ff or 3 * self.d_model, d_candidate=self.d_candidate,
                          pooling=self.pooling, attention=self.attention,
                          backbone=BACKBONES[0] if self.use_backbone else None)
        tc = TrainConfig(lr=float(self.lr), batch_tokens=self.batch_tokens,
                         use_curriculum=self.use_curriculum, curriculum=self.windows,
                         class_weighting=self.class_weighting)
        return mc, tc

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["windows"] = list(self.windows)
        return d

    def changes(self) -> dict[str, Any]:
        """The fields that differ from the default oracle."""
        base = Experiment().to_json()
        return {k: v for k, v in self.to_json().items() if v != base[k]}

    def describe(self) -> str:
        """One line: what differs from the default, e.g. `d_model=32 pooling=mean`."""
        ch = self.changes()
        if not ch:
            return "baseline (default oracle)"
        return " ".join(f"{k}={_text(v)}" for k, v in ch.items())

    @classmethod
    def from_dict(cls, d: Any, where: str = "experiment") -> Experiment:
        if not isinstance(d, dict):
            raise ExperimentError(f"{where}: expected an object of fields, got {d!r}")
        known = {f.name for f in fields(cls)}
        if unknown := sorted(set(d) - known):
            raise ExperimentError(f"{where}: unknown field(s) {unknown}; an experiment may "
                                  f"only set {sorted(known)}")
        try:
            return cls(**d)
        except ExperimentError as e:
            raise ExperimentError(f"{where}: {e}") from None


def field_docs() -> dict[str, tuple[str, str]]:
    """field name -> (axis, one-line description)."""
    return {f.name: (f.metadata["axis"], f.metadata["doc"]) for f in fields(Experiment)}


def load_experiments(path: str | Path) -> list[Experiment]:
    """A JSON list of experiment objects, or JSON Lines with one object a line."""
    path = Path(path)
    if not path.is_file():
        raise ExperimentError(f"no experiments file at {path}")
    text = path.read_text()
    try:
        items = json.loads(text)
    except json.JSONDecodeError:
        try:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as e:
            raise ExperimentError(f"{path}: not a JSON list nor JSON Lines: {e}") from None
    if not isinstance(items, list) or not items:
        raise ExperimentError(f"{path}: expected a non-empty list of experiments")
    return [Experiment.from_dict(d, f"{path} experiment {i + 1}") for i, d in enumerate(items)]


def _text(v: Any) -> str:
    return ",".join(map(str, v)) if isinstance(v, list | tuple) else str(v)


def _fail(name: str, expected: str, got: Any) -> None:
    raise ExperimentError(f"{name}: expected {expected}, got {got!r}")


def _positive_int(name: str, v: Any) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        _fail(name, "a positive integer", v)


def _choice(name: str, v: Any, options: tuple[str, ...]) -> None:
    if v not in options:
        _fail(name, " or ".join(repr(o) for o in options), v)
