"""How late the client's own event loop runs: the part of a measured time to first token that is the client's.

A streamed first token is timed when the event loop runs the stream callback, not when the bytes reach the
socket; a loop busy with other samples (parsing their replies, scoring, writing the log) delays that callback,
and TTFT grows by the client's lag, not the server's. A ticker task per event loop sleeps `TICK_S` and records
how much later than asked it woke (`lag`): the loop could run nothing else meanwhile, neither sending a request's
body nor reading a reply. `longest_stall(sent, seen)`, the largest lag of the ticks that woke between a request's
send and the moment its first token was seen (plus two ticks: the wake that ends a stall comes just after it), is
recorded beside TTFT, so a reader can tell a slow server from a busy client. It is an indicator, not a share of
the TTFT: a stall while the server was still working delayed nothing, and many short delays add up unseen.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left
from collections import deque

TICK_S = 0.01
#: Ticks kept per loop: 20 minutes at 100 per second, far more than any call's TTFT window.
_KEPT = 120_000


class LoopLagMonitor:
    def __init__(self) -> None:
        self.woke: deque[float] = deque(maxlen=_KEPT)
        self.lag: deque[float] = deque(maxlen=_KEPT)
        self.task: asyncio.Task | None = None

    async def _tick(self) -> None:
        while True:
            asked = time.perf_counter() + TICK_S
            await asyncio.sleep(TICK_S)
            now = time.perf_counter()
            self.woke.append(now)
            self.lag.append(max(0.0, now - asked))

    def longest_stall(self, start: float, end: float) -> float:
        """Largest lag of a tick that woke in [start, end + 2 ticks] (0.0: the loop kept to time)."""
        woke, lag = list(self.woke), list(self.lag)
        first = bisect_left(woke, start)
        last = bisect_left(woke, end + 2 * TICK_S)
        return max(lag[first:last], default=0.0)


_MONITORS: dict[int, LoopLagMonitor] = {}


def loop_lag_monitor() -> LoopLagMonitor | None:
    """The running asyncio loop's monitor, started on first use; None outside asyncio (e.g. trio)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    monitor = _MONITORS.get(id(loop))
    if monitor is None or monitor.task is None or monitor.task.done():
        monitor = LoopLagMonitor()
        monitor.task = loop.create_task(monitor._tick(), name="cpython_retrieval-loop-lag")
        _MONITORS[id(loop)] = monitor
    return monitor
