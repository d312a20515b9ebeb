"""Rebuild the canonical dataset bundled with the package, both sizes (cpython_retrieval/dataset/canonical/ and
canonical_full/), from its pin's verified source.

    python tools/make_canonical.py               # the pin's Lib/ from the cache, a local install, or a verified download
    python tools/make_canonical.py --size full   # one size
    python tools/make_canonical.py --source Python-3.13.15.tar.xz

Run it in the same commit as any change to the generator's output; tests/core/test_canonical.py rebuilds the
bundled data and compares bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cpython_retrieval.dataset.canonical import CANONICAL_SIZES, canonical_dir, canonical_options
from cpython_retrieval.dataset.store import write_dataset
from cpython_retrieval.generate.stages import build_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="the pin's release tarball or Lib/ (default: cache, local install, download)")
    parser.add_argument("--size", choices=[*CANONICAL_SIZES, "all"], default="all", help="which size (default: all)")
    parser.add_argument("--out", type=Path, help="default: the package's folder of that size")
    args = parser.parse_args()
    sizes = list(CANONICAL_SIZES) if args.size == "all" else [args.size]
    if args.out and len(sizes) > 1:
        parser.error("--out needs one --size")
    for size in sizes:
        built = build_dataset(**canonical_options(size), source=args.source, progress=True)
        for path in write_dataset(built, args.out or canonical_dir(size)):
            print(path)


if __name__ == "__main__":
    main()
