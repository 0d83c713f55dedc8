"""Task 1's output schema: the dialect's typed queries plus a refusal, told apart by
`query_type`. It validates every model's answer and gives an LLM its grammar, and
`answer_text` is the canonical text the metrics compare and execute."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from augur.memory.query import FuzzyQuery, LookupQuery, SearchQuery, SqlQuery, TraverseQuery


class Refusal(BaseModel):
    """No REM operation can serve the request (it asks to act, or about the world)."""

    model_config = ConfigDict(extra="forbid")
    query_type: Literal["REFUSE"] = "REFUSE"
    reason: str = Field(default="", max_length=200)


class QueryAnswer(RootModel):
    root: Annotated[LookupQuery | SearchQuery | FuzzyQuery | TraverseQuery | SqlQuery | Refusal,
                    Field(discriminator="query_type")]


def answer_text(answer: QueryAnswer | Any) -> str | None:
    """Canonical REM text of an answer; None for a refusal."""
    q = answer.root if isinstance(answer, QueryAnswer) else answer
    return None if q.query_type == "REFUSE" else q.to_text()
