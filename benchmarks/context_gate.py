"""The context gate against a server with a fixed latency: server time, requests in flight, and the contexts a
one-context prefix cache would prefill, gated (`-T gate=one`) against ungated (`-T gate=off`).

A fake OpenAI-wire server on 127.0.0.1 (tests/inspect/faulty_server.py) answers every request after
`--latency` seconds, whatever the prompt, so the server's own time is the run's shape only. Each run is
`inspect eval cpython_retrieval/<tier> --model vllm/faulty -T trials=3` on the bundled canonical dataset
(original and perturbed contexts). Per run it prints:

- server time: first request received to last reply sent;
- in flight: mean and peak requests the server held (sampled over the server time);
- switches: times the context changed between consecutive requests in arrival order; contexts prefilled by a
  cache that holds one context = switches + 1 (the tier's ideal is its number of contexts).

Usage:
    python benchmarks/context_gate.py [--tiers T25,T100] [--latency 2] [--max-connections N] [--gates one,off]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cpython_retrieval.dataset.canonical import canonical_dir  # noqa: E402
from cpython_retrieval.dataset.store import load_tier  # noqa: E402
from cpython_retrieval.prompt import prompt_parts  # noqa: E402
from tests.inspect.faulty_server import FaultyServer, context_digest  # noqa: E402


def shape(exchanges) -> dict:
    """Server time, in-flight requests and arrival-order context switches of a server's exchanges."""
    spans = sorted((e.received, e.first_content or e.received) for e in exchanges)
    start, end = spans[0][0], max(s[1] for s in spans)
    steps = 2000
    counts = [sum(a <= start + (end - start) * i / steps < b for a, b in spans) for i in range(steps)]
    ordered = [context_digest(e.body) for e in sorted(exchanges, key=lambda e: e.received)]
    switches = sum(1 for a, b in zip(ordered, ordered[1:], strict=False) if a != b)
    return {"server_s": end - start, "mean_in_flight": sum(counts) / steps, "peak_in_flight": max(counts),
            "switches": switches, "contexts": len(set(ordered)), "requests": len(ordered)}


def run(tiers: list[str], gate: str, latency: float, extra: list[str], answers: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory() as logs, \
            FaultyServer(answers=answers, first_token_delay=latency) as server:
        env = {**os.environ, "VLLM_BASE_URL": server.base_url, "VLLM_API_KEY": "unused"}
        args = ["inspect", "eval", *[f"cpython_retrieval/{t}" for t in tiers], "--model", "vllm/faulty",
                "-T", "trials=3", "-T", f"gate={gate}", "--log-dir", logs, "--display", "none", *extra]
        wall = time.perf_counter()
        proc = subprocess.run(args, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - wall
        if proc.returncode != 0:
            raise SystemExit(f"inspect eval failed ({proc.returncode}): {proc.stderr[-2000:]}")
        result = shape(server.chat_exchanges())
    return {**result, "wall_s": wall}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default="T25,T100", help="tiers, each run on its own (join with + to run "
                        "several tasks in one eval, e.g. T25+T50 with --max-tasks 2)")
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--gates", default="one,off")
    parser.add_argument("extra", nargs="*", help="more `inspect eval` options, after --")
    args = parser.parse_args(argv)
    for spec in args.tiers.split(","):
        tiers = spec.split("+")
        rows = [r for t in tiers for r in load_tier(canonical_dir(), t)]
        answers = {prompt_parts(r["question"], None, no_context=True).question_block: r["answer"] for r in rows}
        for gate in args.gates.split(","):
            r = run(tiers, gate, args.latency, args.extra, answers)
            print(f"{spec:10} gate={gate:4} server {r['server_s']:6.1f} s, in flight mean {r['mean_in_flight']:5.1f} "
                  f"peak {r['peak_in_flight']:3}, {r['requests']} requests, {r['switches']} switches "
                  f"({r['switches'] + 1} contexts prefilled with a one-context cache; {r['contexts']} distinct) "
                  f"wall {r['wall_s']:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
