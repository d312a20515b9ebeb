"""Shared fixtures for the Inspect adapter tests: one small dataset per session, and `inspect` as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")

from cpython_retrieval.dataset.store import write_dataset  # noqa: E402
from cpython_retrieval.generate.stages import build_dataset  # noqa: E402

PER_TIER = 20


def inspect_exe() -> str:
    local = Path(sys.executable).parent / "inspect"
    return str(local) if local.exists() else (shutil.which("inspect") or "inspect")


@pytest.fixture(scope="session")
def small_built():
    """T25 and T50 with 20 ordinary rows each, plus the builder's perturbation rows."""
    return build_dataset(tiers=["T25", "T50"], per_tier=PER_TIER)


@pytest.fixture(scope="session")
def small_dataset(small_built, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("inspect-dataset")
    write_dataset(small_built, out)
    return out


def run_inspect(args: list[str], *, env: dict[str, str] | None = None, check: bool = True,
                timeout: float = 240) -> subprocess.CompletedProcess:
    """Run `inspect ARGS` offline with no display; fail with its output when it exits non-zero."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "INSPECT_DISPLAY": "none", "NO_COLOR": "1", **(env or {})}
    proc = subprocess.run([inspect_exe(), *args], capture_output=True, text=True, env=full_env, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"inspect {' '.join(args)} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def eval_logs(log_dir: Path):
    """Every log in `log_dir`, read with `inspect_ai.log`, oldest first."""
    from inspect_ai.log import list_eval_logs, read_eval_log

    infos = list_eval_logs(str(log_dir))
    logs = [read_eval_log(info) for info in infos]
    return sorted(logs, key=lambda log: log.eval.created)
