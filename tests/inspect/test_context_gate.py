"""The context gate: requests of one context are sent together, the next context's first request follows the
previous one's last request at once (no drain), and one gate serves every task talking to an endpoint."""

from __future__ import annotations

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpython_retrieval.tasks.context_gate import ContextGate, gate_capacity, gate_name, shared_gate


async def _run(keys: list[str | None], delays: list[float], *, capacity: int = 1, slots: int = 4, trials: int = 3,
               expected: dict[str, int] | None = None, slots_per_context: bool = False):
    """Samples in order, at most `slots` at once (a waiting sample holds its slot, as in Inspect); each sends
    `trials` requests one after another. Returns (send log, in-flight requests after each send or reply, gate,
    the order of events: ("sent" | "done", key))."""
    gate = ContextGate(capacity=capacity)
    if expected:
        gate.expect("task", expected)
    shared_limiter = anyio.Semaphore(slots)
    limiters = {k: anyio.Semaphore(slots) if slots_per_context else shared_limiter for k in set(keys)}
    sent: list[str | None] = []
    in_flight = 0
    flight: list[int] = []
    order: list[tuple[str, str | None]] = []

    async def sample(key, delay):
        nonlocal in_flight
        async with limiters[key], gate.hold(key) as final_request_sent:
            for trial in range(trials):
                sent.append(key)
                order.append(("sent", key))
                if trial == trials - 1:
                    final_request_sent()
                in_flight += 1
                flight.append(in_flight)
                await anyio.sleep(delay)
                in_flight -= 1
                flight.append(in_flight)
                order.append(("done", key))

    async with anyio.create_task_group() as tg:
        for key, delay in zip(keys, delays, strict=True):
            tg.start_soon(sample, key, delay)
            await anyio.sleep(0)
    return sent, flight, gate, order


def _runs(sent: list[str | None]) -> list[str]:
    keyed = [k for k in sent if k is not None]
    return [k for i, k in enumerate(keyed) if i == 0 or keyed[i - 1] != k]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", None]), st.sampled_from([0.0, 0.001, 0.002])),
                min_size=1, max_size=12))
def test_contexts_never_interleave_between_switches(samples):
    keys, delays = [k for k, _ in samples], [d for _, d in samples]
    sent, _, gate, _ = anyio.run(_run, keys, delays)
    assert len(_runs(sent)) == gate.switches + 1 if any(keys) else gate.switches == 0


def test_grouped_samples_make_one_switch_without_draining_the_server():
    keys = ["A"] * 10 + ["B"] * 10
    sent, _, gate, order = anyio.run(_run, keys, [0.01] * 20)
    assert _runs(sent) == ["A", "B"] and gate.switches == 1
    # B's first request went out before A's last replies came back: the server was not drained between them
    assert order.index(("sent", "B")) < len(order) - 1 - order[::-1].index(("done", "A"))


def test_announced_samples_keep_the_context_until_they_are_admitted():
    """Two tasks (A from one, C from the other, two sample slots each): A keeps the gate until all of its announced
    samples were admitted and sent, although its admitted ones are all on their final request; unannounced, the
    two alternate."""
    keys = ["A", "C"] * 6
    sent, _, _, _ = anyio.run(lambda: _run(keys, [0.005] * 12, slots=2, slots_per_context=True,
                                           expected={"A": 6, "C": 6}))
    assert _runs(sent) == ["A", "C"]
    sent, _, _, _ = anyio.run(lambda: _run(keys, [0.005] * 12, slots=2, slots_per_context=True))
    assert len(_runs(sent)) > 2


def test_capacity_two_runs_two_contexts_at_once():
    sent, flight, gate, _ = anyio.run(lambda: _run(["A"] * 4 + ["B"] * 4, [0.01] * 8, capacity=2, slots=8))
    assert max(flight) == 8 and gate.switches == 1


def test_gate_policies():
    assert [gate_capacity(p) for p in ("one", "off", 3, "2", False)] == [1, None, 3, 2, None]
    assert gate_name("one") == "one" and gate_name(False) == "off" and gate_name("4") == "4"
    with pytest.raises(ValueError, match="gate must be one, off or a number"):
        gate_capacity("two")


def test_one_gate_per_endpoint():
    assert shared_gate("http://x|m", 1) is shared_gate("http://x|m", 1)
    assert shared_gate("http://x|m", 1) is not shared_gate("http://y|m", 1)
