"""Any OpenAI-compatible chat endpoint over HTTP (stdlib urllib, no client library).

    backend = OpenAIBackend("http://127.0.0.1:8080", "smollm2")
    backend.generate(messages, 64, 0.0)   # POST {base_url}/v1/chat/completions

base_url may end in /v1 or not; both reach {host}/v1/chat/completions.

Structured output: with a json_schema the request carries a response_format, and
Generation.constrained is True because the server was asked to hold decoding to it.
Two spellings, chosen by schema_format:
  "llama-cpp" (default)  {"type": "json_object", "schema": S}
      llama-cpp-python's server turns S into a grammar (its request model accepts only
      "text" and "json_object": "json_schema" gets HTTP 500, a validation error); llama.cpp's own
      llama-server accepts it too. Caveat: llama-cpp-python falls back to "any JSON"
      when it cannot convert S, so callers still validate (structured.py does). Its
      converter also ignores integer bounds, so small integer ranges are sent as enums
      (llamacpp.enumerate_int_ranges; the same JSON is valid under both).
  "openai"  {"type": "json_schema", "json_schema": {"name", "schema": S, "strict": true}}
      OpenAI, vLLM and llama-server.

The size guard cannot apply: a remote endpoint does not say how large its model is
(check_size(None) is a no-op), so whoever runs the server answers for its size.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.request
from typing import Any, Literal

from augur.llm.backend import BackendError, Generation, Message, check_messages, check_size
from augur.llm.llamacpp import enumerate_int_ranges  # plain Python: llama_cpp is not imported

SchemaFormat = Literal["llama-cpp", "openai"]
SCHEMA_FORMATS = ("llama-cpp", "openai")
EXCERPT = 300  # characters of an error body worth showing


class OpenAIBackend:
    def __init__(self, base_url: str, model: str, api_key: str | None = None,
                 timeout_s: float = 60, schema_format: SchemaFormat = "llama-cpp"):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url: expected http(s)://host[:port][/v1], got {base_url!r}")
        if schema_format not in SCHEMA_FORMATS:
            raise ValueError(f"schema_format: expected one of {SCHEMA_FORMATS}, "
                             f"got {schema_format!r}")
        root = base_url.rstrip("/")
        root = root.removesuffix("/v1")
        self.url = f"{root}/v1/chat/completions"
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.timeout_s = timeout_s
        self.schema_format = schema_format
        self.name = f"openai:{model}"
        check_size(None, self.url)  # unknowable for a remote model: documented no-op

    def generate(self, messages: list[Message], max_tokens: int = 256,
                 temperature: float = 0.7, json_schema: dict[str, Any] | None = None,
                 seed: int | None = None) -> Generation:
        check_messages(messages)
        body: dict[str, Any] = {"model": self.model, "messages": messages,
                                "max_tokens": max_tokens, "temperature": temperature}
        if seed is not None:
            body["seed"] = seed
        if json_schema is not None:
            body["response_format"] = self._response_format(json_schema)
        start = time.perf_counter()
        out = self._post(body)
        latency = time.perf_counter() - start
        try:
            text = out["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as e:
            raise BackendError(f"POST {self.url}: expected choices[0].message.content in the "
                               f"answer, got {json.dumps(out)[:EXCERPT]}") from e
        usage = out.get("usage") or {}  # optional in some servers: 0 means "not reported"
        return Generation(text=text, prompt_tokens=int(usage.get("prompt_tokens", 0)),
                          completion_tokens=int(usage.get("completion_tokens", 0)),
                          latency_s=latency, model=str(out.get("model") or self.model),
                          constrained=json_schema is not None)

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.schema_format == "openai":
            name = str(schema.get("title") or "output")
            return {"type": "json_schema",
                    "json_schema": {"name": name, "schema": schema, "strict": True}}
        return {"type": "json_object", "schema": enumerate_int_ranges(schema)}

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=json.dumps(body).encode(),
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")[:EXCERPT]
            raise BackendError(f"POST {self.url}: HTTP {e.code} {e.reason}: {detail}") from e
        except urllib.error.URLError as e:
            raise BackendError(f"POST {self.url}: cannot connect ({e.reason}); is the server "
                               "running? (python -m augur.llm.llamacpp --model FILE.gguf "
                               "--port PORT starts one)") from e
        except TimeoutError as e:
            raise BackendError(f"POST {self.url}: no answer within {self.timeout_s} s; raise "
                               "timeout_s or lower max_tokens") from e
        except (ConnectionError, http.client.HTTPException) as e:  # the server died mid-answer
            raise BackendError(f"POST {self.url}: the connection broke while reading the "
                               f"answer ({type(e).__name__}: {e}); check the server's log") from e
        try:
            return json.loads(raw)
        except ValueError as e:
            raise BackendError(f"POST {self.url}: expected a JSON answer, got "
                               f"{raw[:EXCERPT]!r}") from e

    def close(self) -> None:
        """Nothing to free here: the model lives in the server's process."""

    def __enter__(self) -> OpenAIBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
