"""Regenerate docs/dataset-card.md: the card of the canonical dataset bundled with the package.

The card's YAML header (the `configs:` block `datasets` reads) is shown as a code block, since mkdocs
would otherwise swallow it as page metadata. Usage: python tools/make_dataset_card.py [--out docs/dataset-card.md]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cpython_retrieval.dataset.canonical import canonical_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/dataset-card.md"))
    args = parser.parse_args()
    card = (canonical_dir() / "README.md").read_text(encoding="utf-8")
    _, header, body = card.split("---\n", 2)
    intro = ("# Dataset card\n\nThe card (`README.md`) that `cpython-retrieval build` writes into a dataset folder, "
             "here for the canonical dataset bundled with the package (regenerate with "
             "`python tools/make_dataset_card.py`). "
             "Its YAML header:\n\n```yaml\n" + header + "```\n\n")
    args.out.write_text(intro + body.replace("\n# ", "\n## ", 1), encoding="utf-8")
    print(f"card written to {args.out}")


if __name__ == "__main__":
    main()
