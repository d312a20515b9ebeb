"""Build time of T25..T1000 from the local stdlib against floors measured in the same run.

- Ordinary build (`perturbed_share=0`) against the floor of issue 2: reading and `ast`-parsing
  just the files those tiers use, the least any builder must do.
- Full default build (with the perturbed contexts) against that floor plus a libcst parse of
  each perturbed file, which any format-preserving libcst transform must do at least once.

Aims (issue 13): the ordinary build within 3x floor A, the full build within 2x floor B. Floors are measured
with the cyclic garbage collector off, as the build runs (the same `build.no_cyclic_gc`), so neither side pays
for collections the other skips. The floors read the very `Lib/` the build reads (the pin's source as the build
resolves it: the running interpreter's stdlib only when it is the pinned release, else the cached or downloaded
release). Usage: python benchmarks/build.py [--repeat N] [--tiers T25,...] [--pin VERSION]
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import time
import warnings

import libcst

from cpython_retrieval.generate.contexts import DEFAULT_TIERS
from cpython_retrieval.generate.stages import build_dataset, no_cyclic_gc
from cpython_retrieval.generate.stages.sized_corpus import resolve_pin
from cpython_retrieval.sources.corpus import resolve_lib
from cpython_retrieval.sources.lib_files import find_lib_dir


@no_cyclic_gc()  # as the build runs
def ast_floor(lib, paths) -> float:
    start = time.perf_counter()
    for rel in paths:
        text = (lib / rel).read_text(encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    return time.perf_counter() - start


@no_cyclic_gc()  # as the build runs
def libcst_floor(lib, paths) -> float:
    start = time.perf_counter()
    for rel in paths:
        libcst.parse_module((lib / rel).read_text(encoding="utf-8"))
    return time.perf_counter() - start


def timed_build(pin, tiers, share):
    start = time.perf_counter()
    built = build_dataset(pin=pin, tiers=tiers, perturbed_share=share)
    return time.perf_counter() - start, built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tiers", default=",".join(DEFAULT_TIERS))
    parser.add_argument("--pin", default="auto", help="as `cpython-retrieval build --pin` (default: auto)")
    args = parser.parse_args()
    tiers = args.tiers.split(",")
    pin = resolve_pin(args.pin, None, allow_mismatch=False)
    source = resolve_lib(pin, None)  # the Lib/ the build reads, so the floors parse the same files
    lib = find_lib_dir(source.lib)
    print(f"CPython {pin.version} Lib/ ({source.kind} source): {lib}")
    build_dataset(pin=pin.version, tiers=["T25"], per_tier=1)  # load the tokenizers once, outside the timings
    ordinary, full, floors, cst_floors = [], [], [], []
    for _ in range(args.repeat):
        seconds, built = timed_build(pin.version, tiers, 0.0)
        ordinary.append(seconds)
        seconds, built = timed_build(pin.version, tiers, 0.2)
        full.append(seconds)
        largest = max((c for c in built.contexts if c["variant"] == "original"), key=lambda c: c["context_tokens"])
        used = [p.removeprefix("Lib/") for p in json.loads(largest["files"])]
        perturbed = [p["path"].removeprefix("Lib/") for p in built.manifest["perturbations"]]
        floors.append(ast_floor(lib, used))
        cst_floors.append(libcst_floor(lib, perturbed))
    o, f, fl, cf = (statistics.median(x) for x in (ordinary, full, floors, cst_floors))
    rows = sum(len(r) for r in built.rows.values())
    print(f"tiers: {','.join(tiers)}  files used: {len(used)}  perturbed files: {len(perturbed)}  rows: {rows}  (medians of {args.repeat})")
    print(f"floor A: read + ast.parse of the files used          {fl:6.2f} s")
    print(f"floor B: floor A + libcst.parse of the perturbed files {fl + cf:6.2f} s")
    print(f"ordinary build (--perturbed-share 0)                  {o:6.2f} s   {o / fl:5.2f}x floor A  (aim <= 3x)")
    print(f"full build (default, with perturbed contexts)         {f:6.2f} s   {f / (fl + cf):5.2f}x floor B  (aim <= 2x)")


if __name__ == "__main__":
    main()
