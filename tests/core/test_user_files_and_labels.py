"""Nothing of the user's is deleted, every label is true, and the small fault paths end in one line (issue 21)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cpython_retrieval.dataset import verified_path
from cpython_retrieval.dataset.resolve import INSPECT_SPELLING, LM_EVAL_SPELLING, resolve_dataset
from cpython_retrieval.dataset.store import (
    DatasetCorrupt,
    check_output_dir,
    dataset_identity,
    foreign_files,
    load_contexts,
    load_rows,
    read_manifest,
    source_mismatch,
    write_dataset,
)
from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.generate.stages import build_dataset
from cpython_retrieval.sources.pins import check_pin_name, load_pin

from .test_corpus_and_sources import GOOD, make_lib

CLI = [sys.executable, "-m", "cpython_retrieval"]


@pytest.fixture(scope="module")
def tiny_built():
    return build_dataset(tiers=["T25"], per_tier=6)


@pytest.fixture
def folder(tiny_built, tmp_path):
    write_dataset(tiny_built, tmp_path / "ds")
    return tmp_path / "ds"


# --- item 5: build --out never deletes the user's files ---------------------------------------------------------

def test_a_previous_build_plus_a_note_is_refused_and_the_note_kept(folder, tiny_built):
    (folder / "my_notes.txt").write_text("mine")
    assert foreign_files(folder) == ["my_notes.txt"]
    with pytest.raises(RetrievalError, match="my_notes.txt"):
        write_dataset(tiny_built, folder)
    assert (folder / "my_notes.txt").read_text() == "mine"
    read_manifest(folder)  # the build itself is untouched too


def test_a_bare_generator_manifest_does_not_make_a_folder_ours(tmp_path, tiny_built):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"generator": "cpython-retrieval"}))
    (out / "thesis.tex").write_text("\\documentclass{article}")
    assert foreign_files(out) == ["manifest.json", "thesis.tex"]
    with pytest.raises(RetrievalError, match="not a previous build"):
        write_dataset(tiny_built, out)
    assert (out / "thesis.tex").is_file()


@pytest.mark.parametrize("extra", ["data/extra.parquet", "data/sub/x.txt", ".hidden", "README.md.bak"])
def test_any_unlisted_file_is_the_users(folder, extra):
    path = folder / extra
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    with pytest.raises(RetrievalError, match="not a previous build"):
        check_output_dir(folder)
    assert path.read_text() == "x"


def test_a_previous_build_alone_is_replaced(folder, tiny_built):
    assert foreign_files(folder) == []
    write_dataset(tiny_built, folder)
    read_manifest(folder)


def test_cli_refuses_in_one_line_exit_2(folder):
    (folder / "my_notes.txt").write_text("mine")
    proc = subprocess.run([*CLI, "build", "--out", str(folder), "--tiers", "T1", "--custom-tiers", "--per-tier", "1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "my_notes.txt" in proc.stderr
    assert (folder / "my_notes.txt").read_text() == "mine"


# --- item 3: labels ---------------------------------------------------------------------------------------------

def _lib(tmp_path: Path, undecodable: bool = False) -> Path:
    lib = make_lib(tmp_path / "src", {f"m{i}.py": GOOD.replace("Alpha", f"Alpha{i}") for i in range(6)})
    if undecodable:
        (lib / "broken.py").write_bytes(b"# -*- coding: utf-8 -*-\nx = '\xff'\n")
    return lib


def test_a_source_that_does_not_match_the_pin_is_refused_in_the_callers_spelling(tmp_path):
    lib = _lib(tmp_path)
    for spelling, flag in ((INSPECT_SPELLING, "-T allow_mismatch=true"), (LM_EVAL_SPELLING, '"allow_mismatch": true')):
        with pytest.raises(RetrievalError) as err:
            resolve_dataset(pin="3.13.0", source=str(lib), cache_dir=tmp_path / "cache", spelling=spelling)
        assert flag in str(err.value) and "\n" not in str(err.value) and "3.13.0" in str(err.value)
    assert not (tmp_path / "cache" / "datasets").exists() or not any((tmp_path / "cache" / "datasets").iterdir())


def test_an_explicit_mismatch_is_labelled_with_the_files(tmp_path):
    lib = _lib(tmp_path, undecodable=True)
    resolved = resolve_dataset(pin="3.13.0", source=str(lib), cache_dir=tmp_path / "cache", allow_mismatch=True)
    manifest = read_manifest(resolved.path)
    identity = dataset_identity(manifest)
    assert identity["cpython_version"] == "3.13.0" and identity["source_matches_pin"] is False
    detail = source_mismatch(manifest)
    assert "broken.py" in detail["dropped_files"] and "undecodable" in detail["dropped_files"]["broken.py"]
    assert "broken.py (undecodable)" in detail["differing_files"] and "os.py" in detail["differing_files"]
    assert identity["source_mismatch_count"] == len(detail["differing_files"])


def test_an_unpinned_version_is_never_labelled_as_matching(tmp_path):
    lib = _lib(tmp_path, undecodable=True)
    with pytest.raises(RetrievalError):
        resolve_dataset(pin="9.1.0", source=str(lib), cache_dir=tmp_path / "cache")
    resolved = resolve_dataset(pin="9.1.0", source=str(lib), cache_dir=tmp_path / "cache", allow_mismatch=True)
    manifest = read_manifest(resolved.path)
    assert dataset_identity(manifest)["source_matches_pin"] is False
    assert "broken.py" in source_mismatch(manifest)["dropped_files"]


def test_the_canonical_dataset_matches_its_pin():
    resolved = resolve_dataset()
    assert dataset_identity(read_manifest(resolved.path))["source_matches_pin"] is True


def test_a_pin_or_source_beside_a_dataset_is_refused(folder):
    own = read_manifest(folder)["pin"]["version"]
    assert resolve_dataset(str(folder), pin=own).origin == "local"
    with pytest.raises(RetrievalError, match="no effect") as err:
        resolve_dataset(str(folder), pin="3.11.7" if own != "3.11.7" else "3.13.0", spelling=INSPECT_SPELLING)
    assert "-T dataset" in str(err.value)
    with pytest.raises(RetrievalError, match="no effect"):
        resolve_dataset(str(folder), source="/somewhere")


# --- item 6 -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["a/b", "../3.13.0", "3.13.0/..", "x" * 80, " 3.13.0", "3.13.0\n", "..", "a\\b"])
def test_bad_pin_names_are_one_line(name, tmp_path):
    with pytest.raises(RetrievalError) as err:
        check_pin_name(name)
    assert "\n" not in str(err.value)
    with pytest.raises(RetrievalError):
        load_pin(name)
    with pytest.raises(RetrievalError):
        resolve_dataset(pin=name, source=str(_lib(tmp_path)), cache_dir=tmp_path / "c", allow_mismatch=True)


def test_cli_bad_pin_name_is_one_line(tmp_path):
    proc = subprocess.run([*CLI, "build", "--pin", "evil/../x", "--source", str(_lib(tmp_path)), "--allow-mismatch",
                           "--out", str(tmp_path / "o"), "--tiers", "T1", "--custom-tiers", "--per-tier", "1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "release name" in proc.stderr


def test_a_cache_entry_without_its_manifest_is_rebuilt(tmp_path):
    lib = _lib(tmp_path)
    kwargs = dict(pin="9.0.0", source=str(lib), cache_dir=tmp_path / "cache", allow_mismatch=True)
    first = resolve_dataset(**kwargs)
    fingerprint = read_manifest(first.path)["fingerprint"]
    (first.path / "manifest.json").unlink()
    again = resolve_dataset(**kwargs)
    assert again.origin == "built" and again.path == first.path
    assert read_manifest(again.path)["fingerprint"] == fingerprint
    assert resolve_dataset(**kwargs).origin == "cached-build"


def test_a_rewrite_keeping_size_and_mtime_is_caught(folder):
    """The in-process cache of verified folders must not trust size and mtime."""
    rows = load_rows(folder, "T25")
    assert rows and load_contexts(folder)
    path = folder / "data" / "contexts.parquet"
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    with pytest.raises(DatasetCorrupt):
        load_contexts(folder)


def test_verified_path_refuses_a_flipped_byte_before_load_dataset(folder):
    assert verified_path(folder) == str(folder)
    path = folder / "data" / "contexts.parquet"
    data = bytearray(path.read_bytes())
    data[100] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetCorrupt):
        verified_path(folder)
    proc = subprocess.run([*CLI, "verify", str(folder)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "contexts.parquet" in proc.stderr


def test_a_source_without_a_pin_is_checked_against_the_default_and_the_error_says_so(tmp_path):
    lib = _lib(tmp_path)
    with pytest.raises(RetrievalError) as err:
        resolve_dataset(source=str(lib), cache_dir=tmp_path / "cache", spelling=INSPECT_SPELLING)
    text = str(err.value)
    assert "-T pin=VERSION" in text and "-T allow_mismatch=true" in text and "\n" not in text
