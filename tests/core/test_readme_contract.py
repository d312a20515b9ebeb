"""The README's Quickstart is exactly two commands, and .ci/run runs what it says."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quickstart", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quickstart_is_two_commands_install_and_test():
    install, test = quickstart_commands()
    assert "pip install -e '.[dev]'" in install
    assert test == "python -m pytest"


def test_ci_installs_and_tests_as_the_readme_says():
    ci = (ROOT / ".ci" / "run").read_text()
    install, test = quickstart_commands()
    assert "python -m pip install --quiet -e '.[dev]'" in ci and "pip install -e '.[dev]'" in install
    assert f"\n{test}\n" in ci
    assert '"$rc" -eq 5' in ci  # no-tests-collected must fail
    main_job = install.split("&& ")[-1]
    assert main_job == "inspect eval cpython_retrieval/T25 --model cpython_retrieval/oracle"
    assert main_job in ci  # CI runs the README's main command too


def test_the_docs_quickstart_is_the_readmes():
    docs = (ROOT / "docs" / "index.md").read_text()
    block = re.search(r"```bash\n(.*?)```", docs.split("## Quickstart", 1)[1], re.S).group(1)
    assert [line for line in block.splitlines() if line.strip()] == quickstart_commands()


def test_the_readme_names_the_fast_subset():
    assert 'python -m pytest -m "not slow"' in (ROOT / "README.md").read_text()
