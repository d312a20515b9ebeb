"""Find the dataset an adapter should run: the bundled canonical dataset, an explicit folder or Hub repo, or a
cached build of another pin or source.

Order: an explicit `dataset` (a local folder, or a Hub repo id that must come with a pinned `revision`); else,
when neither `pin` nor `source` asks for something else, the canonical dataset bundled with the package (the
same questions for every user, offline, no build); else a build of that pin or source, cached in the user cache
dir and keyed by the generator's code, the pin and the *content* of the source. Every folder is verified when it
is loaded (`dataset.read_manifest`); a corrupt cache entry is rebuilt, a corrupt bundled dataset is an error.

Errors name the fix in the caller's own spelling (`Spelling`): `-T source=...` for Inspect, lm-eval's
`--metadata` keys, the CLI's flags.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir

from .. import __version__
from ..errors import RetrievalError
from ..sources.fetch import SourceUnavailable
from .canonical import canonical_dir, check_size
from .store import DatasetCorrupt, read_manifest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Spelling:
    """How a framework's user passes the resolution inputs (for error messages)."""

    dataset: str
    revision: str
    source: str
    pin: str
    size: str = "size=full"


CLI_SPELLING = Spelling("--dataset DIR", "--revision TAG", "--source PATH", "--pin VERSION", "--size full")
INSPECT_SPELLING = Spelling("-T dataset=DIR", "-T revision=TAG", "-T source=PATH", "-T pin=VERSION", "-T size=full")
LM_EVAL_SPELLING = Spelling("--metadata '{\"dataset\": \"DIR\"}'", "--metadata '{\"dataset_revision\": \"TAG\"}'",
                            "--metadata '{\"source\": \"PATH\"}'", "--metadata '{\"pin\": \"VERSION\"}'",
                            "the cpython_retrieval_full tasks")


@dataclass(frozen=True)
class ResolvedDataset:
    path: Path
    origin: str  # "canonical", "local", "hub", "cached-build", "built"
    description: str


def resolve_dataset(dataset: str | None = None, *, revision: str | None = None, pin: str | None = None,
                    source: str | None = None, cache_dir: Path | None = None,
                    spelling: Spelling = CLI_SPELLING, allow_mismatch: bool = False,
                    size: str = "default") -> ResolvedDataset:
    """The folder to run. A `source` that differs from `pin` is refused unless `allow_mismatch` (then the dataset's
    manifest lists the files that differ or were dropped, and `dataset_identity` says so); `pin`/`source` beside an
    explicit `dataset` would have no effect, so they are refused unless they name the dataset's own pin. `size`
    picks a size of the bundled canonical dataset (see `canonical.CANONICAL_SIZES`)."""
    check_size(size)
    if size != "default" and (dataset or source or pin not in (None, "", "canonical")):
        raise RetrievalError(f"{spelling.size} picks a size of the bundled canonical dataset, so it cannot be combined "
                             f"with {spelling.dataset}, {spelling.pin} or {spelling.source}; drop one of them (build "
                             "several ladders of another source with `cpython-retrieval build --ladders N`)")
    if dataset:
        local = Path(dataset).expanduser()
        if local.exists():
            manifest = read_manifest(local)  # verified here: a broken folder fails now, not mid-run
            resolved = ResolvedDataset(local, "local", f"local folder {local}")
        else:
            resolved = _from_hub(dataset, revision, spelling)
            manifest = read_manifest(resolved.path)
        _refuse_ignored_arguments(manifest, pin, source, spelling)
        return resolved
    if pin in (None, "", "canonical") and not source:
        return _canonical(size)
    try:
        return _cached_build(pin or "auto", source, cache_dir, allow_mismatch, spelling)
    except SourceUnavailable as exc:
        raise exc.with_flag(spelling.source) from None


def _refuse_ignored_arguments(manifest: dict, pin: str | None, source: str | None, spelling: Spelling) -> None:
    """`dataset` decides the questions: a `pin` other than its own, or any `source`, would be silently ignored."""
    own = (manifest.get("pin") or {}).get("version")
    if source:
        raise RetrievalError(f"{spelling.dataset} and {spelling.source} were both given, but a dataset's questions are "
                             f"already built (CPython {own}), so the source would have no effect; pass one of them")
    if pin not in (None, "", "auto", "canonical") and pin != own:
        raise RetrievalError(f"{spelling.dataset} was built from CPython {own}, but pin {pin} was asked for "
                             f"({spelling.pin}): the pin would have no effect; drop it, or build that pin instead of "
                             "the dataset")


def _canonical(size: str = "default") -> ResolvedDataset:
    path = canonical_dir(size)
    try:
        manifest = read_manifest(path)
    except DatasetCorrupt as exc:
        raise DatasetCorrupt(f"the bundled canonical dataset is damaged ({exc}); reinstall cpython-retrieval") from None
    label = "" if size == "default" else f", {size} size"
    return ResolvedDataset(path, "canonical", f"canonical dataset (CPython {manifest['pin']['version']}{label}, bundled)")


def _from_hub(repo_id: str, revision: str | None, spelling: Spelling) -> ResolvedDataset:
    local = Path(repo_id).expanduser()
    if _looks_like_a_path(repo_id, local):
        siblings = [p.name for p in local.parent.iterdir()] if local.parent.is_dir() else []
        near = difflib.get_close_matches(local.name, siblings, n=1)
        hint = f" (did you mean {local.parent / near[0]}?)" if near else ""
        raise RetrievalError(f"dataset {repo_id}: no such folder{hint}; pass {spelling.dataset} with a folder written "
                             "by `cpython-retrieval build --out DIR`, or a Hub repo id ORG/NAME")
    if not revision:
        raise RetrievalError(f"refusing to load Hub dataset {repo_id} without a pinned revision: pass {spelling.revision} "
                             "(a tag or commit), so every run loads the same questions")
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise RetrievalError("loading from the Hub needs huggingface_hub: pip install 'cpython-retrieval[hub]'") from exc
    try:
        path = snapshot_download(repo_id, repo_type="dataset", revision=revision)
    except Exception as exc:  # offline without a cached copy, missing repo, bad revision: one clear line
        offline = os.environ.get("HF_HUB_OFFLINE") == "1"
        raise RetrievalError(
            f"cannot load {repo_id}@{revision} from the Hub{' (HF_HUB_OFFLINE=1 and no cached copy)' if offline else ''}: "
            f"{type(exc).__name__}; pass {spelling.dataset} with a local folder, or build one with "
            "`cpython-retrieval build --out DIR`"
        ) from exc
    read_manifest(path)
    return ResolvedDataset(Path(path), "hub", f"{repo_id}@{revision}")


def _looks_like_a_path(text: str, path: Path) -> bool:
    """Not a Hub id ORG/NAME: a path-like spelling, or one whose first part is a local folder (a mistyped `out/datset`)."""
    if text.startswith((".", "/", "~")) or text.count("/") != 1 or os.sep != "/" and os.sep in text:
        return True
    return path.parent.is_dir()


def _cached_build(pin: str, source: str | None, cache_dir: Path | None, allow_mismatch: bool,
                  spelling: Spelling) -> ResolvedDataset:
    from ..generate.stages import resolve_pin

    try:
        pin_obj = resolve_pin(pin, source, allow_mismatch=allow_mismatch)
    except RetrievalError as exc:
        raise RetrievalError(str(exc).replace("--allow-mismatch", _allow_flag(spelling))) from None
    root = Path(cache_dir or user_cache_dir("cpython-retrieval")) / "datasets"
    key = f"cpython-{pin_obj.version}-gen{__version__}-{generator_fingerprint()}-seed0"
    if source is not None:
        key += "-" + source_content_key(source) + ("-mismatch" if allow_mismatch else "")
        if not allow_mismatch:
            _refuse_a_differing_folder(pin_obj, source, pin, spelling)
    target = root / key
    if target.exists():
        try:
            read_manifest(target)
            return ResolvedDataset(target, "cached-build", f"cached build of CPython {pin_obj.version} at {target}")
        except RetrievalError as exc:  # a damaged entry (a flipped byte, its manifest gone) is the cache's own: rebuilt
            logger.warning("cached dataset %s is unusable (%s); rebuilding it", target, exc)
            _remove_cache_entry(target)
    from ..generate.stages import build_dataset
    from .store import write_dataset

    logger.warning("building CPython %s tiers into %s (once; later runs reuse it)", pin_obj.version, target)
    try:
        built = build_dataset(pin=pin, source=source, allow_mismatch=allow_mismatch, cache_dir=cache_dir)
    except SourceUnavailable:
        raise
    except RetrievalError as exc:  # a source that differs from the pin: the fix in the caller's own spelling
        text = str(exc).replace("--allow-mismatch", _allow_flag(spelling))
        if "differ from the CPython" in text and pin in ("auto", "", None):
            text += f" (no pin was given, so the source was checked against {pin_obj.version}: name its own " \
                    f"release with {spelling.pin})"
        raise RetrievalError(text) from None
    write_dataset(built, target)
    return ResolvedDataset(target, "built", f"built CPython {pin_obj.version} ({built.manifest['source_kind']} source) "
                                            f"at {target}")


def _refuse_a_differing_folder(pin_obj, source: str, pin: str, spelling: Spelling) -> None:
    """Before a build is announced: a source folder whose files' hashes differ from the pin's is refused now (the
    build would refuse it too, after saying it was building)."""
    from ..sources.fetch import is_tarball
    from ..sources.lib_files import find_lib_dir, scope_hashes

    if is_tarball(source) or not pin_obj.files:
        return  # a tarball is verified by its sha256; a tarball-only pin is checked by the build
    lib = find_lib_dir(Path(source))
    present = scope_hashes(lib)
    differing = [path for path, digest in present.items() if pin_obj.files.get(path) != digest]
    differing += [f"{path} (missing)" for path in sorted(set(pin_obj.files) - set(present))]
    if not differing:
        return
    shown = ", ".join(differing[:5]) + (" ..." if len(differing) > 5 else "")
    hint = (f"; no pin was given, so it was checked against {pin_obj.version}: name its own release with "
            f"{spelling.pin}" if pin in ("auto", "", None) else "")
    raise RetrievalError(f"{len(differing)} file(s) in {lib} differ from the CPython {pin_obj.version} manifest "
                         f"({shown}); use the pinned release, or pass {_allow_flag(spelling)} to build from it anyway "
                         f"(the log then says the source does not match){hint}")


def _allow_flag(spelling: Spelling) -> str:
    """How this caller asks for a mismatched source explicitly."""
    if spelling is INSPECT_SPELLING:
        return "-T allow_mismatch=true"
    if spelling is LM_EVAL_SPELLING:
        return "--metadata '{\"allow_mismatch\": true}'"
    return "--allow-mismatch"


def _remove_cache_entry(target: Path) -> None:
    """Delete a damaged cache entry (a folder or a stray file at its path); one that cannot be removed is an error."""
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target, ignore_errors=True)
    else:
        target.unlink(missing_ok=True)
    if target.exists():
        raise RetrievalError(f"cannot remove the damaged cache entry {target}; delete it by hand and run again")


#: Modules that decide a dataset's content; the framework adapters, scorers, report and bundled data do not.
_NOT_GENERATOR = {"adapters", "tasks", "scorers", "report", "lm_eval_tasks", "reference", "dataset/canonical",
                  "dataset/canonical_full"}


def generator_fingerprint() -> str:
    """sha256 (12 hex) of the generator's own source and pin manifests: a cached build is reused only by the same code."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        skipped = relative.parts[0] in _NOT_GENERATOR or "/".join(relative.parts[:2]) in _NOT_GENERATOR
        if path.suffix in (".py", ".json") and not skipped and "__pycache__" not in relative.parts:
            digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def source_content_key(source: str | Path) -> str:
    """sha256 (12 hex) of a source's corpus files (path and bytes), or of a tarball's bytes: an edited source is a new key."""
    from ..sources.fetch import is_tarball
    from ..sources.lib_files import find_lib_dir, scope_hashes, sha256_file

    if is_tarball(source):
        if "://" in str(source):
            return hashlib.sha256(str(source).encode()).hexdigest()[:12]  # verified by the pin's sha256 when fetched
        return sha256_file(Path(source).expanduser())[:12]
    lib = find_lib_dir(Path(source))
    digest = hashlib.sha256()
    for relative, file_digest in scope_hashes(lib).items():
        digest.update(relative.encode() + b"\0" + file_digest.encode() + b"\n")
    return digest.hexdigest()[:12]
