"""llama.cpp in process (llama-cpp-python) on a GGUF file; SmolLM2-135M by default.

    backend = LlamaCppBackend()             # stores parameters; nothing loads yet
    backend.generate(messages, 64, 0.0)     # loads on first use (size guard first)
    backend.close()                         # frees the model; the next generate reloads

With a json_schema, decoding is held to it by a GBNF grammar built from the schema
(LlamaGrammar.from_json_schema) and Generation.constrained is True. The grammar is
passed directly rather than as response_format={"type": "json_object", "schema": ...}:
on a schema it cannot convert, response_format silently falls back to "any JSON",
while from_json_schema raises, and we report it. That converter ignores integer
bounds (minimum/maximum), so small integer ranges are spelled out as enums first
(enumerate_int_ranges): a 1-5 score then cannot come out as 0.

`python -m augur.llm.llamacpp --model FILE.gguf --port 8080 ...` runs llama-cpp-python's
OpenAI-compatible server (same flags as `python -m llama_cpp.server`) with the fix below.

Extra weight buffers are off by default. llama.cpp repacks weights into "extra" CPU
buffer types when the CPU has them; on a Xeon with AMX (this project's CI machine, a
Firecracker VM) the AMX matmul segfaults on any batch of more than one token, i.e. on
every prompt (known upstream: llama.cpp issues #20824, PR #16315 on AMX Q4_0/Q4_1).
llama-cpp-python does not expose the switch (llama_model_params.use_extra_bufts), so
we set it in the default parameters while the model loads.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from augur.llm.backend import BackendError, Generation, Message, check_messages, check_size
from augur.llm.models import gguf_params, require_gguf, smollm2_gguf

MAX_ENUM = 256  # widest integer range spelled out as an enum for the grammar


def default_threads() -> int:
    """Half the cores (at least one): llama.cpp's own default for generation."""
    return max(1, (os.cpu_count() or 2) // 2)


class LlamaCppBackend:
    def __init__(self, model_path: Path | str | None = None, n_ctx: int = 2048,
                 n_threads: int | None = None, seed: int = 0, extra_buffers: bool = False):
        self.model_path = require_gguf(model_path if model_path is not None else smollm2_gguf())
        if n_ctx < 16:
            raise ValueError(f"n_ctx: expected at least 16 tokens, got {n_ctx}")
        if n_threads is not None and n_threads < 1:
            raise ValueError(f"n_threads: expected a positive integer or None, got {n_threads}")
        self.n_ctx = n_ctx
        # Half the cores, for prompt evaluation too (llama.cpp would use every core
        # there). Its threads spin-wait, so every core of a 2-core machine with anything
        # else running is ruinous: a 64-token answer took 56 s on 2 threads, 1.6 s on 1.
        self.n_threads = n_threads or default_threads()
        self.seed = seed
        self.extra_buffers = extra_buffers
        self.name = f"llamacpp:{self.model_path.stem}"
        self._llm: Any = None  # llama_cpp.Llama once loaded
        self._grammars: dict[str, Any] = {}  # schema JSON -> LlamaGrammar

    def load(self) -> LlamaCppBackend:
        """Load the model (idempotent); the size guard runs before any weights load."""
        if self._llm is None:
            check_size(gguf_params(self.model_path), str(self.model_path))
            from llama_cpp import Llama

            with contextlib.ExitStack() as stack:
                if not self.extra_buffers:
                    stack.enter_context(no_extra_buffers())
                try:
                    self._llm = Llama(model_path=str(self.model_path), n_ctx=self.n_ctx,
                                      n_threads=self.n_threads, n_threads_batch=self.n_threads,
                                      seed=self.seed, verbose=False)
                except ValueError as e:  # llama_cpp's "Failed to load model from file"
                    raise BackendError(f"model file {self.model_path}: llama.cpp could not "
                                       f"load it ({e}); is it a complete GGUF of a "
                                       "supported architecture?") from e
        return self

    def generate(self, messages: list[Message], max_tokens: int = 256,
                 temperature: float = 0.7, json_schema: dict[str, Any] | None = None,
                 seed: int | None = None) -> Generation:
        check_messages(messages)
        grammar = self._grammar(json_schema) if json_schema is not None else None
        llm = self.load()._llm
        start = time.perf_counter()
        try:
            out = llm.create_chat_completion(
                messages, max_tokens=max_tokens, temperature=temperature, grammar=grammar,
                seed=self.seed if seed is None else seed)
        except ValueError as e:  # llama_cpp: "Requested tokens (...) exceed context window"
            raise BackendError(f"{self.name}: {e}; shorten the messages, lower max_tokens "
                               f"or raise n_ctx (now {self.n_ctx})") from e
        latency = time.perf_counter() - start
        usage = out["usage"]
        return Generation(text=out["choices"][0]["message"]["content"] or "",
                          prompt_tokens=usage["prompt_tokens"],
                          completion_tokens=usage["completion_tokens"],
                          latency_s=latency, model=self.model_path.name,
                          constrained=grammar is not None)

    def _grammar(self, schema: dict[str, Any]) -> Any:
        # Converting a schema to GBNF costs milliseconds, but a lab run asks the same
        # schema hundreds of times; a LlamaGrammar is only text and can be reused.
        key = json.dumps(schema)  # unsorted: property order is the order the grammar writes
        if key not in self._grammars:
            from llama_cpp import LlamaGrammar

            try:
                self._grammars[key] = LlamaGrammar.from_json_schema(
                    json.dumps(enumerate_int_ranges(schema)), verbose=False)
            except Exception as e:  # the converter raises ValueError, KeyError, ...
                raise BackendError(f"json_schema: llama.cpp cannot turn it into a grammar "
                                   f"({type(e).__name__}: {e}); simplify the pydantic model "
                                   "(plain types, enums, nested models)") from e
        return self._grammars[key]

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()  # frees the context and the model now, not at the next gc
            self._llm = None
            gc.collect()

    def __enter__(self) -> LlamaCppBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def enumerate_int_ranges(schema: Any) -> Any:
    """The schema with every bounded integer of at most MAX_ENUM values as an enum.

    llama.cpp's JSON-schema-to-grammar converter (llama-cpp-python 0.3.x) drops
    minimum/maximum, so {"type": "integer", "minimum": 1, "maximum": 5} would let any
    integer through; {"enum": [1, 2, 3, 4, 5]} holds the grammar to the range. Wider
    ranges stay as they are, and pydantic still checks them afterwards.
    """
    if isinstance(schema, list):
        return [enumerate_int_ranges(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "integer" and "enum" not in schema:
        low = schema.get("minimum", _plus(schema.get("exclusiveMinimum"), 1))
        high = schema.get("maximum", _plus(schema.get("exclusiveMaximum"), -1))
        if isinstance(low, int | float) and isinstance(high, int | float):
            low, high = math.ceil(low), math.floor(high)
            if 0 <= high - low < MAX_ENUM:
                bounds = ("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
                rest = {k: v for k, v in schema.items() if k not in bounds}
                return {**rest, "enum": list(range(low, high + 1))}
    return {k: enumerate_int_ranges(v) for k, v in schema.items()}


def _plus(value: Any, step: int) -> Any:
    return value + step if isinstance(value, int | float) else None


@contextlib.contextmanager
def no_extra_buffers() -> Iterator[None]:
    """Models loaded inside keep plain CPU weight buffers (no AMX/repacked layouts)."""
    import llama_cpp.llama_cpp as lib

    original = lib.llama_model_default_params
    if "use_extra_bufts" not in dict(original().__class__._fields_):
        yield  # an older llama.cpp without extra buffer types: nothing to turn off
        return

    def plain_buffers():  # Llama.__init__ looks this up on the module at call time
        params = original()
        params.use_extra_bufts = False
        return params

    lib.llama_model_default_params = plain_buffers
    try:
        yield
    finally:
        lib.llama_model_default_params = original


def serve(argv: list[str]) -> None:
    """llama-cpp-python's OpenAI-compatible server, its models loaded without extra buffers."""
    from llama_cpp.server.__main__ import main

    sys.argv = ["augur.llm.llamacpp", *argv]
    with no_extra_buffers():  # held for the server's lifetime: it loads models on demand
        main()


if __name__ == "__main__":
    serve(sys.argv[1:])
