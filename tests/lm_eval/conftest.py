"""Shared fixtures for the lm-eval adapter tests: small dataset builds and the oracle server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("lm_eval")
pytest.importorskip("datasets")

from cpython_retrieval.dataset.store import write_dataset  # noqa: E402
from cpython_retrieval.generate.stages import build_dataset  # noqa: E402

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def small_ds(tmp_path_factory) -> Path:
    """T25 and T50, 10 ordinary questions each (plus the perturbed share): the end-to-end tests' data."""
    out = tmp_path_factory.mktemp("lmeval_small")
    write_dataset(build_dataset(tiers=["T25", "T50"], per_tier=10), out)
    return out


@pytest.fixture(scope="session")
def all_tiers_ds(tmp_path_factory) -> Path:
    """Every tier T25..T1000 with 2 questions each: enough for the group (which covers every tier)."""
    out = tmp_path_factory.mktemp("lmeval_all")
    write_dataset(build_dataset(per_tier=2), out)
    return out


@pytest.fixture()
def oracle_server():
    from cpython_retrieval.adapters.oracle_server import (
        start_oracle_server,
        stop_oracle_server,
    )

    server, base_url = start_oracle_server(0, first_token_delay=0.0)
    try:
        yield server, base_url
    finally:
        stop_oracle_server(server)


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("CPYTHON_RETRIEVAL_DATASET", "LMEVAL_LOG_LEVEL")}
    out.update(HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", OPENAI_API_KEY="unused",
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    out.update(extra)
    return out


def run(args: list[str], *, cwd: Path, timeout: int = 300, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env(**extra_env), capture_output=True, text=True, timeout=timeout)
