"""The oracle's two config dataclasses, kept free of torch so the command line
starts fast: OracleConfig (the model) and TrainConfig (one training run)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

BACKBONES = ("smollm2-135m",)  # LLMs the research ablation can read events with


def check_backbone(name: str | None) -> None:
    if name is not None and name not in BACKBONES:
        raise ValueError(f"backbone: expected None or one of {BACKBONES}, got {name!r}")


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
        if not 0.0 <= self.sim_targets <= 1.0:
            raise ValueError(f"sim_targets: expected a weight in [0, 1], got {self.sim_targets!r}")
        if not 0.0 <= self.identity_dropout < 1.0:
            raise ValueError("identity_dropout: expected a share in [0, 1), got "
                             f"{self.identity_dropout!r}")
