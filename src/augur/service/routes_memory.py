"""/memory: query a person's REM memory, add resources, read one back.

Queries run on the memory's own thread; a query that does not parse or that the
SQL sandbox refuses answers 400 naming the token or field; a malformed body 422.
Adding resources changes state, so it needs the bearer token whenever one is
configured (always, off loopback).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from augur.memory.model import MemoryBatch, Resource
from augur.memory.query import QueryError, RemQuery
from augur.memory.sandbox import SandboxError
from augur.memory.store.base import StoreError
from augur.service.deps import require_token, state_of

router = APIRouter(prefix="/memory", tags=["memory"])
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


class AddResourcesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resources: list[Resource] = Field(min_length=1, max_length=1000)


class AddResourcesResponse(BaseModel):
    added: dict[str, int]
    updated: dict[str, int]
    embedded: int


async def _on_memory(request: Request, fn):
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
    if body.now is not None and body.now.tzinfo is None:
        raise HTTPException(422, [{"loc": ["body", "now"], "type": "value_error",
                                   "msg": "expected a timestamp with a UTC offset"}])
    return await _on_memory(request, lambda ex: ex.run(body.query, now=body.now).to_json())


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

    return await _on_memory(request, add)


@router.get("/resources/{resource_id}", responses={404: {"description": "no such resource"}})
async def get_resource(resource_id: str, request: Request) -> dict:
    """One resource by id."""
    from augur.memory.executor import jsonable

    row = await _on_memory(request, lambda ex: ex.store.get("resources", resource_id))
    if row is None:
        raise HTTPException(404, f"no resource {resource_id!r} in the memory; "
                                 "POST /memory/query with LOOKUP or SEARCH to find one")
    return jsonable(row)


@router.get("/stats")
async def memory_stats(request: Request) -> dict[str, int]:
    """Records per table."""
    return await _on_memory(request, lambda ex: ex.store.stats())


page_router = APIRouter()


@page_router.get("/playground/memory", include_in_schema=False)
async def memory_page() -> FileResponse:
    """The playground's memory page: a query box over POST /memory/query."""
    return FileResponse(Path(__file__).parent / "static" / "memory.html")
