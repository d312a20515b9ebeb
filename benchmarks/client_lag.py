"""What concurrency does to TTFT as the client records it: recorded `ttft_s` against the server's own time to first
token, and the client's event-loop lag (`loop_lag_s`) beside it.

A fake OpenAI-wire server on 127.0.0.1 (tests/inspect/faulty_server.py) streams every answer after
`--first-token` seconds and notes when it received each request and flushed its first content. Each run is
`inspect eval cpython_retrieval/<tier> --model vllm/faulty -T perturbed=exclude -T trials=3` on the bundled
canonical dataset at one `--max-connections`; per run it prints the median and p90 of (recorded TTFT - server
TTFT) and of `loop_lag_s` (the client's loop blocked in that window), over every call.

Usage:
    python benchmarks/client_lag.py [--tier T25] [--connections 4,32] [--first-token 0.5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cpython_retrieval.dataset.canonical import canonical_dir  # noqa: E402
from cpython_retrieval.dataset.store import load_tier  # noqa: E402
from cpython_retrieval.prompt import prompt_parts  # noqa: E402
from tests.inspect.faulty_server import FaultyServer  # noqa: E402


def _quantiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[min(len(values) - 1, int(0.9 * len(values)))]


def run(tier: str, connections: int, first_token: float) -> dict:
    from inspect_ai.log import read_eval_log

    rows = [r for r in load_tier(canonical_dir(), tier) if not r["perturbed"]]
    answers = {prompt_parts(r["question"], None, no_context=True).question_block: r["answer"] for r in rows}
    with tempfile.TemporaryDirectory() as logs, FaultyServer(answers=answers, first_token_delay=first_token) as server:
        env = {**os.environ, "VLLM_BASE_URL": server.base_url, "VLLM_API_KEY": "unused"}
        proc = subprocess.run(["inspect", "eval", f"cpython_retrieval/{tier}", "--model", "vllm/faulty", "-T",
                               "perturbed=exclude", "-T", "trials=3", "--max-connections", str(connections),
                               "--log-dir", logs, "--display", "none"], env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"inspect eval failed: {proc.stderr[-2000:]}")
        (path,) = Path(logs).glob("*.eval")
        log = read_eval_log(str(path))
    served = defaultdict(list)
    for exchange in sorted(server.chat_exchanges(), key=lambda e: e.received):
        served[exchange.question].append(exchange.server_ttft)
    gaps, lags = [], []
    for sample in log.samples:
        for call, server_ttft in zip(sample.store["cpython_retrieval_calls"], served[str(sample.input)], strict=False):
            gaps.append(call["ttft_s"] - server_ttft)
            if call["loop_lag_s"] is not None:
                lags.append(call["loop_lag_s"])
    return {"calls": len(gaps), "gap": _quantiles(gaps), "lag": _quantiles(lags)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="T25")
    parser.add_argument("--connections", default="4,32")
    parser.add_argument("--first-token", type=float, default=0.5)
    args = parser.parse_args(argv)
    for connections in (int(c) for c in args.connections.split(",")):
        r = run(args.tier, connections, args.first_token)
        print(f"{args.tier} --max-connections {connections:3}: {r['calls']} calls; recorded TTFT - server TTFT "
              f"median {r['gap'][0] * 1000:.0f} ms, p90 {r['gap'][1] * 1000:.0f} ms; loop lag median "
              f"{r['lag'][0] * 1000:.0f} ms, p90 {r['lag'][1] * 1000:.0f} ms", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
