"""CPU of the reference models against a minimal Inspect task in the same run, and of the local server.

Two Inspect runs per tier, each in its own process (CPU and peak RSS from `os.wait4`):

- oracle: `cpython_retrieval/T<k>` with `--model cpython_retrieval/oracle` (the project's task and
  solver: three calls per sample, scorers, metrics);
- minimal (the peer): the same samples and the same prompt messages, a solver that calls
  `generate` the same number of times, a model API that answers a constant, one trivial scorer.

The ratio oracle / minimal is what the reference model and the project's task add over what any
Inspect task making those calls costs (aim <= 1.5x). With `--decompose`, a third run (the project's
task with the constant model) splits that into the task's share and the model's. Then the local OpenAI-compatible server
(`adapters.oracle_server`) in its own process answers every row of the largest tier once, in
dataset order, non-streamed; its CPU per request (minus an idle start/stop of the same server) is
reported (aim < 0.1 s). Log sizes of both Inspect runs are printed too.

Usage: python benchmarks/reference_cpu.py [--dataset DIR] [--tiers T100,T1000] [--trials 3] [--decompose]
(without --dataset, the tiers are built into a temporary folder first, which is not timed).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()


# -- the child processes -------------------------------------------------------------------------

def _register_constant_model() -> None:
    """`constant_bench/constant`: answers `NOT PRESENT` to everything, at once, with no usage figures."""
    from inspect_ai.model import GenerateConfig, ModelOutput, modelapi
    from inspect_ai.model._model import ModelAPI

    @modelapi(name="constant_bench")
    class ConstantAPI(ModelAPI):
        def __init__(self, model_name, base_url=None, api_key=None, config=None, **kwargs):
            super().__init__(model_name=model_name, base_url=base_url, api_key=api_key, api_key_vars=[],
                             config=config or GenerateConfig())

        def max_connections(self) -> int:
            return 8  # as the reference models

        async def generate(self, input, tools, tool_choice, config):
            return ModelOutput.from_content(model="constant_bench/constant", content="NOT PRESENT")


def _minimal_task(dataset: str, tier: str, trials: int):
    """The peer: same samples and messages, `trials` plain generate calls, a constant model, one scorer."""
    from inspect_ai import Task
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.model import get_model
    from inspect_ai.scorer import includes
    from inspect_ai.solver import solver

    from cpython_retrieval.dataset.store import load_contexts, load_rows
    from cpython_retrieval.prompt import prompt_parts
    from cpython_retrieval.tasks.solver import build_messages

    rows = load_rows(dataset, tier)
    contexts = load_contexts(dataset, {r["context_id"] for r in rows})

    @solver
    def same_calls():
        async def solve(state, generate):
            md = state.metadata
            messages = build_messages(prompt_parts(md["question"], contexts[md["context_id"]]))
            model = get_model()
            output = None
            for _ in range(trials):
                out = await model.generate(messages, cache=False)
                output = output or out
            state.output = output
            state.messages.append(output.message)
            return state

        return solve

    samples = [Sample(id=r["id"], input=f"Question: {r['question']}", target=r["answer"],
                      metadata={k: v for k, v in r.items() if k != "context"}) for r in rows]
    return Task(dataset=MemoryDataset(samples), solver=same_calls(), scorer=includes(), name=f"minimal_{tier}")


def child(kind: str, dataset: str, tier: str, trials: int, log_dir: str) -> None:
    """Run one Inspect eval in this process (display off)."""
    from inspect_ai import eval as inspect_eval

    _register_constant_model()
    if kind in ("oracle", "task"):
        model = "cpython_retrieval/oracle" if kind == "oracle" else "constant_bench/constant"
        logs = inspect_eval(f"cpython_retrieval/{tier}", model=model, task_args={"dataset": dataset, "trials": trials},
                            log_dir=log_dir, display="none")
    else:
        logs = inspect_eval(_minimal_task(dataset, tier, trials), model="constant_bench/constant", log_dir=log_dir,
                            display="none")
    if logs[0].status != "success":
        raise SystemExit(f"{kind} {tier}: {logs[0].status} {logs[0].error}")


# -- measuring -----------------------------------------------------------------------------------

def run_measured(args: list[str]) -> dict:
    """Run a Python child to the end; its CPU seconds (user + sys) and peak RSS, from wait4."""
    env = {**os.environ, "INSPECT_DISPLAY": "none", "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read()
    figures = wait_usage(proc)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{output.decode()[-3000:]}")
    return {**figures, "wall_s": time.perf_counter() - start}


def wait_usage(proc: subprocess.Popen) -> dict:
    """Reap the child (setting its returncode); its CPU seconds (user + sys) and peak RSS, from wait4."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "rss_gb": usage.ru_maxrss / 1024**2}


def inspect_run(kind: str, dataset: str, tier: str, trials: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"refcpu-{kind}-") as log_dir:
        figures = run_measured([str(HERE), "--child", kind, "--dataset", dataset, "--tiers", tier,
                                "--trials", str(trials), "--log-dir", log_dir])
        logs = list(Path(log_dir).glob("*.eval"))
        figures["log_mb"] = sum(p.stat().st_size for p in logs) / 1e6
    return figures


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_run(dataset: str, tier: str, requests: bool) -> tuple[dict, int]:
    """Start the oracle server in a child process; send every row of `tier` once (or nothing); stop it."""
    from cpython_retrieval.dataset.store import load_contexts, load_rows
    from cpython_retrieval.prompt import prompt_parts

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cpython_retrieval.adapters.oracle_server", "--port", str(port),
                             "--first-token-delay", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    proc.stdout.readline()  # "oracle server listening on ..."
    sent = 0
    if requests:
        rows = load_rows(dataset, tier)
        contexts = load_contexts(dataset, {r["context_id"] for r in rows})
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        for row in rows:
            parts = prompt_parts(row["question"], contexts[row["context_id"]])
            content = [{"type": "text", "text": t} for t in (parts.instructions, parts.context_block, parts.question_block)]
            body = json.dumps({"model": "oracle", "messages": [{"role": "user", "content": content}], "max_tokens": 256})
            conn.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
            reply = json.loads(conn.getresponse().read())
            if reply["choices"][0]["message"]["content"] != row["answer"]:
                raise SystemExit(f"server answered {row['id']} wrongly")
            sent += 1
        conn.close()
    proc.send_signal(signal.SIGTERM)
    return wait_usage(proc), sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", help="a built dataset folder (default: build the tiers into a temp folder)")
    parser.add_argument("--tiers", default="T100,T1000")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--child", choices=["oracle", "task", "minimal"], help=argparse.SUPPRESS)
    parser.add_argument("--log-dir", help=argparse.SUPPRESS)
    parser.add_argument("--skip-inspect", action="store_true", help="only the server measurement")
    parser.add_argument("--skip-server", action="store_true", help="only the Inspect measurements")
    parser.add_argument("--decompose", action="store_true",
                        help="also run the project's task with the constant model (the task's own share)")
    args = parser.parse_args()
    tiers = args.tiers.split(",")
    if args.child:
        child(args.child, args.dataset, tiers[0], args.trials, args.log_dir)
        return
    with tempfile.TemporaryDirectory(prefix="refcpu-ds-") as tmp:
        dataset = args.dataset
        if dataset is None:
            from cpython_retrieval.dataset.store import write_dataset
            from cpython_retrieval.generate.stages import build_dataset

            dataset = tmp
            write_dataset(build_dataset(tiers=tiers), dataset)
        from cpython_retrieval.dataset.store import read_manifest

        manifest = read_manifest(dataset)
        if not args.skip_inspect:
            print(f"{'tier':<6} {'rows':>5} {'oracle CPU':>11} {'minimal CPU':>12} {'ratio':>6} {'oracle RSS':>11} "
                  f"{'minimal RSS':>12} {'oracle log':>11} {'minimal log':>12}  (aim: ratio <= 1.5x)", flush=True)
            for tier in tiers:
                oracle = inspect_run("oracle", dataset, tier, args.trials)
                minimal = inspect_run("minimal", dataset, tier, args.trials)
                print(f"{tier:<6} {manifest['tiers'][tier]['rows']:>5} {oracle['cpu_s']:>9.1f} s {minimal['cpu_s']:>10.1f} s "
                      f"{oracle['cpu_s'] / minimal['cpu_s']:>5.2f}x {oracle['rss_gb']:>8.2f} GB {minimal['rss_gb']:>9.2f} GB "
                      f"{oracle['log_mb']:>8.1f} MB {minimal['log_mb']:>9.1f} MB", flush=True)
                if args.decompose:
                    task = inspect_run("task", dataset, tier, args.trials)
                    print(f"{'':<6} {'':>5} project task with the constant model: {task['cpu_s']:.1f} s CPU "
                          f"({task['cpu_s'] / minimal['cpu_s']:.2f}x minimal), {task['rss_gb']:.2f} GB", flush=True)
        if args.skip_server:
            return
        tier = tiers[-1]
        idle, _ = server_run(dataset, tier, requests=False)
        busy, sent = server_run(dataset, tier, requests=True)
        per_request = (busy["cpu_s"] - idle["cpu_s"]) / sent
        print(f"local server, {tier}: {sent} requests, {busy['cpu_s']:.1f} s CPU ({idle['cpu_s']:.1f} s of it "
              f"start/stop), {per_request:.3f} s per request (aim < 0.1 s), peak RSS {busy['rss_gb']:.2f} GB")


if __name__ == "__main__":
    main()
