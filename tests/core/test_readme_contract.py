"""The README's Quickstart is two commands (the main job with only the extra it needs, then the test extras and the
tests), the docs home page shows the same two whole, and .ci/run installs and runs what they say."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAIN_JOB = "inspect eval cpython_retrieval/T25 --model cpython_retrieval/oracle"
#: The widest code line the docs theme (mkdocs material) shows without a scroll bar in its content column.
DOCS_CODE_WIDTH = 72


def quickstart_blocks(path: Path) -> list[str]:
    """The Quickstart section's bash code blocks, as written (one command each)."""
    section = path.read_text(encoding="utf-8").split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


def as_command(block: str) -> str:
    """A block as the shell reads it: continuation lines joined, runs of spaces collapsed."""
    return " ".join(block.replace("\\\n", " ").split())


def quickstart_commands(path: Path = ROOT / "README.md") -> list[str]:
    return [as_command(block) for block in quickstart_blocks(path)]


def test_quickstart_is_the_main_job_then_the_tests():
    first, second = quickstart_commands()
    assert "pip install -e '.[inspect]'" in first and "[dev]" not in first  # only what the main job needs
    assert first.endswith(f"&& {MAIN_JOB}")
    assert second == "pip install -e '.[dev]' && python -m pytest"


def test_ci_installs_and_tests_as_the_readme_says():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    first, second = quickstart_commands()
    install_inspect = ci.index("python -m pip install --quiet -e '.[inspect]'\n")
    main_job = ci.index(f"\n{MAIN_JOB}")
    install_dev = ci.index("python -m pip install --quiet -e '.[dev]'\n")
    tests = ci.index("\npython -m pytest\n")
    assert install_inspect < main_job < install_dev < tests  # the README's order: main job, then test extras, tests
    assert second.endswith("&& python -m pytest")
    assert '"$rc" -eq 5' in ci  # no-tests-collected must fail


def test_the_docs_quickstart_is_the_readmes_and_shows_each_command_whole():
    docs = ROOT / "docs" / "index.md"
    assert quickstart_commands(docs) == quickstart_commands()
    for block in quickstart_blocks(docs):
        assert max(len(line) for line in block.splitlines()) <= DOCS_CODE_WIDTH, block


def test_the_readme_names_the_fast_subset():
    assert 'python -m pytest -m "not slow"' in (ROOT / "README.md").read_text(encoding="utf-8")
