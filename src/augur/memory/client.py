"""A client for a running `augur serve`'s memory routes, with the standard library only
(urllib and json), so an assistant can call it without installing anything more.

    from augur.memory.client import MemoryClient

    mem = MemoryClient()  # http://127.0.0.1:8787, `augur serve`'s default; token=...
    answer = mem.ask("emails from Ana about the outage last week")
    answer["query"], answer["rows"]
    mem.query('SEARCH "ci failure" IN resources LIMIT 5')["rows"]
    mem.generate("query", "show me pr-33")["output"]
    mem.add_resources([{"id": "doc-7", "name": ..., "kind": "document", ...}])
    mem.stats()  # {"resources": 812, ...}

Every method returns the route's JSON as a dict (the fields are listed on each method
and in the service's /docs). An HTTP error raises MemoryClientError with the status
and the server's `detail`; a server that cannot be reached raises it with status 0.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

from augur.errors import AugurError


class MemoryClientError(AugurError):
    """The service answered with an error (status >= 400), or could not be reached
    (status 0). `detail` is the server's detail (a string, or a list of {loc, msg} for a
    malformed request); `body` the whole JSON answer when there was one."""

    def __init__(self, status: int, detail: Any, body: Any = None, url: str = "") -> None:
        text = detail if isinstance(detail, str) else json.dumps(detail)
        super().__init__(f"{url}: {status} {text}" if status else f"{url}: {text}")
        self.status = status
        self.detail = detail
        self.body = body


class MemoryClient:
    def __init__(self, base_url: str = "http://127.0.0.1:8787", token: str | None = None,
                 timeout: float = 30.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url: expected an http:// or https:// URL, got {base_url!r}")
        if timeout <= 0:
            raise ValueError(f"timeout: expected a positive number of seconds, got {timeout}")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def ask(self, text: str, now: datetime | str | None = None) -> dict[str, Any]:
        """POST /memory/ask: the request in words becomes a REM query that runs.
        Returns {text, query (null for a refusal), query_type, parameters, refused,
        columns, rows, model, generate_ms, execute_ms, elapsed_ms}."""
        return self._call("POST", "/memory/ask", _with_now({"text": text}, now))

    def query(self, query: str | dict[str, Any], now: datetime | str | None = None
              ) -> dict[str, Any]:
        """POST /memory/query: a REM query (dialect text or its JSON form). Returns
        {query, query_type, parameters, columns, rows, elapsed_ms}."""
        return self._call("POST", "/memory/query", _with_now({"query": query}, now))

    def generate(self, task: str, input: str | dict[str, Any], max_tokens: int = 256,
                 model: str | None = None) -> dict[str, Any]:
        """POST /generate: one output of a task ("query"). Returns {task, output, text,
        model, latency_ms, prompt_tokens, completion_tokens}."""
        body: dict[str, Any] = {"task": task, "input": input, "max_tokens": max_tokens}
        if model is not None:
            body["model"] = model
        return self._call("POST", "/generate", body)

    def add_resources(self, resources: list[dict[str, Any]]) -> dict[str, Any]:
        """POST /memory/resources: add or update resources (dicts or
        augur.memory.model.Resource) by id in one transaction; needs the token when the
        server has one. Returns {added, updated, embedded}."""
        return self._call("POST", "/memory/resources", {"resources": list(resources)})

    def stats(self) -> dict[str, int]:
        """GET /memory/stats: records per table."""
        return self._call("GET", "/memory/stats")

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = self.base_url + path
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, default=_json_default).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = None
            detail = (payload.get("detail") if isinstance(payload, dict) and "detail" in payload
                      else raw.decode(errors="replace")[:500] or e.reason)
            raise MemoryClientError(e.code, detail, payload, url) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            reason = getattr(e, "reason", e)
            raise MemoryClientError(0, f"cannot reach the service ({reason}); is `augur "
                                       f"serve` running at {self.base_url}?", None, url) from None


def _with_now(body: dict[str, Any], now: datetime | str | None) -> dict[str, Any]:
    if now is not None:
        if isinstance(now, datetime) and now.tzinfo is None:
            raise ValueError(f"now: expected a timestamp with a UTC offset, got {now!r}")
        body["now"] = now
    return body


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "model_dump"):  # a Resource or a typed query
        return value.model_dump(mode="json")
    raise TypeError(f"cannot send {type(value).__name__} as JSON: {value!r}")


__all__ = ["MemoryClient", "MemoryClientError"]
