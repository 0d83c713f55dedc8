"""Dynamic micro-batching: /predict calls that arrive together share one forward pass.

Requests queue up; one worker takes up to `max_batch` of them and runs the batch
on a single worker thread (torch stays off the event loop and runs one batch at
a time, so its own threads are not oversubscribed). Requests that arrive while
a batch runs form the next one, so the batch grows with the load. Under load
(the last batch had company, or more requests are already waiting) a batch also
waits up to `max_wait_s` for more; a lone request at low load never waits.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class MicroBatcher:
    def __init__(self, run: Callable[[list[Any]], list[Any]], executor: ThreadPoolExecutor,
                 max_batch: int = 64, max_wait_s: float = 0.002) -> None:
        self.run, self.executor = run, executor
        self.max_batch, self.max_wait_s = max_batch, max_wait_s
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None
        self.batches = 0  # forward passes run (for tests and the benchmark)
        self.items = 0
        self._last_size = 0

    async def submit(self, item: Any) -> Any:
        loop = asyncio.get_running_loop()
        if self._worker is None or self._worker.done() or self._worker.get_loop() is not loop:
            self._queue = asyncio.Queue()
            self._worker = loop.create_task(self._work())
        future = loop.create_future()
        await self._queue.put((item, future))
        return await future

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        queue = self._queue
        while True:
            batch = [await queue.get()]
            busy = self._last_size > 1 or not queue.empty()
            deadline = loop.time() + (self.max_wait_s if busy else 0.0)
            while len(batch) < self.max_batch:
                if not queue.empty():
                    batch.append(queue.get_nowait())
                    continue
                left = deadline - loop.time()
                if left <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(queue.get(), left))
                except TimeoutError:
                    break
            live = [(item, f) for item, f in batch if not f.cancelled()]  # client gone
            if not live:
                continue
            try:
                results = await loop.run_in_executor(self.executor, self._run_isolated,
                                                     [item for item, _ in live])
            except Exception as exc:  # noqa: BLE001 - handed to every waiting caller
                results = [exc] * len(live)
            self.batches += 1
            self.items += len(live)
            self._last_size = len(live)
            for (_, f), r in zip(live, results, strict=True):
                if f.done():
                    continue
                if isinstance(r, BaseException):
                    f.set_exception(r)
                else:
                    f.set_result(r)

    def _run_isolated(self, items: list[Any]) -> list[Any]:
        """The batch in one call; if it fails, each item alone, so one bad window
        fails only its own request."""
        try:
            return self.run(items)
        except Exception:  # noqa: BLE001
            if len(items) == 1:
                raise
        out: list[Any] = []
        for item in items:
            try:
                out.extend(self.run([item]))
            except Exception as exc:  # noqa: BLE001
                out.append(exc)
        return out

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._worker
