"""What the LLM tests ask every backend: a short chat, and a small structured answer."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator


class Tip(BaseModel):
    tip: str = Field(max_length=160)  # bounds the grammar's string, so max_tokens suffices
    minutes: int


class Rating(BaseModel):
    """Bounded integers: llama.cpp's schema converter alone would let any integer through."""

    usefulness: int = Field(ge=1, le=5)
    minutes: int = Field(gt=0, lt=61)


class Unsatisfiable(Tip):
    """Valid JSON for its schema never validates: the check is beyond what a schema says."""

    @field_validator("minutes")
    @classmethod
    def never(cls, value: int) -> int:
        raise ValueError("no number of minutes is accepted")


# One worked example in the conversation: SmolLM2-135M follows it without a grammar
# (an instruction alone gets prose back), so the transformers backend can pass too.
TIP_MESSAGES = [
    {"role": "system", "content": 'Answer only with JSON like {"tip": "...", "minutes": 5}.'},
    {"role": "user", "content": "Give me one tip for email."},
    {"role": "assistant", "content": '{"tip": "Answer the oldest email first.", "minutes": 10}'},
    {"role": "user", "content": "Give me one tip for focusing at work."},
]
RATING_MESSAGES = [
    {"role": "system", "content": "Rate the tip's usefulness and the minutes it takes, as JSON."},
    {"role": "user", "content": "Tip: take a ten-minute walk after lunch."},
]
HELLO = [{"role": "user", "content": "Say hello in five words."}]
