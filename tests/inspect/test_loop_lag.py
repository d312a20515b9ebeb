"""The event-loop lag monitor: a stall inside the window is counted; a loop on time is not."""

from __future__ import annotations

import asyncio
import time

from cpython_retrieval.adapters.loop_lag import loop_lag_monitor


def test_a_stall_in_the_window_is_counted_and_a_quiet_loop_is_not():
    async def scenario():
        monitor = loop_lag_monitor()
        start = time.perf_counter()
        await asyncio.sleep(0.1)
        quiet = monitor.longest_stall(start, time.perf_counter() - 0.03)
        sent = time.perf_counter()
        time.sleep(0.3)  # the loop is blocked: nothing else runs, as when a busy client parses other replies
        await asyncio.sleep(0.05)
        seen = time.perf_counter()
        await asyncio.sleep(0.05)
        return quiet, monitor.longest_stall(sent, seen), monitor is loop_lag_monitor()

    quiet, stalled, same = asyncio.run(scenario())
    assert quiet < 0.1 and 0.25 <= stalled < 0.5 and same
