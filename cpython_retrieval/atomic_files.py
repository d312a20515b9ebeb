"""Atomic replacement of files and folders: a reader, or a run killed halfway, sees the old one or the new one.

Both write beside the target first (same folder, so same file system) and then rename, which POSIX makes atomic.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def write_text(path: Path, text: str) -> None:
    """`path.write_text(text)`, but never leaving a half-written file behind."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def replace_dir(new: Path, target: Path) -> None:
    """Move the folder `new` to `target`, replacing what was there with two renames, never a mix of the two.

    An interruption between the renames leaves the old folder set aside as `.NAME.old-PID` and `target` absent,
    which every reader treats as "not built yet", not as a corrupt folder.
    """
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
