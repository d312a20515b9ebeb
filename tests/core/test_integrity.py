"""Pinned means pinned, and a dataset is what its manifest says: integrity on load, atomic writes, --out rules."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from cpython_retrieval.dataset.publish import plan_publish
from cpython_retrieval.dataset.resolve import resolve_dataset, source_content_key
from cpython_retrieval.dataset.store import (
    DatasetCorrupt,
    check_output_dir,
    folder_fingerprint,
    load_rows,
    read_manifest,
    write_dataset,
)
from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.generate.stages import build_dataset
from cpython_retrieval.sources.corpus import load_corpus
from cpython_retrieval.sources.pins import Pin, load_pin, write_pin

from .test_corpus_and_sources import GOOD, make_lib

CLI = [sys.executable, "-m", "cpython_retrieval"]


@pytest.fixture(scope="module")
def tiny_built():
    return build_dataset(tiers=["T25"], per_tier=12)


@pytest.fixture
def tiny_folder(tiny_built, tmp_path):
    write_dataset(tiny_built, tmp_path / "ds")
    return tmp_path / "ds"


def test_manifest_records_fingerprint_and_file_hashes(tiny_folder):
    manifest = read_manifest(tiny_folder)
    assert set(manifest["data_files"]) == {"data/T25.parquet", "data/contexts.parquet", "README.md", "LICENSE"}
    for name, digest in manifest["data_files"].items():
        assert hashlib.sha256((tiny_folder / name).read_bytes()).hexdigest() == digest
    assert manifest["fingerprint"] == folder_fingerprint(tiny_folder)  # content, recomputed from the parquet files
    assert manifest["fingerprint"] in (tiny_folder / "README.md").read_text()
    assert "Python Software Foundation" in (tiny_folder / "LICENSE").read_text()


def _flip_bit(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["bit flip", "truncation", "missing file", "edited manifest"])
def test_a_damaged_folder_is_one_clear_error_on_load(tiny_folder, damage):
    parquet = tiny_folder / "data" / "T25.parquet"
    if damage == "bit flip":
        _flip_bit(parquet, len(parquet.read_bytes()) // 2)
    elif damage == "truncation":
        parquet.write_bytes(parquet.read_bytes()[:-100])
    elif damage == "missing file":
        (tiny_folder / "data" / "contexts.parquet").unlink()
    else:
        manifest = json.loads((tiny_folder / "manifest.json").read_text())
        manifest["tiers"]["T25"]["rows"] += 1
        (tiny_folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DatasetCorrupt) as err:
        load_rows(tiny_folder, "T25")
    assert "\n" not in str(err.value) and str(tiny_folder) in str(err.value)


def test_damage_after_a_first_load_is_still_caught(tiny_folder):
    assert load_rows(tiny_folder, "T25")
    _flip_bit(tiny_folder / "data" / "T25.parquet", 40)
    with pytest.raises(DatasetCorrupt):
        load_rows(tiny_folder, "T25")


def test_a_damaged_cache_entry_is_rebuilt(tmp_path):
    lib = make_lib(tmp_path / "src", {f"m{i}.py": GOOD.replace("Alpha", f"Alpha{i}") for i in range(6)})
    first = resolve_dataset(pin="9.0.0", source=str(lib), cache_dir=tmp_path / "cache", allow_mismatch=True)
    assert first.origin == "built"
    before = read_manifest(first.path)["fingerprint"]
    _flip_bit(first.path / "data" / "contexts.parquet", 100)
    again = resolve_dataset(pin="9.0.0", source=str(lib), cache_dir=tmp_path / "cache", allow_mismatch=True)
    assert again.origin == "built" and again.path == first.path  # rebuilt in place, not reused
    assert read_manifest(again.path)["fingerprint"] == before
    assert resolve_dataset(pin="9.0.0", source=str(lib), cache_dir=tmp_path / "cache",
                           allow_mismatch=True).origin == "cached-build"


def test_an_edited_source_folder_is_a_new_build(tmp_path):
    lib = make_lib(tmp_path / "src", {f"m{i}.py": GOOD.replace("Alpha", f"Alpha{i}") for i in range(6)})
    key = source_content_key(lib)
    first = resolve_dataset(pin="9.0.0", source=str(lib), cache_dir=tmp_path / "cache", allow_mismatch=True)
    (lib / "m3.py").write_text(GOOD.replace("Alpha", "Omega"))
    assert source_content_key(lib) != key
    second = resolve_dataset(pin="9.0.0", source=str(lib), cache_dir=tmp_path / "cache", allow_mismatch=True)
    assert second.origin == "built" and second.path != first.path
    contexts = (second.path / "data" / "contexts.parquet")
    assert read_manifest(second.path)["fingerprint"] != read_manifest(first.path)["fingerprint"] and contexts.is_file()


def test_an_undecodable_pinned_file_is_a_mismatch(tmp_path):
    lib = make_lib(tmp_path)
    (lib / "latin.py").write_bytes(b"# -*- coding: utf-8 -*-\nname = '\xff\xfe'\n")
    files = {rel: hashlib.sha256((lib / rel).read_bytes()).hexdigest()
             for rel in ("os.py", "collections/__init__.py", "alpha.py", "latin.py")}
    pin = Pin("9.5.0", "v9.5.0", "", "", files)
    with pytest.raises(RetrievalError, match=r"latin\.py \(undecodable\).*--allow-mismatch"):
        load_corpus(pin, lib)
    corpus = load_corpus(pin, lib, allow_mismatch=True)
    assert "latin.py (undecodable)" in corpus.mismatches and "latin.py" in corpus.skipped


def test_a_failed_write_leaves_the_previous_build(tiny_built, tiny_folder, monkeypatch):
    before = {p.relative_to(tiny_folder): p.read_bytes() for p in tiny_folder.rglob("*") if p.is_file()}
    other = build_dataset(tiers=["T25"], per_tier=12, seed=1)
    from cpython_retrieval.dataset import store as dataset

    real = dataset._write_parquet
    calls = []

    def crash_on_second(records, schema, path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        real(records, schema, path)

    monkeypatch.setattr(dataset, "_write_parquet", crash_on_second)
    with pytest.raises(OSError):
        write_dataset(other, tiny_folder)
    after = {p.relative_to(tiny_folder): p.read_bytes() for p in tiny_folder.rglob("*") if p.is_file()}
    assert after == before and read_manifest(tiny_folder)["options"]["seed"] == 0
    assert not [p for p in tiny_folder.parent.iterdir() if p.name.startswith(".")], "no partial folder is left"


@pytest.mark.slow
def test_a_killed_build_leaves_the_old_dataset_or_none(tmp_path):
    out = tmp_path / "ds"
    subprocess.run([*CLI, "build", "--tiers", "T25", "--per-tier", "10", "--out", str(out), "--quiet"], check=True,
                   timeout=300)
    old = read_manifest(out)["fingerprint"]
    proc = subprocess.Popen([*CLI, "build", "--tiers", "T25,T50,T100", "--seed", "1", "--out", str(out), "--quiet"])
    deadline = time.time() + 300
    while time.time() < deadline and not any(p.name.startswith(".ds.partial-") for p in tmp_path.iterdir()):
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    manifest = read_manifest(out)  # verified: whole and consistent
    assert manifest["fingerprint"] == old and manifest["options"]["seed"] == 0


def test_out_must_be_empty_or_a_previous_build(tmp_path, tiny_folder):
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("keep me")
    started = time.perf_counter()
    proc = subprocess.run([*CLI, "build", "--out", str(foreign)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "not a previous build" in proc.stderr
    assert time.perf_counter() - started < 20, "refused before the build, not after it"
    assert (foreign / "todo.txt").read_text() == "keep me"
    check_output_dir(tiny_folder)  # a previous build may be replaced
    check_output_dir(tmp_path / "new")


def test_an_unwritable_out_fails_before_the_build(tmp_path):
    if os.geteuid() == 0:
        target = Path("/proc/cpython-retrieval-out")  # root writes anywhere else
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "ds"
    proc = subprocess.run([*CLI, "build", "--out", str(target)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "cannot write" in proc.stderr


def test_publish_uploads_only_the_files_the_manifest_lists(tiny_folder):
    (tiny_folder / "notes.txt").write_text("stray")
    (tiny_folder / "data" / "old.parquet").write_bytes(b"stray")
    plan = plan_publish(tiny_folder, "org/name")
    assert set(plan.files) == {"manifest.json", *read_manifest(tiny_folder)["data_files"]}
    assert plan.left_out == ("data/old.parquet", "notes.txt") and "not uploaded" in plan.describe()


def test_publish_refuses_a_damaged_folder(tiny_folder):
    _flip_bit(tiny_folder / "data" / "contexts.parquet", 64)
    with pytest.raises(DatasetCorrupt):
        plan_publish(tiny_folder, "org/name")


def _release_tarball(root: Path, version: str, *, hardlink: bool = False) -> bytes:
    lib = make_lib(root / "tree", {f"m{i}.py": GOOD.replace("Alpha", f"Alpha{i}") for i in range(6)})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as tar:
        tar.add(lib, arcname=f"Python-{version}/Lib")
        if hardlink:
            info = tarfile.TarInfo(f"Python-{version}/Lib/alpha_copy.py")
            info.type, info.linkname = tarfile.LNKTYPE, f"Python-{version}/Lib/alpha.py"
            tar.addfile(info)
    return buffer.getvalue()


def test_a_tarball_only_pin_builds_from_a_verified_file_url_and_refuses_a_wrong_one(tmp_path):
    data = _release_tarball(tmp_path, "9.6.0", hardlink=True)
    tarball = tmp_path / "Python-9.6.0.tar.xz"
    tarball.write_bytes(data)
    good = Pin("9.6.0", "v9.6.0", "https://example.invalid/Python-9.6.0.tar.xz", hashlib.sha256(data).hexdigest())
    pin_file = write_pin(good, tmp_path)
    built = build_dataset(pin=str(pin_file), source=tarball.as_uri(), tiers=["T1"], per_tier=4,
                          cache_dir=tmp_path / "cache")
    assert built.manifest["source_kind"] == "tarball" and built.manifest["pin"]["manifest_origin"] == "derived"
    assert built.manifest["pin"]["manifest_files"] == len(built.manifest["files"]) and not built.manifest["hash_mismatches"]
    assert "alpha_copy.py" in {f["path"] for f in built.manifest["files"]}  # the hard link came through as a file
    # later builds use the verified cache, and a folder cannot stand in for a tarball-only pin
    assert build_dataset(pin=str(pin_file), tiers=["T1"], per_tier=4, cache_dir=tmp_path / "cache",
                         allow_download=False).manifest["source_kind"] == "cache"
    with pytest.raises(RetrievalError, match="tarball-only pin"):
        build_dataset(pin=str(pin_file), source=tmp_path / "tree", tiers=["T1"], per_tier=4)
    bad = write_pin(Pin("9.6.1", "v9.6.1", "https://example.invalid/x.tar.xz", "0" * 64), tmp_path)
    proc = subprocess.run([*CLI, "build", "--pin", str(bad), "--source", tarball.as_uri(), "--tiers", "T1",
                           "--custom-tiers", "--out", str(tmp_path / "never")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "does not match" in proc.stderr and proc.stderr.count("\n") == 1
    assert not (tmp_path / "never").exists()


def test_a_hard_link_out_of_lib_is_refused(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as tar:
        for name, data in (("Python-9.7.0/Lib/os.py", b"x = 1\n"), ("Python-9.7.0/README", b"hi\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("Python-9.7.0/Lib/readme.py")
        info.type, info.linkname = tarfile.LNKTYPE, "Python-9.7.0/README"
        tar.addfile(info)
    data = buffer.getvalue()
    (tmp_path / "r.tar.xz").write_bytes(data)
    pin = Pin("9.7.0", "v9.7.0", (tmp_path / "r.tar.xz").as_uri(), hashlib.sha256(data).hexdigest())
    from cpython_retrieval.sources.fetch import fetch_release

    with pytest.raises(RetrievalError, match="hard link .* outside Lib/"):
        fetch_release(pin, tmp_path / "cache")


def test_pins_list_shows_the_newest_releases():
    proc = subprocess.run([*CLI, "pins", "list"], capture_output=True, text=True, timeout=60)
    lines = dict(line.split("\t") for line in proc.stdout.splitlines())
    assert {"3.11.7", "3.13.15", "3.14.10", "3.15.2"} <= set(lines)
    assert "tarball-only" in lines["3.14.10"] and "tarball-only" in lines["3.15.2"]
    assert load_pin("3.14.10").tarball_sha256 == "de414a57119abef52784d8993e341d53aed635fc2b05c2607d9f98a2c5b72032"
    assert load_pin("3.15.2").tarball_sha256 == "8b5536d280142ecf6cdfe15d12a21ba1c65e300bbf7b28a8d0cdb849575797de"
