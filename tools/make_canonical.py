"""Rebuild the canonical dataset bundled with the package (cpython_retrieval/dataset/canonical/) from its pin's verified source.

    python tools/make_canonical.py            # the pin's Lib/ from the cache, a local install, or a verified download
    python tools/make_canonical.py --source Python-3.13.15.tar.xz

Run it in the same commit as any change to the generator's output; tests/core/test_canonical.py rebuilds the
bundled data and compares bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cpython_retrieval.dataset.canonical import CANONICAL_OPTIONS, canonical_dir
from cpython_retrieval.dataset.store import write_dataset
from cpython_retrieval.generate.stages import build_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="the pin's release tarball or Lib/ (default: cache, local install, download)")
    parser.add_argument("--out", type=Path, default=canonical_dir(), help="default: the package's canonical/ folder")
    args = parser.parse_args()
    built = build_dataset(**CANONICAL_OPTIONS, source=args.source, progress=True)
    for path in write_dataset(built, args.out):
        print(path)


if __name__ == "__main__":
    main()
