"""One labelled task-1 example: a request in words and the REM query that serves it.

Stored one per line (JSON) in the task's data files. `query` is the canonical text
of the gold query (augur.memory.dialect parses it back to the same typed query), or
null when no operation can serve the request and the right answer is a refusal.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Op = Literal["LOOKUP", "SEARCH", "FUZZY", "TRAVERSE", "SQL", "REFUSE"]
Split = Literal["train", "val", "test", "handwritten"]


class QueryExample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    text: str = Field(min_length=1, max_length=500)  # the request as a person says it
    query: str | None  # canonical REM text of the gold query; None: refuse
    op: Op
    split: Split
    template: str = ""  # which template made it ("" for hand-written)
    tags: list[str] = Field(default_factory=list)  # e.g. "relative-time", "misspelt",
    # "ambiguous", "multi-step": what the request exercises

    @model_validator(mode="after")
    def _consistent(self) -> QueryExample:
        from augur.memory.dialect import parse

        if self.op == "REFUSE":
            if self.query is not None:
                raise ValueError(f"{self.id}: op REFUSE needs query null, got {self.query!r}")
            return self
        if self.query is None:
            raise ValueError(f"{self.id}: op {self.op} needs a query, got null")
        q = parse(self.query)  # QueryError names what is wrong
        if q.query_type != self.op:
            raise ValueError(f"{self.id}: op {self.op} but the query is a {q.query_type}")
        if q.to_text() != self.query:
            raise ValueError(f"{self.id}: query is not in canonical form; expected "
                             f"{q.to_text()!r}, got {self.query!r}")
        return self
