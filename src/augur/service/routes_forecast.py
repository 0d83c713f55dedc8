"""/forecast: a forecaster's probabilities for each candidate outcome of a case (the
playground's forecast page, /playground/forecast).

    POST /forecast {"case": {...a Case...}, "forecaster": "embedding"}
        -> {forecaster, case_id, latency_ms, levels: [{depth, date, actual, candidates:
            [{text, probability, label, p_true, kind}]}]}
    GET /forecast/example?source=world&i=0 -> {source, split, i, count, case}

Forecasters are fitted once per process on the forecast harness's world train split, the
first time they are named, on a worker thread (the event loop keeps answering) and under
a lock (two first requests fit once). "llm" is not served: it takes seconds per case;
`augur forecast evaluate` runs it. Fitting and predicting burn CPU, so POST /forecast
needs the bearer token whenever one is configured, as /generate does.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from augur.errors import AugurError
from augur.service.deps import require_token

router = APIRouter(tags=["forecast"])
SERVED = ("embedding", "base-rate", "uniform", "market")
TRAIN = ("world", "train")  # what every served forecaster is fitted on
EXAMPLE_SPLIT = "test"

_fitted: dict[str, Any] = {}
_fit_lock = threading.Lock()


class ForecastRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case: dict[str, Any] = Field(description="a forecast case: {id, source, seed: {text, "
                                 "date}, levels: [{depth, candidates: [{text, label, "
                                 "p_true?, kind?, market?}]}]} (see augur.forecast.case)")
    forecaster: str = Field(default="embedding", max_length=64,
                            description=f"one of {', '.join(SERVED)} (fitted on the world "
                                        "train split the first time it is named)",
                            examples=["base-rate"])


class ForecastCandidate(BaseModel):
    text: str
    probability: float = Field(description="the forecaster's probability (a level sums to 1)")
    label: Literal[0, 1] = Field(description="1 for the outcome that happened")
    p_true: float | None = Field(description="the generator's own probability (synthetic "
                                             "cases), else null")
    kind: str | None = None


class ForecastLevel(BaseModel):
    depth: int
    date: str | None
    actual: int = Field(description="index of the candidate that happened")
    candidates: list[ForecastCandidate]


class ForecastResponse(BaseModel):
    forecaster: str
    case_id: str
    latency_ms: float = Field(description="predicting only, without the first fit")
    levels: list[ForecastLevel]


class ForecastExample(BaseModel):
    source: str
    split: str
    i: int
    count: int = Field(description="cases in the split (i runs from 0 to count - 1)")
    case: dict[str, Any]


def fitted(name: str):
    """Blocking: the served forecaster `name`, fitted on TRAIN the first time."""
    with _fit_lock:
        if name not in _fitted:
            from augur.forecast.harness.data import forecast_cases
            from augur.forecast.registry import make_forecaster

            _fitted[name] = make_forecaster(name, forecast_cases(*TRAIN))
        return _fitted[name]


def _predict(name: str, case) -> tuple[list[list[float]], float]:
    model = fitted(name)
    start = time.perf_counter()
    probs = model.predict(case)
    return probs, (time.perf_counter() - start) * 1000


def _unprocessable(field: str, msg: str) -> HTTPException:
    return HTTPException(422, [{"loc": ["body", field], "type": "value_error", "msg": msg}])


@router.post("/forecast", response_model=ForecastResponse,
             dependencies=[Depends(require_token)])
async def forecast(req: ForecastRequest) -> ForecastResponse:
    """A served forecaster's probability for each candidate of each level of the case."""
    from augur.forecast.case import Case, CaseError

    if req.forecaster not in SERVED:
        why = (" is not served (it takes seconds per case; run it with `augur forecast "
               "evaluate`)" if req.forecaster == "llm" else " is not a forecaster")
        raise _unprocessable("forecaster", f"{req.forecaster!r}{why}; expected one of "
                                           f"{', '.join(SERVED)}")
    try:
        case = Case.from_dict(req.case)
    except CaseError as e:
        raise _unprocessable("case", str(e)) from None
    try:
        probs, ms = await asyncio.to_thread(_predict, req.forecaster, case)
    except AugurError as e:
        raise HTTPException(503, f"forecaster {req.forecaster!r} cannot be built: {e}") from None
    levels = [ForecastLevel(depth=lv.depth, date=lv.date, actual=lv.actual, candidates=[
        ForecastCandidate(text=c.text, probability=p, label=c.label, p_true=c.p_true,
                          kind=c.kind) for c, p in zip(lv.candidates, ps, strict=True)])
        for lv, ps in zip(case.levels, probs, strict=True)]
    return ForecastResponse(forecaster=req.forecaster, case_id=case.id,
                            latency_ms=round(ms, 3), levels=levels)


@router.get("/forecast/example", response_model=ForecastExample)
async def forecast_example(source: Literal["world", "persona"] = "world",
                           i: int = Query(default=0, ge=0, description="the case's place in "
                                          "the split, from 0")) -> ForecastExample:
    """A case of the forecast harness's test split, to try the forecasters on."""
    from augur.forecast.harness.data import forecast_cases

    cases = await asyncio.to_thread(forecast_cases, source, EXAMPLE_SPLIT)
    if i >= len(cases):
        raise HTTPException(422, [{"loc": ["query", "i"], "type": "value_error",
                                   "msg": f"expected 0 to {len(cases) - 1} (the {source} "
                                          f"{EXAMPLE_SPLIT} split has {len(cases)} cases), "
                                          f"got {i}"}])
    return ForecastExample(source=source, split=EXAMPLE_SPLIT, i=i, count=len(cases),
                           case=cases[i].to_dict())


page_router = APIRouter()


@page_router.get("/playground/forecast", include_in_schema=False)
async def forecast_page() -> FileResponse:
    """The playground's forecast page over the routes above."""
    return FileResponse(Path(__file__).parent / "static" / "forecast.html")
