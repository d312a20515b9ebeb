"""Fetch a pin's release tarball from python.org into the user cache: verified, then safely extracted.

Only used when no `--source`, no cached copy and no matching running interpreter can supply `Lib/`.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from platformdirs import user_cache_dir

from .errors import RetrievalError
from .pins import Pin

CACHE_APP = "cpython-retrieval"


def cache_root() -> Path:
    return Path(user_cache_dir(CACHE_APP))


def cached_lib(pin: Pin, cache_dir: Path | None = None) -> Path | None:
    """`Lib/` of a previously downloaded release, if present."""
    lib = (cache_dir or cache_root()) / "sources" / pin.version / "Lib"
    return lib if (lib / "os.py").is_file() else None


def download_release(pin: Pin, cache_dir: Path | None = None, *, timeout: float = 60.0) -> Path:
    """Download, verify (sha256) and extract the release's `Lib/`; return its path in the cache."""
    if not pin.tarball_url or not pin.tarball_sha256:
        raise RetrievalError(f"pin {pin.version} names no release tarball; pass --source PATH to a CPython Lib/")
    target = (cache_dir or cache_root()) / "sources" / pin.version
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        archive = Path(tmp) / "release.tar"
        try:
            with urllib.request.urlopen(pin.tarball_url, timeout=timeout) as response, archive.open("wb") as out:
                shutil.copyfileobj(response, out)
        except (urllib.error.URLError, OSError) as exc:
            raise RetrievalError(
                f"CPython {pin.version} is not available offline and {pin.tarball_url} could not be downloaded "
                f"({exc}); pass --source PATH to a CPython checkout, release tarball folder or Lib/ directory"
            ) from exc
        digest = sha256_file(archive)
        if digest != pin.tarball_sha256:
            raise RetrievalError(
                f"refusing {pin.tarball_url}: sha256 {digest} does not match the pin's {pin.tarball_sha256}; "
                "the download is corrupt or not the pinned release"
            )
        extracted = Path(tmp) / "extracted"
        extract_lib(archive, extracted)
        if target.exists():
            shutil.rmtree(target)
        (extracted).rename(target)
    lib = target / "Lib"
    if not (lib / "os.py").is_file():
        raise RetrievalError(f"the release tarball for {pin.version} has no Lib/os.py; it is not a CPython release")
    return lib


def extract_lib(archive: Path, dest: Path) -> None:
    """Extract only `<top>/Lib/**` into `dest/Lib`, with tarfile's `data` filter (no links out, no devices)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        members = []
        for member in tar.getmembers():
            parts = member.name.split("/")
            if len(parts) >= 3 and parts[1] == "Lib":
                member.name = "/".join(parts[1:])
                members.append(member)
        try:
            tar.extractall(dest, members=members, filter="data")
        except tarfile.FilterError as exc:
            raise RetrievalError(f"refusing {archive.name}: unsafe member ({exc}); the tarball is not a genuine CPython release") from exc


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
