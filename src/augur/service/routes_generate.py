"""/generate: one output of a REM small-model task, from the task's served model or one
the request names.

    POST /generate {"task": "query", "input": "emails from Ana last week"}
        -> {task, output, text, model, latency_ms, prompt_tokens, completion_tokens}

Tasks come from augur.memory.tasks.serve.TASKS: task 1, "query" (a request in words ->
a REM query), task 2, "edges" ({source, candidates} -> one scored, typed edge per
candidate), and task 3, "moments" (a timestamped transcript -> its moments). Models are
built the first time they are named (an LLM takes seconds to load) and kept by name;
they build and answer on the task models' own thread, so an LLM's seconds queue other
/generate calls, never /memory queries. The route can load a model file the request
names and burn seconds of CPU per call, so it needs the bearer token whenever one is
configured, as /train and /evaluate do.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from augur.service.deps import require_token
from augur.service.routes_memory import on_tasks, task_model

router = APIRouter(tags=["memory"])


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: str = Field(min_length=1, max_length=64, description="the task: 'query' (a request "
                      "in words -> a REM query or a refusal), 'edges' (a new resource and "
                      "candidates -> an edge per candidate) or 'moments' (a timestamped "
                      "transcript -> its moments)", examples=["query"])
    input: str | dict[str, Any] = Field(description="the task's input: for 'query', the "
                                        "request in words (1 to 2,000 characters); for "
                                        "'edges', {source, candidates: 1 to 100}, each "
                                        "{id, kind, name, content, created_at}; for "
                                        "'moments', 'YYYY-MM-DD HH:MM speaker: text' lines "
                                        "(at most 200,000 characters) or {lines: [{ts, "
                                        "speaker, text}]} (at most 5,000)",
                                        examples=["emails from Ana about the outage"])
    max_tokens: int = Field(default=256, ge=1, le=2048,
                            description="the most tokens an LLM model may write (other "
                                        "models ignore it)")
    model: str | None = Field(default=None, max_length=500, description="default: the "
                              "task's served model. For 'query': fast, retrieval, "
                              "search-all, llamacpp (SmolLM2-135M), llamacpp:FILE.gguf or "
                              "FILE.gguf; for 'edges': scorer (default), cosine, time, none; "
                              "for 'moments': trained (default), tiling, fixed, one")


class GenerateResponse(BaseModel):
    task: str
    output: Any = Field(description="the task's validated output, as JSON")
    text: str = Field(description="what the model wrote (an LLM) or a short trace")
    model: str
    latency_ms: float
    prompt_tokens: int | None = Field(description="null when the model does not count them")
    completion_tokens: int | None = Field(description="null when the model does not count "
                                                      "them (not an LLM)")


_ERRORS = {401: {"description": "a token is configured and the request has not got it"},
           422: {"description": "a malformed body, an unknown task or model, an input the "
                                "task does not take (`detail[].loc` names the field), or a "
                                "model answer that is not a valid output (`detail` says why, "
                                "`text` is what the model wrote)"},
           503: {"description": "the memory or the task's data cannot be opened"}}


def _invalid(field: str, e: Exception) -> HTTPException:
    return HTTPException(422, [{"loc": ["body", field], "type": "value_error", "msg": str(e)}])


@router.post("/generate", response_model=GenerateResponse, responses=_ERRORS,
             dependencies=[Depends(require_token)])
async def generate(body: GenerateRequest, request: Request):
    """One output of a REM task: the task's served model unless `model` names another."""
    from augur.memory.tasks.serve import TaskRequestError, check_input, model_name

    try:
        value = check_input(body.task, body.input)
        model_name(body.task, body.model)  # 422 naming `model` before anything is built
    except TaskRequestError as e:
        raise _invalid(e.field, e) from None
    model = await task_model(request, body.task, body.model)

    def run(_):
        if hasattr(model, "max_tokens"):  # an LLM; its calls are serialised on this thread
            model.max_tokens = body.max_tokens
        return model.predict(value)

    pred = await on_tasks(request, run)
    if not pred.valid:
        return JSONResponse({"detail": f"model {model.name!r} gave no valid {body.task!r} "
                                       f"output: {pred.error}", "text": pred.text,
                             "model": model.name}, status_code=422)
    return {"task": body.task, "output": pred.output.model_dump(mode="json"),
            "text": pred.text, "model": model.name, "latency_ms": round(pred.latency_ms, 3),
            "prompt_tokens": pred.extra.get("prompt_tokens"),
            "completion_tokens": pred.extra.get("completion_tokens")}
