"""Inspect log size through the real providers (`vllm/`, `openai/`, `anthropic/`) against a fake wire-format
server on 127.0.0.1 (tests/inspect/faulty_server.py, which answers every question of the tier correctly).

Runs `inspect eval cpython_retrieval/<tier>` on the bundled canonical dataset with `trials=3` and prints the
`.eval` file's size, the bytes per sample, and the size a full run of the tier would have (samples x bytes per
sample; equal to the measured size when `--limit` is 0, the whole tier).

Usage:
    python benchmarks/log_size.py --tier T1000 --providers vllm,openai,anthropic [--limit 0] [--log-context]
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
from tests.inspect.faulty_server import FaultyServer  # noqa: E402

PROVIDERS = {
    "vllm": ("vllm/faulty", "openai", lambda url: {"VLLM_BASE_URL": url, "VLLM_API_KEY": "unused"}),
    "openai": ("openai/gpt-4.1", "openai", lambda url: {"OPENAI_BASE_URL": url, "OPENAI_API_KEY": "unused"}),
    "anthropic": ("anthropic/claude-sonnet-4-5", "anthropic",
                  lambda url: {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": "unused"}),
}


def measure(provider: str, tier: str, limit: int, log_context: bool) -> dict:
    model, wire, env = PROVIDERS[provider]
    rows = load_tier(canonical_dir(), tier)
    answers = {prompt_parts(r["question"], None, no_context=True).question_block: r["answer"] for r in rows}
    samples = len(rows) if limit <= 0 else min(limit, len(rows))
    with tempfile.TemporaryDirectory() as logs, FaultyServer(answers=answers, wire=wire, first_token_delay=0.0) as server:
        args = ["inspect", "eval", f"cpython_retrieval/{tier}", "--model", model, "-T", "trials=3",
                "--log-dir", logs, "--display", "none"]
        if limit > 0:
            args += ["--limit", str(limit)]
        if log_context:
            args += ["-T", "log_context=true"]
        start = time.perf_counter()
        subprocess.run(args, check=True, env={**os.environ, **env(server.base_url)}, capture_output=True)
        wall = time.perf_counter() - start
        (path,) = Path(logs).glob("*.eval")
        size = path.stat().st_size
    return {"provider": provider, "tier": tier, "samples": samples, "calls": len(server.chat_exchanges()),
            "log_bytes": size, "bytes_per_sample": size / samples, "full_run_bytes": size / samples * len(rows),
            "tier_samples": len(rows), "wall_s": wall}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="T1000")
    parser.add_argument("--providers", default=",".join(PROVIDERS))
    parser.add_argument("--limit", type=int, default=0, help="samples to run (0: the whole tier)")
    parser.add_argument("--log-context", action="store_true")
    args = parser.parse_args(argv)
    for provider in args.providers.split(","):
        r = measure(provider, args.tier, args.limit, args.log_context)
        print(f"{r['provider']:10} {r['tier']} {r['samples']}/{r['tier_samples']} samples, {r['calls']} calls: "
              f"{r['log_bytes'] / 1e6:.3f} MB ({r['bytes_per_sample'] / 1e3:.1f} KB per sample; "
              f"full tier {r['full_run_bytes'] / 1e6:.2f} MB) in {r['wall_s']:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
