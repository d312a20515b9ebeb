"""A pin's release tarball -> a verified `Lib/` in the user cache: downloaded (or read from a path or URL), checked
against the pin's sha256, then safely extracted.

Used when no `--source` folder, no cached copy and no matching local interpreter can supply `Lib/`, and for a
`--source` that is a tarball. The cache entry records the tarball's sha256 and the sha256 of every corpus file it
holds (`source.json`): for a tarball-only pin that is the per-file manifest, derived from the verified download.
"""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_cache_dir

from ..atomic_files import replace_dir
from ..errors import RetrievalError
from .lib_files import scope_hashes, sha256_file
from .manifest import segment_counts
from .pins import Pin

CACHE_APP = "cpython-retrieval"
SOURCE_RECORD = "source.json"
_TARBALL_SUFFIXES = (".tar", ".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2")


class SourceUnavailable(RetrievalError):
    """No verified `Lib/` for a pin could be found or fetched; the message names the flag that supplies one."""

    def __init__(self, version: str, reason: str, flag: str = "--source PATH",
                 accepts: str = "a CPython checkout, release folder, Lib/ directory or release tarball") -> None:
        self.version, self.reason, self.flag, self.accepts = version, reason, flag, accepts
        super().__init__(self._text())

    def _text(self) -> str:
        return f"CPython {self.version} Lib/ is not available ({self.reason}); pass {self.flag} ({self.accepts})"

    def with_flag(self, flag: str, accepts: str | None = None) -> SourceUnavailable:
        """The same error, naming the spelling of the fix in the caller's framework (e.g. `-T source=PATH`)."""
        return SourceUnavailable(self.version, self.reason, flag, accepts or self.accepts)


@dataclass(frozen=True)
class CachedSource:
    lib: Path
    tarball_sha256: str
    files: dict[str, str]  # path under Lib/ -> sha256, every corpus file of the verified tarball
    segment_tokens: dict[str, dict[str, int]] = field(default_factory=dict)  # as `Pin.segment_tokens`

    def pin(self, pin: Pin) -> Pin:
        """`pin` itself when it ships a per-file manifest, else one with the manifest derived from this tarball."""
        return pin if pin.files else pin.with_files(self.files, self.segment_tokens)


def cache_root() -> Path:
    return Path(user_cache_dir(CACHE_APP))


def is_tarball(source: str | Path) -> bool:
    """A release tarball given as a path or URL (rather than a folder)."""
    text = str(source)
    return "://" in text or text.lower().endswith(_TARBALL_SUFFIXES)


def cached_source(pin: Pin, cache_dir: Path | None = None) -> CachedSource | None:
    """The verified download of this pin's tarball, if one is cached (an entry for another tarball is ignored)."""
    target = (cache_dir or cache_root()) / "sources" / pin.version
    record = target / SOURCE_RECORD
    if not (target / "Lib" / "os.py").is_file() or not record.is_file():
        return None
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("tarball_sha256") != pin.tarball_sha256 or not isinstance(data.get("files"), dict):
        return None
    return CachedSource(target / "Lib", data["tarball_sha256"], dict(data["files"]), dict(data.get("segment_tokens") or {}))


def fetch_release(pin: Pin, cache_dir: Path | None = None, *, tarball: str | Path | None = None,
                  timeout: float = 60.0) -> CachedSource:
    """Download (or copy) the pin's release tarball, verify its sha256, extract `Lib/` into the cache.

    `tarball` is a path or URL to use instead of the pin's own URLs (a mirror, or a file on disk).
    """
    if not pin.tarball_sha256:
        raise SourceUnavailable(pin.version, "the pin names no release tarball")
    root = cache_dir or cache_root()
    target = root / "sources" / pin.version
    target.parent.mkdir(parents=True, exist_ok=True)
    urls = [_as_url(tarball)] if tarball is not None else pin.tarball_urls
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{pin.version}-") as tmp:
        archive = Path(tmp) / "release.tar"
        fetched_from, failures = None, []
        for url in urls:
            try:
                _download(url, archive, timeout)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                failures.append(f"{url}: {getattr(exc, 'reason', exc)}")
                continue
            digest = sha256_file(archive)
            if digest != pin.tarball_sha256:
                raise RetrievalError(
                    f"refusing {url}: sha256 {digest} does not match CPython {pin.version}'s {pin.tarball_sha256}; "
                    "the file is corrupt or not the pinned release")
            fetched_from = url
            break
        if fetched_from is None:
            raise SourceUnavailable(pin.version, "offline or unreachable: " + "; ".join(failures))
        extracted = Path(tmp) / "extracted"
        extract_lib(archive, extracted)
        lib = extracted / "Lib"
        if not (lib / "os.py").is_file():
            raise RetrievalError(f"the release tarball for {pin.version} has no Lib/os.py; it is not a CPython release")
        files = scope_hashes(lib)
        counts = segment_counts(lib, files)
        record = {"version": pin.version, "tarball_sha256": pin.tarball_sha256, "fetched_from": fetched_from,
                  "files": files, "segment_tokens": counts}
        (extracted / SOURCE_RECORD).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        replace_dir(extracted, target)
    return CachedSource(target / "Lib", pin.tarball_sha256, files, counts)


def _as_url(tarball: str | Path) -> str:
    text = str(tarball)
    if "://" in text:
        return text
    return Path(text).expanduser().resolve().as_uri()


def _download(url: str, archive: Path, timeout: float) -> None:
    scheme = urllib.parse.urlparse(url).scheme
    if scheme not in ("http", "https", "file"):
        raise ValueError(f"unsupported URL scheme {scheme!r}")
    with urllib.request.urlopen(url, timeout=timeout) as response, archive.open("wb") as out:
        shutil.copyfileobj(response, out)


def extract_lib(archive: Path, dest: Path) -> None:
    """Extract only `<top>/Lib/**` into `dest/Lib`, with tarfile's `data` filter (no links out, no devices).

    A hard link to another `Lib/` member is kept (re-pointed like its target); one to anything outside `Lib/`
    makes the tarball unusable. Any unreadable tarball is one clear error.
    """
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive) as tar:
            members = []
            for member in tar.getmembers():
                parts = member.name.split("/")
                if len(parts) < 3 or parts[1] != "Lib":
                    continue
                if member.islnk():
                    link = member.linkname.split("/")
                    if len(link) < 3 or link[1] != "Lib":
                        raise RetrievalError(f"refusing {archive.name}: {member.name} is a hard link to {member.linkname}, "
                                             "outside Lib/; the tarball is not a genuine CPython release")
                    member.linkname = "/".join(link[1:])
                member.name = "/".join(parts[1:])
                members.append(member)
            tar.extractall(dest, members=members, filter="data")
    except tarfile.FilterError as exc:
        raise RetrievalError(f"refusing {archive.name}: unsafe member ({exc}); the tarball is not a genuine CPython release") from exc
    except (tarfile.TarError, EOFError, OSError, KeyError) as exc:
        raise RetrievalError(f"cannot read {archive.name} as a release tarball ({type(exc).__name__}: {exc})") from exc
