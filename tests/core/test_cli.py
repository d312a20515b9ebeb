"""The `cpython-retrieval` command as a user runs it: a subprocess, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "cpython_retrieval", *args], capture_output=True, text=True, **kw)


def test_build_writes_a_dataset_folder(tmp_path):
    out = tmp_path / "ds"
    result = run("build", "--tiers", "T25", "--per-tier", "12", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tiers"]["T25"]["rows"] >= 12 and (out / "data" / "T25.parquet").is_file()
    card = (out / "README.md").read_text()
    assert card.startswith("---\n") and "config_name: T25" in card and "config_name: contexts" in card


def test_bad_input_is_one_line_with_exit_code_2(tmp_path):
    result = run("build", "--pin", "1.0.0", "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: no manifest for CPython 1.0.0")
    result = run("build", "--source", str(tmp_path), "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and "not a CPython checkout" in result.stderr


def test_bad_arguments_are_usage_errors(tmp_path):
    assert run("build", "--tiers", "T2x", "--out", str(tmp_path)).returncode == 2
    assert run("build", "--question-types", "nope", "--out", str(tmp_path)).returncode == 2


def test_help_explains_every_build_option():
    text = run("build", "--help").stdout
    for option in ("--pin", "--source", "--tiers", "--per-tier", "--seed", "--tokenizer", "--question-types",
                   "--max-file-tokens", "--allow-mismatch", "--offline", "--out", "--quiet"):
        assert option in text, option


def test_pins_list():
    result = run("pins", "list")
    assert result.returncode == 0 and "3.11.7" in result.stdout.split()
