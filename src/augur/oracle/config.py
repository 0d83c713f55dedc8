"""The oracle's two config dataclasses, kept free of torch so the command line
starts fast: OracleConfig (the model) and TrainConfig (one training run)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

BACKBONES = ("smollm2-135m",)  # LLMs the research ablation can read events with


def check_backbone(name: str | None) -> None:
    if name is not None and name not in BACKBONES:
        raise ValueError(f"backbone: expected None or one of {BACKBONES}, got {name!r}")


# Checked here, not where the values are used: a width of 0 or 0 epochs used to end in a
# torch traceback minutes into a run, or in a checkpoint trained on nothing.
def _int_at_least(obj: object, names: tuple[str, ...], least: int) -> None:
    for name in names:
        v = getattr(obj, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < least:
            raise ValueError(f"{name}: expected an integer >= {least}, got {v!r}")


def _share(name: str, v: object, *, low_open: bool = False) -> None:
    """v in [0, 1), or (0, 1) with low_open."""
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and (
        0.0 < v < 1.0 if low_open else 0.0 <= v < 1.0)
    if not ok:
        raise ValueError(f"{name}: expected a number in {'(0' if low_open else '[0'}, 1), "
                         f"got {v!r}")


def _finite_number(name: str, v: object, *, positive: bool) -> None:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and (
        v > 0 if positive else v >= 0)
    if not ok:
        raise ValueError(f"{name}: expected a finite number {'> 0' if positive else '>= 0'}, "
                         f"got {v!r}")


@dataclass
class OracleConfig:
    sizes: dict[str, int] = field(default_factory=dict)  # categorical vocab sizes per field
    n_actions: int = 50
    n_lanes: int = 5
    d_model: int = 256
    n_layers: int = 2
    n_heads: int = 4
    d_ff: int = 768
    d_candidate: int = 64
    dropout: float = 0.2
    max_len: int = 128
    pooling: str = "last"  # "last" token or causal "mean" of the window
    attention: str = "causal"  # "causal" or "bidirectional"
    # How many events the counted next-action prior (transition.py) reads: 1, the event;
    # 2, the event and the one before it. Training sets 1 when it uses no prior, so a
    # model without one keeps only a small table of zeros.
    transition_order: int = 2
    # Research ablation (backbone.py): event texts read by a frozen LLM instead of the
    # learned field embeddings. n_texts: rows of its text-vector table in a checkpoint.
    backbone: str | None = None
    n_texts: int = 0

    def __post_init__(self) -> None:
        if self.pooling not in ("last", "mean"):
            raise ValueError(f"pooling must be 'last' or 'mean', got {self.pooling!r}")
        if self.attention not in ("causal", "bidirectional"):
            raise ValueError(f"attention must be 'causal' or 'bidirectional', "
                             f"got {self.attention!r}")
        if self.transition_order not in (1, 2):
            raise ValueError(f"transition_order: expected 1 or 2, got {self.transition_order!r}")
        check_backbone(self.backbone)
        _int_at_least(self, ("n_actions", "n_lanes", "d_model", "n_layers", "n_heads", "d_ff",
                             "d_candidate", "max_len"), 1)
        _int_at_least(self, ("n_texts",), 0)
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model: expected a multiple of n_heads ({self.n_heads}), got "
                             f"{self.d_model}; pick a width such as "
                             f"{self.d_model - self.d_model % self.n_heads or self.n_heads}")
        _share("dropout", self.dropout)
        if not isinstance(self.sizes, dict):
            raise ValueError(f"sizes: expected a dict of field name -> vocabulary size, got "
                             f"{type(self.sizes).__name__}")
        bad = {k: v for k, v in self.sizes.items()
               if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, int) or v < 1}
        if bad:
            raise ValueError(f"sizes: expected field name -> vocabulary size >= 1, got {bad}")

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class TrainConfig:
    seed: int = 0
    epochs: int = 30
    batch_tokens: int = 1024  # events per optimiser step, whatever the chunk length
    lr: float = 2e-3
    # 0.1: the twelve-person default data overfits after about 8 epochs, and 0.1 held
    # validation top-1 as high as 0.01 (docs/ORACLE.md has both).
    weight_decay: float = 0.1
    warmup_steps: int = 60
    curriculum: tuple[int, ...] = (5, 16, 32, 64, 128)
    use_curriculum: bool = True
    ema_decay: float = 0.995  # weights averaged over roughly the last 200 steps
    class_weighting: bool = True  # routing loss weighted by sqrt inverse lane frequency
    # Next-action logits and delays start from counted priors (transition.py): True,
    # False, or None for "only on small data" (under transition.SMALL_DATA labelled steps).
    transition_prior: bool | None = None
    # Weight of the simulator's recorded next-action distribution in the next-action
    # target (0: labels only). It is privileged: synthetic data records the distribution
    # each label was drawn from, a real log never does, so imported streams always
    # train on labels. Off by default; docs/ORACLE.md has what it measured.
    sim_targets: float = 0.0
    # Share of training chunks whose person is shown as someone the model never met
    # (features.ANON_ACTOR in place of their own actor): the anonymous token learns what
    # people share, which is what a new person gets. 0: no dropout, and every actor keeps
    # its hash bucket, as before. docs/ORACLE.md has what 0.1 and 0.2 measured.
    identity_dropout: float = 0.1
    patience: int = 3  # epochs without a better validation composite before stopping
    val_fraction: float = 0.1
    time_budget_s: float | None = None  # stop after this many seconds (sweeps)
    tracking_uri: str | None = None  # MLflow store, e.g. sqlite:///mlruns/mlflow.db

    def __post_init__(self) -> None:
        _int_at_least(self, ("seed", "warmup_steps"), 0)
        _int_at_least(self, ("epochs", "batch_tokens", "patience"), 1)
        _finite_number("lr", self.lr, positive=True)
        _finite_number("weight_decay", self.weight_decay, positive=False)
        _share("ema_decay", self.ema_decay)
        _share("val_fraction", self.val_fraction, low_open=True)
        if self.time_budget_s is not None:
            _finite_number("time_budget_s", self.time_budget_s, positive=True)
        cur = tuple(self.curriculum) if isinstance(self.curriculum, (tuple, list)) else ()
        if (not cur or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in cur)
                or list(cur) != sorted(set(cur))):
            raise ValueError("curriculum: expected increasing window lengths >= 1, such as "
                             f"(5, 16, 32, 64, 128), got {self.curriculum!r}")
        if not 0.0 <= self.sim_targets <= 1.0:
            raise ValueError(f"sim_targets: expected a weight in [0, 1], got {self.sim_targets!r}")
        if not 0.0 <= self.identity_dropout < 1.0:
            raise ValueError("identity_dropout: expected a share in [0, 1), got "
                             f"{self.identity_dropout!r}")
