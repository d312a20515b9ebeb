"""The context gate: samples of one context run concurrently, never alongside another context's."""

from __future__ import annotations

import anyio
from hypothesis import given, settings
from hypothesis import strategies as st

from cpython_retrieval.tasks.context_gate import ContextGate


async def _run(keys: list[str | None], delays: list[float]) -> tuple[list[set], int]:
    gate = ContextGate()
    running: dict[str, int] = {}
    seen: list[set] = []
    peak = 0

    async def sample(key, delay):
        nonlocal peak
        async with gate.hold(key):
            if key is not None:
                running[key] = running.get(key, 0) + 1
                seen.append({k for k, n in running.items() if n})
            peak = max(peak, gate.in_flight)
            await anyio.sleep(delay)
            if key is not None:
                running[key] -= 1

    async with anyio.create_task_group() as tg:
        for key, delay in zip(keys, delays):
            tg.start_soon(sample, key, delay)
            await anyio.sleep(0)
    return seen, peak


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", None]), st.sampled_from([0.0, 0.001, 0.002])),
                min_size=1, max_size=12))
def test_at_most_one_context_is_in_flight(samples):
    keys, delays = [k for k, _ in samples], [d for _, d in samples]
    seen, _ = anyio.run(_run, keys, delays)
    assert all(len(s) <= 1 for s in seen), seen


def test_one_context_runs_all_its_samples_at_once():
    _, peak = anyio.run(_run, ["A"] * 6, [0.01] * 6)
    assert peak == 6
