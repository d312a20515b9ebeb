"""Find the dataset an adapter should run: an explicit folder or Hub repo, else a cached local build.

Order: an explicit `dataset` (a local folder, or a Hub repo id that must come with a pinned
`revision`); otherwise the published dataset when one is configured and reachable or cached;
otherwise a build from the running interpreter's own `Lib/`, cached in the user cache dir, so the
main command works on a fresh machine with no network.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir

from . import __version__
from .errors import RetrievalError

logger = logging.getLogger(__name__)

#: The published Hub dataset and its pinned revision; None until one is published.
PUBLISHED_DATASET: tuple[str, str] | None = None


@dataclass(frozen=True)
class ResolvedDataset:
    path: Path
    origin: str  # "local", "hub", "cached-build", "built"
    description: str


def resolve_dataset(dataset: str | None = None, *, revision: str | None = None, pin: str = "auto",
                    source: str | None = None, cache_dir: Path | None = None) -> ResolvedDataset:
    if dataset:
        local = Path(dataset).expanduser()
        if local.exists():
            if not (local / "manifest.json").is_file():
                raise RetrievalError(f"{dataset} is not a cpython-retrieval dataset folder (no manifest.json); build one with `cpython-retrieval build --out DIR`")
            return ResolvedDataset(local, "local", f"local folder {local}")
        return _from_hub(dataset, revision)
    if PUBLISHED_DATASET is not None and source is None:
        repo_id, pinned = PUBLISHED_DATASET
        try:
            return _from_hub(repo_id, pinned)
        except RetrievalError as exc:
            logger.warning("published dataset unavailable (%s); building from the local stdlib instead", exc)
    return _cached_build(pin, source, cache_dir)


def _from_hub(repo_id: str, revision: str | None) -> ResolvedDataset:
    if "/" not in repo_id:
        raise RetrievalError(f"dataset {repo_id!r} is neither an existing folder nor a Hub repo id of the form ORG/NAME")
    if not revision:
        raise RetrievalError(f"refusing to load {repo_id} without a pinned revision: pass revision=<tag or commit> (-T revision=...)")
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
            f"{type(exc).__name__}; pass dataset=<local folder> or build one with `cpython-retrieval build --out DIR`"
        ) from exc
    return ResolvedDataset(Path(path), "hub", f"{repo_id}@{revision}")


def _cached_build(pin: str, source: str | None, cache_dir: Path | None) -> ResolvedDataset:
    from .build import resolve_pin

    version = resolve_pin(pin, Path(source) if source else None, allow_mismatch=source is not None).version
    root = Path(cache_dir or user_cache_dir("cpython-retrieval")) / "datasets"
    key = f"cpython-{version}-gen{__version__}-{generator_fingerprint()}-seed0" + ("" if source is None else "-" + _source_key(source))
    target = root / key
    if (target / "manifest.json").is_file():
        return ResolvedDataset(target, "cached-build", f"cached build of CPython {version} at {target}")
    from .build import build_dataset
    from .dataset import write_dataset

    logger.warning("no dataset given: building CPython %s tiers from the local stdlib into %s", version, target)
    built = build_dataset(pin=version, source=source, allow_mismatch=source is not None, allow_download=False)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{key}-"))
    try:
        write_dataset(built, tmp)
        try:
            tmp.rename(target)
        except OSError:  # another process finished the same build first
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ResolvedDataset(target, "built", f"built CPython {version} from the local stdlib ({built.manifest['source_kind']}) at {target}")


#: Modules that decide a dataset's content; the framework adapters, scorers and report do not.
_NOT_GENERATOR = {"adapters", "tasks", "scorers", "report", "lm_eval_tasks"}


def generator_fingerprint() -> str:
    """sha256 (12 hex) of the generator's own source and pin manifests: a cached build is reused only by the same code."""
    import hashlib

    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if path.suffix in (".py", ".json") and relative.parts[0] not in _NOT_GENERATOR and "__pycache__" not in relative.parts:
            digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _source_key(source: str) -> str:
    import hashlib

    return hashlib.sha256(str(Path(source).expanduser().resolve()).encode()).hexdigest()[:12]
