"""The canonical dataset bundled with the package: what every task runs by default, rebuilt here byte for byte."""

from __future__ import annotations

import pytest

from cpython_retrieval import __version__
from cpython_retrieval.dataset.canonical import CANONICAL_OPTIONS, canonical_dir
from cpython_retrieval.dataset.resolve import resolve_dataset
from cpython_retrieval.dataset.store import (
    folder_fingerprint,
    read_manifest,
    write_dataset,
)
from cpython_retrieval.generate.stages import build_dataset
from cpython_retrieval.sources.fetch import cached_source
from cpython_retrieval.sources.pins import CANONICAL_PIN, load_pin


def test_the_default_dataset_is_the_bundled_canonical_one():
    resolved = resolve_dataset()
    assert resolved.origin == "canonical" and resolved.path == canonical_dir()
    manifest = read_manifest(resolved.path)
    assert manifest["pin"]["version"] == CANONICAL_PIN and manifest["generator_version"] == __version__
    assert manifest["source_kind"] in ("cache", "download", "tarball") and not manifest["hash_mismatches"]
    assert manifest["fingerprint"] == folder_fingerprint(resolved.path)
    assert list(manifest["tiers"]) == ["T25", "T50", "T100", "T200", "T500", "T1000"]
    assert "Python Software Foundation" in (resolved.path / "LICENSE").read_text()
    assert "LICENSE" in (resolved.path / "README.md").read_text()


@pytest.mark.slow
def test_the_bundled_dataset_rebuilds_byte_for_byte(tmp_path):
    pin = load_pin(CANONICAL_PIN)
    if cached_source(pin) is None:
        pytest.skip(f"CPython {CANONICAL_PIN}'s verified source is not on this machine; "
                    f"`cpython-retrieval pins fetch {CANONICAL_PIN}` fetches it (.ci/run does)")
    built = build_dataset(**CANONICAL_OPTIONS, allow_download=False)
    write_dataset(built, tmp_path / "rebuilt")
    bundled, rebuilt = read_manifest(canonical_dir()), read_manifest(tmp_path / "rebuilt")
    assert rebuilt["fingerprint"] == bundled["fingerprint"], "the generator's output changed: run tools/make_canonical.py"
    same_writer = rebuilt["writer"] == bundled["writer"]
    for name in bundled["data_files"]:
        if name.endswith(".parquet") and not same_writer:
            continue  # another pyarrow writes other bytes for the same content (the fingerprint matched above)
        assert (tmp_path / "rebuilt" / name).read_bytes() == (canonical_dir() / name).read_bytes(), name
    if same_writer:
        assert (tmp_path / "rebuilt" / "manifest.json").read_bytes() == (canonical_dir() / "manifest.json").read_bytes()
