"""Build time of T25..T1000 from the local stdlib against the floor, measured in the same run.

Floor: reading and `ast`-parsing just the files those tiers use (the least any builder must do).
Aim: the build within 3x the floor. Usage: python benchmarks/build.py [--repeat N] [--tiers T25,...]
"""

from __future__ import annotations

import argparse
import ast
import statistics
import time
import warnings

from cpython_retrieval.build import build_dataset
from cpython_retrieval.contexts import DEFAULT_TIERS
from cpython_retrieval.corpus import find_lib_dir, interpreter_lib


def floor_seconds(lib, paths) -> float:
    start = time.perf_counter()
    for rel in paths:
        text = (lib / rel).read_text(encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tiers", default=",".join(DEFAULT_TIERS))
    args = parser.parse_args()
    tiers = args.tiers.split(",")
    lib = find_lib_dir(interpreter_lib())
    builds, floors = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        built = build_dataset(tiers=tiers)
        builds.append(time.perf_counter() - start)
        largest = max(built.contexts, key=lambda c: c["context_tokens"])
        used = [p.removeprefix("Lib/") for p in __import__("json").loads(largest["files"])]
        floors.append(floor_seconds(lib, used))
    build_s, floor_s = statistics.median(builds), statistics.median(floors)
    rows = sum(len(r) for r in built.rows.values())
    print(f"tiers: {','.join(tiers)}  files used: {len(used)}  rows: {rows}")
    print(f"build (median of {args.repeat}): {build_s:.2f} s")
    print(f"floor: read + ast.parse of the files used (median): {floor_s:.2f} s")
    print(f"ratio build/floor: {build_s / floor_s:.2f}x  (aim: <= 3x)")


if __name__ == "__main__":
    main()
