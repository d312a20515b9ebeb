"""Several independent ladders per tier (`--ladders`, the canonical dataset's `full` size)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpython_retrieval.dataset.canonical import CANONICAL_SIZES, canonical_dir, canonical_options
from cpython_retrieval.dataset.resolve import INSPECT_SPELLING, resolve_dataset
from cpython_retrieval.dataset.store import load_contexts, load_rows, read_manifest, write_dataset
from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.generate.stages import build_dataset
from cpython_retrieval.generate.stages.ladders import ladder_seed
from cpython_retrieval.generate.stages.options import parse_ladders

TIERS = ("T25", "T50")


@pytest.fixture(scope="module")
def one_ladder():
    return build_dataset(tiers=list(TIERS), per_tier=20)


@pytest.fixture(scope="module")
def three_ladders():
    return build_dataset(tiers=list(TIERS), per_tier=20, ladders={"T25": 3, "T50": 2})


def _blocks(rows):
    """Context ids in the order rows use them, each run of equal ids collapsed."""
    out = []
    for row in rows:
        if not out or out[-1] != row["context_id"]:
            out.append(row["context_id"])
    return out


def test_ladder_zero_is_the_one_ladder_build(one_ladder, three_ladders):
    for tier in TIERS:
        first = three_ladders.rows[tier][: len(one_ladder.rows[tier])]
        assert first == one_ladder.rows[tier]


def test_each_ladder_has_its_own_contexts_and_rows(three_ladders):
    manifest = three_ladders.manifest
    assert manifest["options"]["ladders"] == {"T25": 3, "T50": 2}
    for tier, ladders in (("T25", 3), ("T50", 2)):
        info = manifest["tiers"][tier]
        assert len(info["ladders"]) == ladders and info["contexts"] == 2 * ladders
        assert len({entry["context_id"] for entry in info["ladders"]}) == ladders
        assert [e["seed"] for e in info["ladders"]] == [ladder_seed(0, k) for k in range(ladders)]
        assert info["rows"] == len(three_ladders.rows[tier]) == sum(e["rows"] for e in info["ladders"])
        rows = three_ladders.rows[tier]
        assert len({r["id"] for r in rows}) == len(rows)
        assert {r["context_id"] for r in rows} == {c["context_id"] for c in three_ladders.contexts if c["tier"] == tier}
        # one context in flight: every context's rows are one contiguous block of the send order
        blocks = _blocks(rows)
        assert len(blocks) == len(set(blocks)) == 2 * ladders
        # pairs stay inside their ladder
        by_id = {r["id"]: r for r in rows}
        for row in rows:
            if row.get("pair_id"):
                assert by_id[row["pair_id"]]["seed"] == row["seed"]


def test_every_ladder_is_prefix_aligned(three_ladders):
    texts = {c["context_id"]: c["text"] for c in three_ladders.contexts}
    for small, large in zip(three_ladders.manifest["tiers"]["T25"]["ladders"],
                            three_ladders.manifest["tiers"]["T50"]["ladders"], strict=False):
        assert small["seed"] == large["seed"]
        assert texts[large["context_id"]].startswith(texts[small["context_id"]])


def test_ladders_are_deterministic(three_ladders):
    again = build_dataset(tiers=list(TIERS), per_tier=20, ladders="T25=3,T50=2")
    assert again.rows == three_ladders.rows and again.manifest == three_ladders.manifest


def test_written_and_read_back(three_ladders, tmp_path):
    write_dataset(three_ladders, tmp_path / "ds")
    rows = load_rows(tmp_path / "ds", "T25")
    assert [r["id"] for r in rows] == [r["id"] for r in three_ladders.rows["T25"]]
    assert set(load_contexts(tmp_path / "ds")) == {c["context_id"] for c in three_ladders.contexts}


@pytest.mark.parametrize("value, message", [
    ("0", "at least 1"), ("T25=x", "tier=count"), ("T30=2", "does not build"), ([3], "count or tier=count"),
])
def test_bad_ladders_are_refused_in_one_line(value, message):
    with pytest.raises(RetrievalError, match=message) as info:
        parse_ladders(value, TIERS)
    assert "\n" not in str(info.value)


@given(st.integers(0, 2**31), st.integers(1, 50))
def test_ladder_seeds_differ_from_the_base_seed_and_each_other(seed, ladders):
    seeds = [ladder_seed(seed, k) for k in range(ladders)]
    assert seeds[0] == seed and len(set(seeds)) == ladders


def test_size_is_refused_with_another_dataset():
    with pytest.raises(RetrievalError, match="-T size=full picks a size of the bundled canonical dataset"):
        resolve_dataset("somewhere", size="full", spelling=INSPECT_SPELLING)
    with pytest.raises(RetrievalError, match="unknown dataset size 'huge'"):
        resolve_dataset(size="huge")


def test_the_full_canonical_size_has_enough_rows_and_contexts():
    resolved = resolve_dataset(size="full")
    assert resolved.origin == "canonical" and resolved.path == canonical_dir("full")
    manifest = read_manifest(resolved.path)
    default = read_manifest(canonical_dir())
    assert manifest["options"]["ladders"] == CANONICAL_SIZES["full"][1]["ladders"]
    assert manifest["generator_version"] == default["generator_version"]
    for tier, info in manifest["tiers"].items():
        ladders = manifest["options"]["ladders"][tier]
        assert len(info["ladders"]) == ladders and info["contexts"] == 2 * ladders
        if tier in ("T25", "T50", "T100", "T200"):
            assert ladders >= 10 and info["rows"] >= 1300
        # ladder 0 is the default size's context
        assert info["ladders"][0]["context_id"] == default["tiers"][tier]["context_id"]
    sizes = {p.name: p.stat().st_size for p in resolved.path.rglob("*") if p.is_file()}
    assert sum(sizes.values()) < 8 * 2**20, sizes  # small enough to ship in the wheel


@pytest.mark.slow
def test_the_full_size_rebuilds_byte_for_byte(tmp_path):
    from cpython_retrieval.sources.fetch import cached_source
    from cpython_retrieval.sources.pins import CANONICAL_PIN, load_pin

    if cached_source(load_pin(CANONICAL_PIN)) is None:
        pytest.skip(f"CPython {CANONICAL_PIN}'s verified source is not on this machine; "
                    f"`cpython-retrieval pins fetch {CANONICAL_PIN}` fetches it (.ci/run does)")
    built = build_dataset(**canonical_options("full"), allow_download=False)
    write_dataset(built, tmp_path / "rebuilt")
    bundled, rebuilt = read_manifest(canonical_dir("full")), read_manifest(tmp_path / "rebuilt")
    assert rebuilt["fingerprint"] == bundled["fingerprint"], "run tools/make_canonical.py --size full"
    if rebuilt["writer"] == bundled["writer"]:
        for name in [*bundled["data_files"], "manifest.json"]:
            assert (tmp_path / "rebuilt" / name).read_bytes() == (canonical_dir("full") / name).read_bytes(), name
    assert json.loads((tmp_path / "rebuilt" / "manifest.json").read_text())["tiers"].keys() == bundled["tiers"].keys()
