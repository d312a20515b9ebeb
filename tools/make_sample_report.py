"""Regenerate docs/sample-report/: a report from real runs of the reference models on the canonical dataset.

Runs `inspect eval` on each tier (T25, T200 and T1000 by default) of the bundled canonical dataset with the oracle,
the memorizer (recalling the dataset's own release), the memorizer recalling CPython 3.11.7 (so drift rows show
their stale answers; run on the first and last tier only, so the report shows a model that skipped a tier), the
shotgun model, the known-accuracy model (`cpython_retrieval/known`, seed 0) and, where this version has it, the
naive search floor (`cpython_retrieval/grep`), plus the oracle behind the local OpenAI-compatible server
(streamed, so time to first token and prefix-cache figures are real measurements of that server), every run
judged by the reference grader (`-T judge=cpython_retrieval/grader`, offline), then `cpython-retrieval report`.
The prices file is illustrative, to show the cost analyses; no real provider was called. Needs CPython
3.13.15's and 3.11.7's `Lib/` for the memorizers (`cpython-retrieval pins fetch 3.13.15`).

With `--size full` it runs the canonical dataset's full size (several independent contexts per tier), so the
report's intervals are clustered by context; `--trials` sets calls per row (2: one cold, one warm) and `--jobs`
runs that many evals at once.

Usage: python tools/make_sample_report.py [--out docs/sample-report] [--tiers T25,T200,T1000] [--size full]
       [--trials 2] [--jobs 2] [--keep-logs DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cpython_retrieval.adapters.inspect_models import REFERENCE_MODELS
from cpython_retrieval.adapters.oracle_server import start_oracle_server

PRICES = """# Illustrative prices (USD per million tokens) for the sample report; not any provider's real prices.
models:
  openai-api/local/oracle: {input: 3.0, cached_input: 0.3, output: 15.0}
  cpython_retrieval/memorizer: {input: 0.5, output: 1.5}
  cpython_retrieval/memorizer-3.11.7: {input: 0.5, output: 1.5}
"""
MODELS = ("cpython_retrieval/oracle", "cpython_retrieval/memorizer", "cpython_retrieval/shotgun",
          "cpython_retrieval/known") + (("cpython_retrieval/grep",) if "grep" in REFERENCE_MODELS else ())
#: Run on the first and the last tier only: a model that skipped a tier (no line drawn across it).
EDGE_TIER_MODELS = ("cpython_retrieval/memorizer-3.11.7",)
JUDGE = "cpython_retrieval/grader"


def inspect_eval(task: str, model: str, log_dir: Path, env=None, task_args=()) -> None:
    cmd = ["inspect", "eval", task, "--model", model, "-T", f"judge={JUDGE}", *task_args, "--log-dir", str(log_dir),
           "--display", "none"]
    subprocess.run(cmd, check=True, env={**os.environ, **(env or {})})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/sample-report"))
    parser.add_argument("--tiers", default="T25,T200,T1000", help="comma-separated tiers to run")
    parser.add_argument("--keep-logs", type=Path, help="also copy the dataset, logs and prices file here (to rerun the report)")
    parser.add_argument("--size", choices=["default", "full"], default="default", help="canonical dataset size")
    parser.add_argument("--trials", type=int, default=3, help="calls per row: one cold and trials-1 warm (default 3)")
    parser.add_argument("--jobs", type=int, default=1, help="evals run at once (default 1)")
    args = parser.parse_args()
    tiers = args.tiers.split(",")
    task_args = ("-T", f"size={args.size}", "-T", f"trials={args.trials}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        runs = [(tier, model) for tier in tiers
                for model in MODELS + (EDGE_TIER_MODELS if tier in (tiers[0], tiers[-1]) else ())]

        def run(tier_model):
            print(" ".join(tier_model), flush=True)
            inspect_eval(f"cpython_retrieval/{tier_model[0]}", tier_model[1], root / "logs", task_args=task_args)

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            list(pool.map(run, runs))
        for tier in tiers:
            server, base_url = start_oracle_server(first_token_delay=0.05, prefill_per_token=2e-6)
            try:
                inspect_eval(f"cpython_retrieval/{tier}", "openai-api/local/oracle", root / "logs",
                             env={"LOCAL_BASE_URL": base_url, "LOCAL_API_KEY": "unused"}, task_args=task_args)
            finally:
                server.stop()
        (root / "prices.yaml").write_text(PRICES)
        if args.out.exists():
            shutil.rmtree(args.out)
        subprocess.run([sys.executable, "-m", "cpython_retrieval", "report", str(root / "logs"), "--out", str(args.out),
                        "--prices", str(root / "prices.yaml"), "--quiet"], check=True)
        (args.out / "summary.json").unlink()  # the docs show the report; the JSON is regenerated by anyone who runs it
        if args.keep_logs:
            shutil.copytree(root, args.keep_logs, dirs_exist_ok=True)
    print(f"sample report written to {args.out}")


if __name__ == "__main__":
    main()
