"""The package as users get it: a wheel and an sdist that pass `twine check`, and a wheel installed into a fresh
virtualenv that runs the README's main command and the lm-eval wrapper from an unrelated folder (so nothing comes
from this checkout: the bundled dataset, pin manifests and lm-eval YAMLs must all be package data).

The wheel is installed without its dependencies, which the fresh virtualenv borrows from the one running the tests
(a plain path in a `.pth` file, after the venv's own site-packages, so `cpython_retrieval` itself comes only from
the wheel): resolving inspect-ai and lm-eval again would take a minute of the suite. That the dependencies are
declared right is what `.ci/run` checks, by installing the checkout into an empty virtualenv."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _run(args, cwd, timeout=900, env=None):
    proc = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    assert proc.returncode == 0, f"{args} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", out, ROOT], cwd=out)
    return out


def test_wheel_and_sdist_pass_twine_check(dist):
    wheel, sdist = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    assert len(wheel) == 1 and len(sdist) == 1
    proc = _run([sys.executable, "-m", "twine", "check", "--strict", *wheel, *sdist], cwd=dist)
    assert proc.stdout.count("PASSED") == 2


def test_the_installed_wheel_runs_the_main_command_and_lm_eval_from_elsewhere(dist, tmp_path):
    wheel = next(dist.glob("*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    _run([bin_dir / "python", "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel], cwd=tmp_path)
    own_site = Path(_run([bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         cwd=tmp_path).stdout.strip())
    (own_site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    offline = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "INSPECT_DISPLAY": "none", "NO_COLOR": "1",
               "XDG_CACHE_HOME": str(tmp_path / "cache")}  # an empty cache: nothing built before
    proc = _run([bin_dir / "python", "-c", "import cpython_retrieval, sys; print(cpython_retrieval.__file__)"],
                cwd=elsewhere)
    assert str(env_dir) in proc.stdout and str(ROOT) not in proc.stdout
    _run([bin_dir / "python", "-m", "inspect_ai", "eval", "cpython_retrieval/T25", "--model", "cpython_retrieval/oracle",
          "--log-dir", "logs"], cwd=elsewhere, env=offline)
    from inspect_ai.log import list_eval_logs, read_eval_log

    log = read_eval_log(list_eval_logs(str(elsewhere / "logs"))[0])
    assert log.status == "success" and log.results.scores[0].metrics["accuracy"].value == 1.0
    assert log.eval.metadata["dataset_origin"] == "canonical" and log.eval.metadata["dataset_fingerprint"]
    proc = _run([bin_dir / "cpython-retrieval", "lm-eval", "--model", "dummy", "--limit", "2"], cwd=elsewhere,
                env=offline)
    assert "cpython_retrieval" in proc.stdout
    # the wheel's lm_eval.tasks entry point, found and indexed as lm-eval pull request #4015 does
    discover = ("import runpy, sys; from lm_eval.tasks import TaskManager; "
                "(folder,) = runpy.run_path(sys.argv[1])['plugin_task_folders']('cpython_retrieval'); print(folder); "
                "print(' '.join(sorted(TaskManager(include_path=str(folder), include_defaults=False).all_tasks)))")
    folder, tasks = _run([bin_dir / "python", "-c", discover, ROOT / "tests" / "lm_eval" / "plugin_discovery.py"],
                         cwd=elsewhere).stdout.strip().splitlines()[-2:]
    assert folder.startswith(str(env_dir))
    tiers = (25, 50, 100, 200, 500, 1000)
    assert {"cpython_retrieval", *(f"cpython_retrieval_t{k}" for k in tiers)} <= set(tasks.split())
