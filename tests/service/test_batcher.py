"""Dynamic micro-batching: requests that arrive together share one call."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from augur.service.batcher import MicroBatcher


def _run(coro):
    return asyncio.run(coro)


def test_concurrent_requests_share_batches_and_get_their_own_answers():
    calls = []

    def run(items):
        calls.append(len(items))
        time.sleep(0.01)  # a forward pass: requests pile up meanwhile
        return [i * 10 for i in items]

    async def main():
        b = MicroBatcher(run, ThreadPoolExecutor(1), max_batch=16, max_wait_s=0.005)
        out = await asyncio.gather(*(b.submit(i) for i in range(40)))
        await b.close()
        return out, b

    out, b = _run(main())
    assert out == [i * 10 for i in range(40)]
    assert max(calls) <= 16 and len(calls) < 40 and sum(calls) == 40
    assert (b.items, b.batches) == (40, len(calls))


def test_a_bad_item_fails_only_its_own_request():
    def run(items):
        if "bad" in items:
            raise ValueError("windows[0]: expected at least one event")
        return [s.upper() for s in items]

    async def main():
        b = MicroBatcher(run, ThreadPoolExecutor(1), max_batch=8, max_wait_s=0.01)
        out = await asyncio.gather(*(b.submit(s) for s in ("a", "bad", "c")),
                                   return_exceptions=True)
        await b.close()
        return out

    a, bad, c = _run(main())
    assert (a, c) == ("A", "C") and isinstance(bad, ValueError)


def test_a_lone_request_waits_at_most_the_bound():
    async def main():
        b = MicroBatcher(lambda items: items, ThreadPoolExecutor(1), max_batch=8,
                         max_wait_s=0.02)
        t = time.perf_counter()
        await b.submit(1)
        took = time.perf_counter() - t
        await b.close()
        return took

    assert _run(main()) < 0.5  # bounded by max_wait (20 ms) plus scheduling, not forever
