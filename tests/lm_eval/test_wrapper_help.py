"""`cpython-retrieval lm-eval --help`: what the wrapper adds first, then lm_eval's own options without --include_path."""

from __future__ import annotations

import argparse
import re

from hypothesis import given
from hypothesis import strategies as st

from cpython_retrieval.lm_eval_tasks.wrapper import drop_option

from .conftest import BIN, run

#: What the wrapper adds, each named in its help before lm_eval's options.
ADDITIONS = ("--include_path", "context-window guard", "truncation tripwire", "send order", "per-row log",
             "--raw_samples", "exit codes")


def _option_entries(text: str) -> list[str]:
    """Option names that argparse lists as entries (two-space indent, then a dash)."""
    names = []
    for match in re.finditer(r"^  (-\S+(?: \S+)?(?:, -\S+(?: \S+)?)*)", text, re.MULTILINE):
        names.extend(part.split()[0].rstrip(",") for part in match.group(1).split(", "))
    return names


def test_help_starts_with_the_wrapper_and_lists_no_include_path(tmp_path):
    for args in (["--help"], ["-h"], ["run", "--help"]):
        proc = run([str(BIN / "cpython-retrieval"), "lm-eval", *args], cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        text = proc.stdout
        assert text.startswith("usage: cpython-retrieval lm-eval")
        own = text.index("lm_eval run options")
        for addition in ADDITIONS:
            assert -1 < text.find(addition) < own, addition
        entries = _option_entries(text[own:])
        assert "--include_path" not in entries and "task management:" not in text
        assert {"--model", "--model_args", "--tasks", "--output_path", "--log_samples", "--metadata"} <= set(entries)
    validate = run([str(BIN / "cpython-retrieval"), "lm-eval", "validate", "--help"], cwd=tmp_path)
    assert validate.returncode == 0 and "lm_eval validate options" in validate.stdout
    assert "--include_path" not in _option_entries(validate.stdout[validate.stdout.index("lm_eval validate options"):])


_NAMES = st.lists(st.from_regex(r"[a-z][a-z_]{1,12}", fullmatch=True), min_size=1, max_size=10, unique=True)


@given(names=_NAMES, sizes=st.lists(st.integers(min_value=1, max_value=4), min_size=10, max_size=10),
       pick=st.integers(min_value=0))
def test_drop_option_removes_exactly_one_entry(names, sizes, pick):
    groups, rest = [], list(names)
    for size in sizes:
        if rest:
            groups.append(rest[:size])
            rest = rest[size:]
    parser = argparse.ArgumentParser(prog="x", add_help=False)
    for g, group in enumerate(groups):
        grp = parser.add_argument_group(f"group {g}")
        for name in group:
            grp.add_argument(f"--{name}", metavar="<v>", help=f"what {name} does, " + "long words " * 8)
    target = names[pick % len(names)]
    dropped = drop_option(parser.format_help(), f"--{target}")
    assert _option_entries(dropped) == [f"--{n}" for n in names if n != target]
    assert f"what {target} does" not in dropped
    for g, group in enumerate(groups):
        assert (f"group {g}:" in dropped) == (group != [target])
