"""Every HTTP route. Torch work runs on the state's single torch thread (through the
micro-batcher for /predict, /rank and /route); the event loop only parses and answers."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ValidationError

from augur import __version__
from augur.events.vocab import LANES
from augur.oracle.predictor import Prediction
from augur.oracle.scenarios import NAMES, scenario
from augur.service.deps import require_token, state_of
from augur.service.schemas import (
    MODEL_NAME,
    ActionProb,
    ArtifactScore,
    CompareResponse,
    CompareSide,
    EvaluateRequest,
    EvaluateResponse,
    Health,
    ModelInfo,
    ModelsResponse,
    PredictRequest,
    PredictResponse,
    RankRequest,
    RankResponse,
    RouteResponse,
    ScenarioInfo,
    TrainJob,
    TrainRequest,
    WindowRequest,
)
from augur.service.state import Served, State, Window

router = APIRouter()
ScenarioName = Literal[NAMES]  # type: ignore[valid-type]
_ERRORS = {404: {"description": "unknown model; the answer lists the available ones"},
           413: {"description": "request body over the size limit"},
           503: {"description": "the model's checkpoint cannot be loaded"}}


_state = state_of


async def _served(state: State, name: str | None) -> Served:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(state.executor, state.served, name)


async def _predict(state: State, req: WindowRequest, candidates, top_k: int,
                   head: str | None = None) -> tuple[Served, Prediction]:
    served = await _served(state, req.model)
    if head is not None and head not in served.oracle.heads:
        raise HTTPException(409, f"model {served.name!r} has no trained {head} head: its "
                                 f"training data had no labels for it (an imported log); "
                                 "ask a model trained on synthetic data, or /predict for "
                                 "what this one does predict")
    pred = await served.batcher.submit(Window(req.events, candidates, top_k))
    return served, pred


# The three prediction routes are the hot path: they parse the body with pydantic's
# JSON parser in one step and write the answer with model_dump_json, skipping
# FastAPI's generic validation and encoding (a third of the per-request time). The
# OpenAPI document still describes both bodies (see app.openapi_with_bodies).
def _body(model: type[BaseModel]) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


async def _parse(request: Request, model: type[BaseModel]):
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:  # the same 422 shape as FastAPI's own validation
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])}
                                      for e in exc.errors(include_url=False)]) from None


def _json(body: BaseModel) -> Response:
    return Response(body.model_dump_json(), media_type="application/json")


_HOT = {422: {"description": "a malformed request; `detail[].loc` names the field"}}


def _response(name: str, p: Prediction) -> PredictResponse:
    return PredictResponse(
        model=name, next_actions=[ActionProb(action=a, prob=v) for a, v in p.next_actions],
        lanes=p.lanes, proactive_prob=p.proactive_prob, proactive=p.proactive,
        delay_min=p.delay_min, artifacts=None if p.artifacts is None else
        [ArtifactScore(id=i, score=s) for i, s in p.artifacts])


@router.post("/predict", response_model=PredictResponse, responses={**_ERRORS, **_HOT},
             tags=["predict"], openapi_extra=_body(PredictRequest))
async def predict(request: Request) -> Response:
    """Next actions with probabilities, response lanes, proactive probability and
    decision, delay, and the candidates ranked, after the last event of the window."""
    req = await _parse(request, PredictRequest)
    served, p = await _predict(_state(request), req, req.candidates, req.top_k)
    return _json(_response(served.name, p))


_NO_HEAD = {409: {"description": "the model has no trained head for this route (trained "
                                 "on an imported log without its labels)"}}


@router.post("/rank", response_model=RankResponse, responses={**_ERRORS, **_HOT, **_NO_HEAD},
             tags=["predict"], openapi_extra=_body(RankRequest))
async def rank(request: Request) -> Response:
    """The candidate artifacts ranked by how likely the next action touches them."""
    req = await _parse(request, RankRequest)
    served, p = await _predict(_state(request), req, req.candidates, 1, head="relevance")
    return _json(RankResponse(model=served.name,
                              artifacts=[ArtifactScore(id=i, score=s) for i, s in p.artifacts]))


@router.post("/route", response_model=RouteResponse, responses={**_ERRORS, **_HOT, **_NO_HEAD},
             tags=["predict"], openapi_extra=_body(WindowRequest))
async def route(request: Request) -> Response:
    """The response lane (ask, suggest, draft, act, escalate) with its probabilities."""
    req = await _parse(request, WindowRequest)
    served, p = await _predict(_state(request), req, None, 1, head="routing")
    return _json(RouteResponse(model=served.name, lane=max(LANES, key=p.lanes.get),
                               lanes=p.lanes))


@router.post("/train", status_code=202, response_model=TrainJob, tags=["models"],
             dependencies=[Depends(require_token)],
             responses={409: {"description": "a job is running, or the name is taken"}})
async def start_training(req: TrainRequest, request: Request) -> TrainJob:
    """Start a training job in the background; poll GET /train/{id}. One job at a time."""
    return _state(request).jobs.start(req)


@router.get("/train/{job_id}", response_model=TrainJob, tags=["models"],
            responses={404: {"description": "unknown job"}})
async def training_status(job_id: str, request: Request) -> TrainJob:
    """State, progress (0 to 1), a message and, when done, the result."""
    return _state(request).jobs.get(job_id)


@router.post("/evaluate", response_model=EvaluateResponse, responses=_ERRORS, tags=["models"],
             dependencies=[Depends(require_token)])
async def evaluate(req: EvaluateRequest, request: Request) -> EvaluateResponse:
    """The frozen harness report for a registered model, cached by checkpoint hash
    (the first call takes tens of seconds; later ones return at once)."""
    state = _state(request)
    entry = state.registry.entry(req.model)
    served = await _served(state, entry.name)  # fails fast on an unloadable checkpoint

    def run():
        from augur.oracle.predictor import Oracle, OraclePredictor
        from augur.scorecard import build_report

        # A private copy: the harness must not share a featurizer cache with live traffic.
        return build_report(OraclePredictor(Oracle.load(served.oracle.path)), None, None,
                            progress=False)

    report, cached = await asyncio.to_thread(state.evals.get_or_run, entry.sha256, run)
    return EvaluateResponse(model=entry.name, sha256=entry.sha256, cached=cached, report=report)


@router.get("/models", response_model=ModelsResponse, tags=["models"])
async def models(request: Request) -> ModelsResponse:
    """Every registered checkpoint, newest first; new ones appear without a restart."""
    state = _state(request)
    entries = state.registry.scan()
    return ModelsResponse(default=state.registry.default(), models=[
        ModelInfo(name=e.name, created=e.created, params=e.params, size_bytes=e.size_bytes,
                  composite=e.composite, harness_composite=state.harness_composite(e.sha256),
                  sha256=e.sha256, error=e.error) for e in entries])


@router.get("/api/scenarios", response_model=list[ScenarioInfo], tags=["playground"])
async def scenarios() -> list[ScenarioInfo]:
    """The six named scenarios with their events and candidates (editable in the
    playground, then sent to /predict)."""
    out = []
    for name in NAMES:
        events, cands, description = scenario(name)
        out.append(ScenarioInfo(name=name, description=description,
                                events=[e.to_dict() for e in events],
                                candidates=[c.model_dump(exclude_none=True) for c in cands]))
    return out


@router.get("/api/compare", response_model=CompareResponse, responses=_ERRORS,
            tags=["playground"])
async def compare(request: Request,
                  scenario_name: Annotated[ScenarioName, Query(alias="scenario")],
                  a: Annotated[str, Query(pattern=MODEL_NAME)],
                  b: Annotated[str, Query(pattern=MODEL_NAME)]) -> CompareResponse:
    """Two models side by side on one named scenario."""
    state = _state(request)
    events, cands, description = scenario(scenario_name)
    sides = []
    for name in (a, b):
        entry = state.registry.entry(name)
        served = await _served(state, name)
        p = await served.batcher.submit(Window(events, cands, 5))
        harness = state.harness_composite(entry.sha256)
        sides.append(CompareSide(model=name, composite=entry.composite,
                                 harness_composite=harness, prediction=_response(name, p)))
    diff = (None if sides[0].composite is None or sides[1].composite is None
            else sides[0].composite - sides[1].composite)
    return CompareResponse(scenario=scenario_name, description=description, a=sides[0],
                           b=sides[1], composite_diff=diff)


@router.get("/playground", include_in_schema=False)
async def playground() -> FileResponse:
    from augur.service.app import STATIC

    return FileResponse(STATIC / "playground.html")


@router.get("/healthz", response_model=Health, tags=["service"])
async def healthz(request: Request) -> Health:
    state = _state(request)
    return Health(status="ok", version=__version__, models=len(state.registry.scan(1.0)),
                  predictions=sum(s.batcher.items for s in state.all_served()),
                  batches=sum(s.batcher.batches for s in state.all_served()))
