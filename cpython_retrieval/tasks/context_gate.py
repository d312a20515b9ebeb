"""One context in flight at a time, so a serving stack's prefix cache holding one context serves every row of it.

Rows are stored grouped by context (all rows of a tier's original context, then all of its perturbed one), and
Inspect starts samples in that order, but runs many at once: at the boundary between two groups, the last
samples of one context and the first of the next would alternate on the server, and a cache that holds one
context (1M tokens of KV at T1000) would re-prefill it at every switch. The gate lets samples of the active
context run freely and holds a sample of another context until the active one has no call in flight. It waits
before the measured calls, so timings exclude it; with one context per tier it never waits at all.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import anyio


class ContextGate:
    def __init__(self) -> None:
        self.active: str | None = None
        self.in_flight = 0
        self._released: anyio.Event | None = None  # created inside the event loop, on first use

    @asynccontextmanager
    async def hold(self, key: str | None):
        """Run the body while `key` is the active context (None: no context, never held back)."""
        if key is None:
            yield
            return
        while self.active not in (None, key):
            if self._released is None:
                self._released = anyio.Event()
            await self._released.wait()
        self.active = key
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self.active = None
                if self._released is not None:
                    self._released.set()
                    self._released = None
