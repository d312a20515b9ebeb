"""At most N contexts in flight per model endpoint, so a serving stack's prefix cache holding N contexts (N = 1:
1M tokens of KV at T1000) serves every row of a context from one prefill.

Rows are stored grouped by context (all rows of a tier's original context, then all of its perturbed one), and
Inspect starts samples in that order, but runs many at once, and runs tasks (`--max-tasks`, eval sets) and epochs
side by side: without a gate the last samples of one context and the first of the next would alternate on the
server, and a cache that holds one context would re-prefill it at every switch.

One gate per process and model endpoint (`shared_gate`), whatever task or epoch a sample belongs to. A sample
is admitted (before its measured calls, so timings exclude the wait) when its context is active, or when fewer
than `capacity` contexts hold the gate. A context stops holding it, and the next context (the one whose sample
has waited longest) is admitted, as soon as all of its known work is on the wire: every admitted sample of it has
*sent* its final request and every sample of it the tasks announced (`expect`) has been admitted. So the next
context's first request follows the previous context's last request at once, and the server is never drained
between them (in arrival order the contexts still never interleave, which is what a one-context cache sees). A
context whose admitted samples have all finished hands over too after `ANNOUNCED_GRACE_S`, whatever was announced
(a `--limit`, a failed sample), so the gate never waits long for samples that will not come.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio

DEFAULT_GATE = "one"


def gate_name(policy: str | int | bool) -> str:
    """The policy as the task's metadata records it: "one", "off" or a number."""
    capacity = gate_capacity(policy)
    return "off" if capacity is None else "one" if capacity == 1 else str(capacity)


def gate_capacity(policy: str | int | bool) -> int | None:
    """Contexts allowed in flight at once for a `gate` task parameter: "one" -> 1, "N" -> N, "off" -> None.
    (`-T gate=off` reaches the task as False: Inspect reads -T values as YAML.)"""
    if isinstance(policy, bool):
        return 1 if policy else None
    text = str(policy).strip().lower()
    if text == "off":
        return None
    if text == "one":
        return 1
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise ValueError(f"gate must be one, off or a number of contexts >= 1 (got {policy!r})")


#: How long a context with no sample running keeps the gate for announced samples that have not come: Inspect
#: frees a finished sample's slot after scoring it (milliseconds), so the next sample of the context arrives well
#: within this; samples that never come (`--limit`, `--sample-id`) cost this once per context.
ANNOUNCED_GRACE_S = 1.0


@dataclass
class _Context:
    admitted: int = 0  # admitted samples not finished
    unsent: int = 0  # admitted samples whose final request has not been sent
    started: int = 0  # samples admitted since the context last became active
    drained_at: float | None = None  # when its last admitted sample finished (None: one is running)


@dataclass
class ContextGate:
    capacity: int = 1
    expected: Counter = field(default_factory=Counter)  # context -> samples announced by the tasks
    holders: dict[str, _Context] = field(default_factory=dict)  # contexts holding the gate
    finishing: dict[str, _Context] = field(default_factory=dict)  # handed over, last requests still running
    waiting: dict[str, int] = field(default_factory=dict)  # context -> arrival number of its first waiter
    switches: int = 0  # times a context became active while another had been active before it
    _arrivals: itertools.count = field(default_factory=itertools.count)
    _changed: anyio.Event | None = None
    _announced: set = field(default_factory=set)
    _last: str | None = None

    def expect(self, token: object, counts: dict[str, int]) -> None:
        """Announce, once per `token` (a task's solver), how many samples of each context it will run."""
        if token not in self._announced:
            self._announced.add(token)
            self.expected.update(counts)

    @property
    def in_flight(self) -> int:
        return sum(c.admitted for c in self.holders.values()) + sum(c.admitted for c in self.finishing.values())

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def _done(self, key: str, ctx: _Context) -> bool:
        """All of the context's known work is on the wire, or nothing of it has run for the grace period."""
        if ctx.started > 0 and ctx.unsent == 0 and ctx.started >= self.expected.get(key, 0):
            return True
        return ctx.drained_at is not None and time.monotonic() - ctx.drained_at >= ANNOUNCED_GRACE_S

    def _rebalance(self) -> None:
        for key, ctx in list(self.holders.items()):
            if self._done(key, ctx) and (self.waiting or ctx.admitted == 0):
                del self.holders[key]
                if ctx.admitted:
                    self.finishing[key] = ctx
        for key, ctx in list(self.finishing.items()):
            if ctx.admitted == 0:
                del self.finishing[key]
        while self.waiting and len(self.holders) < self.capacity:
            key = min(self.waiting, key=self.waiting.get)
            del self.waiting[key]
            self._activate(key)
        self._notify()

    def _activate(self, key: str) -> _Context:
        ctx = self.holders[key] = self.finishing.pop(key, None) or _Context()
        ctx.started = 0
        ctx.drained_at = time.monotonic() if ctx.admitted == 0 else None  # its waiters are about to enter
        if self._last is not None and self._last != key:
            self.switches += 1
        self._last = key
        return ctx

    @asynccontextmanager
    async def hold(self, key: str | None):
        """Run the sample's calls while `key` holds the gate (None: no context, never held back). The body
        receives a callable to call once its final request has been sent."""
        if key is None:
            yield lambda: None
            return
        while key not in self.holders:
            if len(self.holders) < self.capacity and key not in self.waiting:
                self._activate(key)
                break
            self.waiting.setdefault(key, next(self._arrivals))
            if self._changed is None:
                self._changed = anyio.Event()
            with anyio.move_on_after(ANNOUNCED_GRACE_S):
                await self._changed.wait()
            self._rebalance()
        ctx = self.holders[key]
        ctx.drained_at = None
        ctx.admitted += 1
        ctx.unsent += 1
        ctx.started += 1
        sent = False

        def final_request_sent() -> None:
            nonlocal sent
            if not sent:
                sent = True
                ctx.unsent -= 1
                self._rebalance()

        try:
            yield final_request_sent
        finally:
            final_request_sent()
            ctx.admitted -= 1
            if ctx.admitted == 0:
                ctx.drained_at = time.monotonic()
            self._rebalance()


_GATES: dict[tuple[str, int], ContextGate] = {}


def shared_gate(endpoint: str, capacity: int) -> ContextGate:
    """The process's gate for one model endpoint (and capacity): every task and epoch talking to it shares it."""
    key = (endpoint, capacity)
    if key not in _GATES:
        _GATES[key] = ContextGate(capacity=capacity)
    return _GATES[key]
