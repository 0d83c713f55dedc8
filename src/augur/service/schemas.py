"""Every request and response body of the service, with examples for the OpenAPI page."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from augur.events.schema import Artifact, ObservedEvent

MAX_EVENTS = 1024  # events in one request window; the model reads the last 128
MODEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

_EXAMPLE_EVENTS = [
    {"ts": "2026-03-04T10:26:00+01:00", "type": "commit_pushed", "source": "git",
     "actor": "me", "importance": 0.3, "action": "commit_code", "project": "atlas",
     "attributes": {"artifact": "pr-7"}},
    {"ts": "2026-03-04T10:35:00+01:00", "type": "ci_failed", "source": "ci",
     "actor": "ci-bot", "importance": 0.75, "project": "atlas",
     "attributes": {"artifact": "build-8"}},
]
_EXAMPLE_CANDIDATES = [{"id": "build-8", "kind": "build", "project": "atlas"},
                       {"id": "pr-7", "kind": "pr", "project": "atlas"}]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WindowRequest(_Strict):
    """A window of one person's recent events, oldest first."""

    model: str | None = Field(default=None, pattern=MODEL_NAME,
                              description="registered model name; the default model if absent")
    events: list[ObservedEvent] = Field(min_length=1, max_length=MAX_EVENTS)

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"model": None, "events": _EXAMPLE_EVENTS}]})


class PredictRequest(WindowRequest):
    candidates: list[Artifact] | None = Field(
        default=None, max_length=64, description="artifacts to rank (the first 8 are scored)")
    top_k: int = Field(default=5, ge=1, le=50, description="how many next actions to return")

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"events": _EXAMPLE_EVENTS, "candidates": _EXAMPLE_CANDIDATES,
                      "top_k": 5}]})


class RankRequest(WindowRequest):
    candidates: list[Artifact] = Field(min_length=1, max_length=8,
                                       description="artifacts to rank, at most 8")

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"events": _EXAMPLE_EVENTS, "candidates": _EXAMPLE_CANDIDATES}]})


class ActionProb(BaseModel):
    action: str
    prob: float


class ArtifactScore(BaseModel):
    id: str
    score: float


# A model trained on an imported log has no lane, interruption or candidate labels, so
# those heads never trained; their output would be their random start.
_UNTRAINED = "; null when the model's training data had no labels for it (an imported log)"


class PredictResponse(BaseModel):
    model: str
    next_actions: list[ActionProb] = Field(description="most likely first")
    lanes: dict[str, float] | None = Field(
        description="probability of each response lane" + _UNTRAINED)
    proactive_prob: float | None = Field(
        description="probability that interrupting now is welcome" + _UNTRAINED)
    proactive: bool | None = Field(description="intervene now (probability at or above the "
                                               "model's fitted threshold)" + _UNTRAINED)
    delay_min: float | None = Field(
        description="predicted minutes until the next action" + _UNTRAINED)
    artifacts: list[ArtifactScore] | None = Field(
        description="candidates ranked, best first" + _UNTRAINED)


class RankResponse(BaseModel):
    model: str
    artifacts: list[ArtifactScore]


class RouteResponse(BaseModel):
    model: str
    lane: str
    lanes: dict[str, float]


class ModelInfo(BaseModel):
    name: str
    created: str | None = Field(description="when training finished (UTC, ISO 8601)")
    params: int | None
    size_bytes: int
    composite: float | None = Field(description="validation composite after calibration")
    harness_composite: float | None = Field(
        description="temporal hold-out composite, once /evaluate has run on this checkpoint")
    sha256: str = Field(description="hash of the checkpoint's files")
    error: str | None = Field(default=None, description="why the model cannot be loaded")


class ModelsResponse(BaseModel):
    default: str | None
    models: list[ModelInfo]


class SyntheticData(_Strict):
    days: int = Field(default=60, ge=1, le=1460)
    seed: int = Field(default=42, ge=0)
    personas: int = Field(default=1, ge=1, le=16)


class TrainRequest(_Strict):
    name: str = Field(pattern=MODEL_NAME, description="the new model's name (a new folder)")
    data: str | None = Field(default=None, description="JSON Lines file on the server; "
                                                        "synthetic data when absent")
    synthetic: SyntheticData = Field(default_factory=SyntheticData)
    seed: int = Field(default=0, ge=0)
    epochs: int = Field(default=30, ge=1, le=200)
    layers: int = Field(default=2, ge=1, le=8, description="transformer layers")
    width: int = Field(default=256, ge=16, le=1024, multiple_of=16, description="model width")
    time_budget_s: float | None = Field(default=None, gt=0, le=86_400)

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"name": "oracle-60d", "synthetic": {"days": 60, "seed": 42},
                      "epochs": 3, "layers": 2, "width": 256}]})


class TrainJob(BaseModel):
    id: str
    name: str
    state: Literal["queued", "running", "succeeded", "failed"]
    progress: float = Field(description="0 to 1")
    message: str = ""
    created: str
    result: dict[str, Any] | None = None


class EvaluateRequest(_Strict):
    model: str = Field(pattern=MODEL_NAME)

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"model": "oracle"}]})


class EvaluateResponse(BaseModel):
    model: str
    sha256: str
    cached: bool
    report: dict[str, Any]


class ScenarioInfo(BaseModel):
    name: str
    description: str
    events: list[dict[str, Any]]
    candidates: list[dict[str, Any]]


class CompareSide(BaseModel):
    model: str
    composite: float | None = Field(description="validation composite after calibration")
    harness_composite: float | None = Field(
        description="temporal hold-out composite, once /evaluate has run on this checkpoint")
    prediction: PredictResponse


class CompareResponse(BaseModel):
    scenario: str
    description: str
    a: CompareSide
    b: CompareSide
    composite_diff: float | None = Field(
        description="validation composite of a minus that of b")


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    models: int
    predictions: int = Field(description="windows predicted since start")
    batches: int = Field(description="forward passes they took (fewer: micro-batching)")
