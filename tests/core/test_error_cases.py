"""Expected problems end every command with one line naming the problem and the fix, and exit code 2, before any
long work (the cases a new user met, issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "INSPECT_DISPLAY": "none", "NO_COLOR": "1"}


def _run(args: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)


def _one_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    errors = [line for line in proc.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


CLI = [sys.executable, "-m", "cpython_retrieval"]


@pytest.mark.parametrize("args, needles", [
    (["build", "--tiers", "", "--out", "ds"], ["--tiers", "no tier given"]),
    (["build", "--tiers", "T25,X9", "--out", "ds"], ["--tiers", "T<thousands of tokens>"]),
    (["build", "--max-file-tokens", "0", "--out", "ds"], ["--max-file-tokens", "at least 1"]),
    (["build", "--per-tier", "0", "--out", "ds"], ["--per-tier", "at least 1"]),
    (["build", "--ladders", "0", "--out", "ds"], ["--ladders", "at least 1"]),
    (["build", "--tiers", "T25", "--ladders", "T50=3", "--out", "ds"], ["--ladders", "T50", "name only built tiers"]),
    (["build", "--perturbed-share", "nan", "--out", "ds"], ["--perturbed-share"]),
    (["build", "--perturbed-share", "1", "--out", "ds"], ["--perturbed-share", "below 1"]),
    (["build", "--drift-share", "-0.5", "--out", "ds"], ["--drift-share"]),
    (["build", "--question-types", "", "--out", "ds"], ["--question-types", "choose from"]),
    (["build", "--pin", "2.7.18", "--out", "ds"], ["2.7.18", "supported pins"]),
    (["build", "--tokenizer", "nonsense", "--out", "ds"], ["tokenizer", "o200k_base"]),
    (["build", "--source", "/nonexistent/cpython", "--allow-mismatch", "--pin", "9.9.9", "--out", "ds"], ["--source"]),
    (["pins", "fetch", "9.9.9"], ["9.9.9", "supported pins"]),
    (["report", "nowhere", "--out", "r"], ["nowhere", "does not exist"]),
    # a tier off the standard ladder is a typo unless asked for
    (["build", "--tiers", "T30", "--out", "ds"], ["--tiers T30", "T25,T50,T100,T200,T500,T1000", "--custom-tiers"]),
    (["report", ".", "--threshold", "1.5", "--out", "r"], ["--threshold", "between 0 and 1"]),
    (["report", ".", "--threshold", "nan", "--out", "r"], ["--threshold", "between 0 and 1"]),
])
def test_bad_cli_input_is_one_line_and_exit_two_before_any_work(tmp_path, args, needles):
    started = time.perf_counter()
    _one_line(_run([*CLI, *args], tmp_path), *needles)
    assert time.perf_counter() - started < 60, "refused at once, not after a build"
    assert not (tmp_path / "ds").exists() and not (tmp_path / "r").exists()


def test_a_tier_ask_beyond_what_it_offers_warns(tmp_path):
    proc = _run([*CLI, "build", "--tiers", "T25", "--per-tier", "100000", "--perturbed-share", "0", "--drift-share", "0",
                 "--out", "ds", "--quiet"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    warning = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "T25" in warning[0] and "of the 100,000 ordinary questions" in warning[0]


@pytest.mark.slow
def test_inspect_mistyped_dataset_folder(tmp_path):
    (tmp_path / "out" / "dataset").mkdir(parents=True)
    proc = _run([str(BIN / "inspect"), "eval", "cpython_retrieval/T25", "--model", "cpython_retrieval/oracle",
                 "-T", "dataset=out/datset"], tmp_path)
    line = _one_line(proc, "out/datset", "no such folder", "did you mean out/dataset", "-T dataset=DIR")
    assert "revision" not in line.split(";")[0]


@pytest.mark.parametrize("margin, needles", [
    ("-0.9", ["context_margin", "from 0 to 1"]),
    ("NaN", ["context_margin", "from 0 to 1"]),
    ('"nan"', ["context_margin", "from 0 to 1"]),
    ('"lots"', ["context_margin", "a number"]),
    # not JSON (lower-case nan): the wrapper leaves it to lm_eval's parser, so this one loads lm-eval
    pytest.param("nan", ["lm_eval rejected its arguments", "JSON"], marks=pytest.mark.slow)])
def test_lm_eval_bad_context_margin(tmp_path, margin, needles):
    proc = _run([str(BIN / "cpython-retrieval"), "lm-eval", "--model", "local-completions", "--model_args",
                 "base_url=http://127.0.0.1:9/v1/completions,model=m,tokenizer_backend=none", "--tasks",
                 "cpython_retrieval_t25", "--metadata", f'{{"context_window": 8192, "context_margin": {margin}}}'],
                tmp_path)
    _one_line(proc, *needles)


@pytest.mark.slow
def test_lm_eval_hub_dataset_without_revision_names_lm_evals_key(tmp_path):
    proc = _run([str(BIN / "cpython-retrieval"), "lm-eval", "--model", "dummy", "--tasks", "cpython_retrieval_t25",
                 "--metadata", '{"dataset": "org/name"}', "--limit", "1"], tmp_path)
    _one_line(proc, "org/name", "dataset_revision")


def test_pins_fetch_names_its_own_flag_and_no_build_flags(tmp_path):
    proc = _run([*CLI, "pins", "fetch", "3.13.15", "--tarball", str(tmp_path / "missing.tar.xz")], tmp_path)
    line = _one_line(proc, "3.13.15", "--tarball PATH_OR_URL")
    assert "--source" not in line and "--allow-mismatch" not in line
    line = _one_line(_run([*CLI, "pins", "fetch", "9.9.9"], tmp_path), "supported pins", "shipped pin")
    assert "--source" not in line and "--allow-mismatch" not in line


def test_report_refuses_a_bad_prices_file_before_reading_any_log(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "broken.eval").write_bytes(b"not a log")  # reading it would fail with another message
    line = _one_line(_run([*CLI, "report", str(logs), "--prices", "/nonexistent.yaml", "--out", "r"], tmp_path),
                     "--prices /nonexistent.yaml", "models:")
    assert "broken.eval" not in line and not (tmp_path / "r").exists()


@pytest.mark.parametrize("model_args, needles", [
    ([], ["unknown reference model cpython_retrieval/orcale", "cpython_retrieval/oracle, cpython_retrieval/grep, cpython_retrieval/memorizer"]),
    (["-M", "recall_pin=3.11.7"], ["-M recall_pin", "only applies to cpython_retrieval/memorizer"]),
    (["-M", "recal_pin=3.11.7"], ["unknown model argument", "-M recal_pin", "-M delay"]),
])
def test_inspect_reference_model_mistakes_are_one_line(tmp_path, model_args, needles):
    model = "cpython_retrieval/orcale" if not model_args else "cpython_retrieval/oracle"
    proc = _run([str(BIN / "inspect"), "eval", "cpython_retrieval/T25", "--model", model, *model_args, "--limit", "1",
                 "--log-dir", "logs"], tmp_path)
    _one_line(proc, *needles)
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr  # not a 200-line exception group
    assert not list((tmp_path / "logs").glob("*.eval"))  # refused before the eval started


@pytest.mark.slow
def test_build_benchmark_measures_floors_on_the_source_it_built(tmp_path):
    """The floors read the pin's Lib/ as the build resolves it, not the interpreter's (which crashed on 3.12.1, a
    release with no shipped pin: the build used the canonical pin's source, the floors the running stdlib)."""
    from cpython_retrieval.sources.fetch import cached_source
    from cpython_retrieval.sources.pins import CANONICAL_PIN, load_pin

    if cached_source(load_pin(CANONICAL_PIN)) is None:
        pytest.skip(f"CPython {CANONICAL_PIN} source not cached (cpython-retrieval pins fetch {CANONICAL_PIN})")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, str(root / "benchmarks" / "build.py"), "--repeat", "1", "--tiers", "T25",
                           "--pin", CANONICAL_PIN], cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"CPython {CANONICAL_PIN} Lib/ (cache source)" in proc.stdout and "floor A" in proc.stdout
