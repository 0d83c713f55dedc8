"""Backend specs: one string names a backend and its model (CLI flags, lab grids).

    llamacpp                          SmolLM2-135M-Instruct (GGUF Q4_1) through llama.cpp
    llamacpp:/path/model.gguf         another GGUF file
    transformers                      the same SmolLM2 GGUF, dequantized, through transformers
    transformers:/path/model-folder   a local Hugging Face folder (config.json, weights)
    transformers:/path/model.gguf     a GGUF file through transformers
    openai:http://127.0.0.1:8080/v1#smollm2
                                      an OpenAI-compatible server; after '#', the model id

make_backend only builds the backend: the model loads at the first generate() (or an
explicit .load()), after the size guard. One model at a time: call close() when done,
before making the next, e.g.

    with make_backend("llamacpp") as backend:     # close() on the way out
        backend.generate(messages)
"""

from __future__ import annotations

from pathlib import Path

from augur.llm.backend import Backend

KINDS = {
    "llamacpp": "llamacpp[:FILE.gguf]",
    "transformers": "transformers[:FOLDER|FILE.gguf]",
    "openai": "openai:URL#MODEL",
}


def make_backend(spec: str) -> Backend:
    kind, _, arg = spec.strip().partition(":")
    if kind == "llamacpp":
        from augur.llm.llamacpp import LlamaCppBackend

        return LlamaCppBackend(_path(arg))
    if kind == "transformers":
        from augur.llm.hf import TransformersBackend

        return TransformersBackend(_path(arg))
    if kind == "openai":
        from augur.llm.openai_compat import OpenAIBackend

        url, _, model = arg.partition("#")
        if not url or not model:
            raise ValueError(f"backend spec {spec!r}: expected {KINDS['openai']}, e.g. "
                             "openai:http://127.0.0.1:8080/v1#smollm2")
        return OpenAIBackend(url, model)
    raise ValueError(f"backend spec {spec!r}: unknown kind {kind!r}; expected one of "
                     + ", ".join(KINDS.values()))


def _path(arg: str) -> Path | None:
    return Path(arg).expanduser() if arg else None  # None: the backend's default model
