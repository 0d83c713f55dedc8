"""The FastAPI app: `create_app(ServiceConfig)`. Routes live in routes*.py; this file
wires state, lifespan, limits and the error-to-status mapping."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from augur import __version__
from augur.oracle.checkpoint import CheckpointError
from augur.service.config import ServiceConfig
from augur.service.jobs import BadTrainRequest, JobConflict, UnknownJob
from augur.service.limits import BodyLimit
from augur.service.registry import BrokenModel, UnknownModel
from augur.service.routes import router
from augur.service.routes_annotate import page_router as annotate_page
from augur.service.routes_annotate import router as annotate_router
from augur.service.routes_forecast import page_router as forecast_page
from augur.service.routes_forecast import router as forecast_router
from augur.service.routes_generate import router as generate_router
from augur.service.routes_memory import page_router as memory_page
from augur.service.routes_memory import router as memory_router
from augur.service.state import State

STATIC = Path(__file__).parent / "static"


def create_app(cfg: ServiceConfig | None = None) -> FastAPI:
    cfg = cfg or ServiceConfig.from_env()
    cfg.check()
    state = State(cfg)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if state.closed:  # the same app started again (tests, schemathesis)
            state.open()
        entries = state.registry.scan()
        default = state.registry.default()
        if default is not None and not any(e.name == default and e.error for e in entries):
            # Warm the default model so the first request is not the slow one; a failure
            # is reported by /models and by the requests that name the model.
            with contextlib.suppress(UnknownModel, BrokenModel):
                await asyncio.get_running_loop().run_in_executor(
                    state.executor, state.served, default)
        if cfg.warm_tasks and cfg.memory_exists:
            # In the background, on the task models' thread: neither startup nor /memory
            # queries wait for it. A failure is logged, never raised here.
            state.memory.tasks_thread.submit(state.memory.warm_tasks)
        if cfg.gc_freeze:
            # Everything loaded so far lives as long as the server: move it out of the
            # collector's sight, so full collections under load take milliseconds, not 100.
            gc.collect()
            gc.freeze()
        yield
        await state.close()

    app = FastAPI(title="augur", version=__version__, lifespan=lifespan,
                  description="The small-model brain of a proactive assistant: next action, "
                              "timing, response lane, whether to interrupt, which artifacts "
                              "matter. Open /playground to compare models side by side.")
    app.state.augur = state
    app.include_router(router)
    app.include_router(memory_router)
    app.include_router(memory_page)
    app.include_router(annotate_router)
    app.include_router(annotate_page)
    app.include_router(generate_router)
    app.include_router(forecast_router)
    app.include_router(forecast_page)
    app.openapi = lambda: openapi_with_bodies(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _handlers(app)
    app.add_middleware(BodyLimit, max_bytes=cfg.max_body_bytes)
    return app


def openapi_with_bodies(app: FastAPI) -> dict:
    """FastAPI's OpenAPI document plus the request bodies that the hot routes parse
    themselves (they reference them by name; see routes._body)."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        from augur.service.schemas import PredictRequest, RankRequest, WindowRequest

        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for model in (PredictRequest, RankRequest, WindowRequest):
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas.setdefault(name, sub)
            schemas[model.__name__] = schema
        app.openapi_schema = doc
    return app.openapi_schema


def _error(status: int, detail, **extra) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)


# Each error the service's own code raises, and the status it answers with.
_STATUS = {UnknownModel: 404, UnknownJob: 404, JobConflict: 409, BrokenModel: 503,
           CheckpointError: 503}


def _handlers(app: FastAPI) -> None:
    async def known(_: Request, exc: Exception):
        extra = {"available": exc.available} if isinstance(exc, UnknownModel) else {}
        status = next(code for t, code in _STATUS.items() if isinstance(exc, t))
        return _error(status, str(exc), **extra)

    for exc_type in _STATUS:
        app.add_exception_handler(exc_type, known)

    @app.exception_handler(BadTrainRequest)
    async def bad_train(_: Request, exc: BadTrainRequest):
        return _error(422, [{"loc": ["body", *exc.field.split(".")], "msg": str(exc),
                             "type": "value_error"}])

    @app.exception_handler(ValueError)
    async def bad_value(_: Request, exc: ValueError):
        return _error(422, [{"loc": ["body"], "msg": str(exc), "type": "value_error"}])
