"""/memory: query a person's REM memory, ask it in words, add resources, read one back.

Queries run on the memory's own thread; a query that does not parse or that the
SQL sandbox refuses answers 400 naming the token or field; a malformed body 422.
/memory/ask turns words into a query with REM task 1's served model (tasks/serve.py;
built on the task models' thread, it answers on the memory's, beside the query it
makes); a text it cannot turn into a query, or a query it made that cannot run,
answers 422 naming what it made and why.
Adding resources changes state, so it needs the bearer token whenever one is
configured (always, off loopback). Asking reads, like querying, and costs about as
much (one MiniLM embedding and the query), so neither needs it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from augur.errors import AugurError
from augur.memory.model import MemoryBatch, Resource
from augur.memory.query import QueryError, RemQuery
from augur.memory.sandbox import SandboxError
from augur.memory.store.base import StoreError
from augur.memory.tasks.harness.query_schema import answer_text
from augur.memory.tasks.serve import MAX_INPUT_CHARS
from augur.service.deps import require_token, state_of

router = APIRouter(prefix="/memory", tags=["memory"])
NOW_YEARS = (1900, 9000)  # the `now` a request may give
_BAD = {400: {"description": "the query does not parse, does not type-check, or the SQL "
                             "sandbox refused it; `detail` says where and why"},
        503: {"description": "the memory store cannot be opened"}}


class MemoryQueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str | RemQuery | dict[str, Any] = Field(
        description="REM dialect text (LOOKUP, SEARCH, FUZZY, TRAVERSE, SELECT), the JSON "
                    "form {intent, query_type, parameters, explanation}, or a typed query",
        examples=['SEARCH "ci failure" IN resources LIMIT 5'])
    now: datetime | None = Field(default=None, description="reference time for relative "
                                 "dates (default: the newest record in the memory)")


class MemoryQueryResponse(BaseModel):
    query: str
    query_type: str
    parameters: dict[str, Any]
    columns: list[str]
    rows: list[dict[str, Any]]
    elapsed_ms: float


class MemoryAskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_INPUT_CHARS,
                      description="a request about the memory, in words",
                      examples=["what did Ana write about the payments outage last week?"])
    now: datetime | None = Field(default=None, description="reference time for relative "
                                 "dates (default: the newest record in the memory)")


class MemoryAskResponse(BaseModel):
    text: str
    query: str | None = Field(description="the REM query the request became, in canonical "
                                          "text; null for a refusal")
    query_type: str = Field(description="LOOKUP, SEARCH, FUZZY, TRAVERSE, SQL or REFUSE")
    parameters: dict[str, Any]
    refused: bool = Field(description="no REM operation serves the request (it asks to act, "
                                      "or about the world): no query ran")
    columns: list[str]
    rows: list[dict[str, Any]]
    model: str
    generate_ms: float = Field(description="turning the text into the query")
    execute_ms: float = Field(description="running the query")
    elapsed_ms: float = Field(description="the whole request in the service")


class AddResourcesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resources: list[Resource] = Field(min_length=1, max_length=1000)


class AddResourcesResponse(BaseModel):
    added: dict[str, int]
    updated: dict[str, int]
    embedded: int


async def on_tasks(request: Request, fn):
    """fn(the task server) on the task models' thread: 422 naming the field for a task,
    model or input that cannot be served, 503 when the memory, the task's data or the
    embedder cannot be opened."""
    from augur.memory.tasks.serve import TaskRequestError

    memory = state_of(request).memory
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(memory.tasks_thread, lambda: fn(memory.tasks()))
    except TaskRequestError as e:
        raise HTTPException(422, [{"loc": ["body", e.field], "type": "value_error",
                                   "msg": str(e)}]) from None
    except AugurError as e:
        raise HTTPException(503, f"the task models cannot be built: {e}") from None


async def task_model(request: Request, task: str, name: str | None = None):
    """A REM task's model over the served memory, built the first time it is named."""
    return await on_tasks(request, lambda tasks: tasks.model(task, name))


def _check_now(now: datetime | None) -> None:
    if now is not None and now.tzinfo is None:
        raise HTTPException(422, [{"loc": ["body", "now"], "type": "value_error",
                                   "msg": "expected a timestamp with a UTC offset"}])
    # Relative periods reach up to 999 months back and a month ahead of `now`: a year
    # near the calendar's ends would overflow while the query runs.
    if now is not None and not NOW_YEARS[0] <= now.year <= NOW_YEARS[1]:
        raise HTTPException(422, [{"loc": ["body", "now"], "type": "value_error",
                                   "msg": f"expected a time between the years {NOW_YEARS[0]} "
                                          f"and {NOW_YEARS[1]}, got {now.isoformat()}"}])


async def on_memory(request: Request, fn):
    memory = state_of(request).memory
    loop = asyncio.get_running_loop()

    def run():
        return fn(memory.executor())

    try:
        return await loop.run_in_executor(memory.thread, run)
    except (QueryError, SandboxError) as e:
        raise HTTPException(400, str(e)) from None
    except StoreError as e:  # not opened yet: the store itself is missing or broken
        raise HTTPException(503 if memory.opened is False else 400, str(e)) from None


@router.post("/query", response_model=MemoryQueryResponse, responses=_BAD)
async def memory_query(body: MemoryQueryRequest, request: Request) -> dict:
    """Run one REM query; rows come with their score parts for SEARCH."""
    _check_now(body.now)
    return await on_memory(request, lambda ex: ex.run(body.query, now=body.now).to_json())


_ASK = {422: {"description": "a malformed body (`detail[].loc` names the field), or the "
                            "model could not turn the text into a query that runs: `detail` "
                            "says why, `query` is what it made (null when nothing valid)"},
        503: {"description": "the memory store, or the model the route serves, cannot be "
                             "opened or built; `detail` says why"}}


@router.post("/ask", response_model=MemoryAskResponse, responses=_ASK)
async def memory_ask(body: MemoryAskRequest, request: Request):
    """A request in words: task 1's served model turns it into a REM query (or a refusal),
    which runs on the memory. The model is built on first use (seconds; `augur serve`
    builds it at startup), then answers in tens of milliseconds."""
    _check_now(body.now)
    t0 = time.perf_counter()
    text = body.text.strip()
    if not text:
        raise HTTPException(422, [{"loc": ["body", "text"], "type": "value_error",
                                   "msg": "expected a request in words, got only spaces"}])

    model = await task_model(request, "query")

    def ask(ex):  # (prediction, result or None, the error the query ran into or None)
        pred = model.predict(text)
        if not pred.valid or pred.output.root.query_type == "REFUSE":
            return pred, None, None
        try:
            return pred, ex.run(pred.output.root, now=body.now), None
        except (QueryError, SandboxError, StoreError) as e:
            return pred, None, e

    pred, result, failed = await on_memory(request, ask)
    name = model.name
    generated = answer_text(pred.output) if pred.valid else None
    if not pred.valid or failed is not None:
        what = (f"could not turn the request into a valid query ({pred.error})"
                if not pred.valid else f"turned the request into `{generated}`, which "
                f"failed: {failed}")
        return JSONResponse({"detail": f"model {name!r} {what}; rephrase the request, or "
                                       "POST /memory/query with a query of your own",
                             "query": generated, "model": name}, status_code=422)
    q = pred.output.root
    refused = q.query_type == "REFUSE"
    out = result.to_json() if result is not None else {
        "parameters": {"reason": q.reason} if q.reason else {}, "columns": [], "rows": []}
    return {"text": body.text, "query": generated, "query_type": q.query_type,
            "parameters": out["parameters"], "refused": refused, "columns": out["columns"],
            "rows": out["rows"], "model": name, "generate_ms": round(pred.latency_ms, 3),
            "execute_ms": 0.0 if result is None else round(result.elapsed_ms, 3),
            "elapsed_ms": round((time.perf_counter() - t0) * 1000, 3)}


@router.post("/resources", response_model=AddResourcesResponse, responses=_BAD,
             dependencies=[Depends(require_token)])
async def add_resources(body: AddResourcesRequest, request: Request) -> dict:
    """Add or update resources (by id) in one transaction, embedded for SEARCH."""
    from augur.memory.ingest import ingest

    def add(ex):
        report = ingest(ex.store, MemoryBatch(resources=body.resources), ex.embedder,
                        source="api")
        return {"added": report.result.added, "updated": report.result.updated,
                "embedded": report.embedded}

    out = await on_memory(request, add)
    state_of(request).memory.changed()
    return out


@router.get("/resources/{resource_id}", responses={404: {"description": "no such resource"}})
async def get_resource(resource_id: str, request: Request) -> dict:
    """One resource by id."""
    from augur.memory.executor import jsonable

    row = await on_memory(request, lambda ex: ex.store.get("resources", resource_id))
    if row is None:
        raise HTTPException(404, f"no resource {resource_id!r} in the memory; "
                                 "POST /memory/query with LOOKUP or SEARCH to find one")
    return jsonable(row)


@router.get("/stats")
async def memory_stats(request: Request) -> dict[str, int]:
    """Records per table."""
    return await on_memory(request, lambda ex: ex.store.stats())


page_router = APIRouter()


@page_router.get("/playground/memory", include_in_schema=False)
async def memory_page() -> FileResponse:
    """The playground's memory page: a query box over POST /memory/query."""
    return FileResponse(Path(__file__).parent / "static" / "memory.html")
