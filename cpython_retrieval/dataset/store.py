"""Step 5: write a built dataset as a Hugging Face dataset folder, and read it back verified.

Layout: `data/<tier>.parquet` (one config per tier, split `test`), `data/contexts.parquet` (each
distinct context stored once, joined to rows by `context_id`), `manifest.json`, `README.md` (the
dataset card with its `configs:` block) and `LICENSE` (CPython's: the contexts are its source text).
Parquet is written with a fixed schema, compression and row-group size and no timestamps, so the
same rows give byte-identical files with the same pyarrow.

Identity and integrity (`manifest.json`):

- `fingerprint`: sha256 over the *content* of every data file (each record as canonical JSON), so two
  folders with the same questions have the same fingerprint whichever pyarrow wrote them. Logs and
  reports carry it to tell whether two runs asked the same questions.
- `data_files`: sha256 of every file's bytes; `manifest_sha256`: of the manifest itself. Every load
  checks them, so a flipped bit or a truncated file is one clear error, never a different question.

Writes are atomic: the folder is written beside `--out` and moved into place whole, so a killed
build leaves the previous dataset or none, never a mix.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic_files import replace_dir
from ..errors import RetrievalError
from ..generate.stages import BuiltDataset
from ..sources.lib_files import sha256_file
from .card import render_card

ROW_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("tier", pa.string()),
        ("question", pa.string()),
        ("answer", pa.string()),
        ("answer_json", pa.string()),
        ("question_type", pa.string()),
        ("difficulty", pa.string()),
        ("source_file", pa.string()),
        ("symbol", pa.string()),
        ("ast_node_type", pa.string()),
        ("answer_char_start", pa.int64()),
        ("answer_char_end", pa.int64()),
        ("answer_token_start", pa.int64()),
        ("depth", pa.float64()),
        ("context_id", pa.string()),
        ("context_tokens", pa.int64()),
        ("tokenizer", pa.string()),
        ("context_token_counts", pa.string()),
        ("cpython_version", pa.string()),
        ("cpython_tag", pa.string()),
        ("generator_version", pa.string()),
        ("seed", pa.int64()),
        ("perturbed", pa.bool_()),
        ("perturbation_kind", pa.string()),
        ("original_symbol", pa.string()),
        ("perturbed_symbol", pa.string()),
        ("original_answer", pa.string()),
        ("pair_id", pa.string()),
        ("drift", pa.bool_()),
        ("drift_kind", pa.string()),
        ("stale_answer", pa.string()),
        ("stale_pin", pa.string()),
    ]
)

CONTEXT_SCHEMA = pa.schema(
    [
        ("context_id", pa.string()),
        ("tier", pa.string()),
        ("variant", pa.string()),
        ("text", pa.string()),
        ("context_tokens", pa.int64()),
        ("tokenizer", pa.string()),
        ("context_token_counts", pa.string()),
        ("files", pa.string()),
    ]
)

CONTEXTS_CONFIG = "contexts"
MANIFEST = "manifest.json"
CARD = "README.md"
LICENSE = "LICENSE"
GENERATOR = "cpython-retrieval"


class DatasetCorrupt(RetrievalError):
    """A dataset folder's files do not match its manifest (a flipped bit, a truncated or missing file)."""


# --- writing --------------------------------------------------------------------------------------

def _write_parquet(records: list[dict[str, Any]], schema: pa.Schema, path: Path) -> None:
    table = pa.Table.from_pylist(records, schema=schema)
    pq.write_table(table, path, compression="zstd", compression_level=9, row_group_size=10_000, write_statistics=False)


def _canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def content_fingerprint(tables: dict[str, list[dict[str, Any]]]) -> str:
    """sha256 over every config's records as canonical JSON, configs in name order: the dataset's identity."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        digest.update(name.encode() + b"\0")
        for record in tables[name]:
            digest.update(_canonical(record) + b"\n")
    return digest.hexdigest()


def folder_fingerprint(directory: str | Path) -> str:
    """The fingerprint recomputed from a folder's parquet files (what `content_fingerprint` gave at build time)."""
    manifest = read_manifest(directory)
    tables = {name: pq.read_table(Path(directory) / "data" / f"{name}.parquet").to_pylist()
              for name in [*manifest["tiers"], CONTEXTS_CONFIG]}
    return content_fingerprint(tables)


def manifest_digest(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest without its own `manifest_sha256` entry."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(_canonical(body)).hexdigest()


def is_dataset_folder(directory: str | Path) -> bool:
    """A folder this tool wrote (its manifest names this generator); `foreign_files` says what `--out` may replace."""
    try:
        manifest = json.loads((Path(directory) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("generator") == GENERATOR


def foreign_files(directory: str | Path) -> list[str]:
    """Paths in `directory` that are not a previous build's own files, sorted (empty: `--out` may replace it whole).

    A build's own files are `manifest.json` (naming this generator, with its own digest intact) and what that
    manifest lists in `data_files` among the names a build writes (`README.md`, `LICENSE`, `data/*.parquet`), plus
    the `data/` folder. Anything else is the user's: a note, a thesis, a file the manifest does not list, or one a
    manifest lists that no build writes.
    """
    folder = Path(directory)
    present = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    if not present:
        return []
    owned: set[str] = set()
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if (isinstance(manifest, dict) and manifest.get("generator") == GENERATOR
            and isinstance(manifest.get("data_files"), dict) and manifest["data_files"]
            and manifest.get("manifest_sha256") == manifest_digest(manifest)):
        listed = {str(name) for name in manifest["data_files"] if _build_writes(str(name))}
        owned = {MANIFEST, "data", *listed}
    return [name for name in present if name not in owned or (folder / name).is_symlink()]


def _build_writes(name: str) -> bool:
    """A name `_write_into` can write: README.md, LICENSE, data/<name>.parquet."""
    parts = name.split("/")
    return name in (CARD, LICENSE) or (len(parts) == 2 and parts[0] == "data" and parts[1].endswith(".parquet")
                                       and parts[1] not in (".parquet", "..parquet"))


def check_output_dir(out: str | Path) -> Path:
    """Refuse, before any long work, an `--out` that is a file, holds anything but a build, or is unwritable."""
    out = Path(out).expanduser()
    if out.exists() and not out.is_dir():
        raise RetrievalError(f"--out {out} is a file; choose a new or empty folder")
    if out.is_dir():
        foreign = foreign_files(out)
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise RetrievalError(f"--out {out} holds files that are not a previous build's own ({shown}); nothing "
                                 "there is deleted: choose a new or empty folder (a previous build's folder is "
                                 "replaced whole)")
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.probe-")
    except OSError as exc:
        raise RetrievalError(f"--out {out}: cannot write in {parent} ({exc.strerror or exc}); choose a writable "
                             "folder") from exc
    os.rmdir(probe)
    return out


def write_dataset(built: BuiltDataset, out_dir: str | Path) -> list[Path]:
    """Write the folder atomically (replacing a previous build there); returns the files written, sorted."""
    out = check_output_dir(out_dir)
    tmp = Path(tempfile.mkdtemp(dir=out.resolve().parent, prefix=f".{out.name}.partial-"))
    try:
        _write_into(built, tmp)
        replace_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    manifest = read_manifest(out)
    return sorted([out / MANIFEST, *(out / name for name in manifest["data_files"])])


def _write_into(built: BuiltDataset, folder: Path) -> None:
    (folder / "data").mkdir(parents=True)
    for tier, rows in built.rows.items():
        _write_parquet(rows, ROW_SCHEMA, folder / "data" / f"{tier}.parquet")
    _write_parquet(built.contexts, CONTEXT_SCHEMA, folder / "data" / f"{CONTEXTS_CONFIG}.parquet")
    (folder / LICENSE).write_bytes(resources.files("cpython_retrieval").joinpath("CPYTHON_LICENSE.txt").read_bytes())
    manifest = dict(built.manifest)
    manifest["fingerprint"] = content_fingerprint({**built.rows, CONTEXTS_CONFIG: built.contexts})
    manifest["writer"] = {"pyarrow": pa.__version__}
    (folder / CARD).write_text(render_card(built, manifest), encoding="utf-8")
    listed = sorted([*(f"data/{t}.parquet" for t in built.rows), f"data/{CONTEXTS_CONFIG}.parquet", CARD, LICENSE])
    manifest["data_files"] = {name: sha256_file(folder / name) for name in listed}
    manifest["manifest_sha256"] = manifest_digest(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# --- reading, verified ----------------------------------------------------------------------------

def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The folder's manifest, after checking every file it lists, every time (no cache keyed on size or mtime: a
    file rewritten in place with both kept is caught; hashing a dataset folder takes milliseconds)."""
    folder = Path(directory)
    path = folder / MANIFEST
    if not path.is_file():
        raise RetrievalError(f"{directory} is not a cpython-retrieval dataset folder (no manifest.json); build one with "
                             "`cpython-retrieval build --out DIR`")
    return verify_dataset(folder, path.read_bytes())


def verify_dataset(folder: Path, raw: bytes | None = None) -> dict[str, Any]:
    """Check the manifest's own digest and every listed file's sha256; DatasetCorrupt names the first problem."""
    raw = (folder / MANIFEST).read_bytes() if raw is None else raw
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DatasetCorrupt(f"{folder}: manifest.json is not readable JSON ({exc}); the folder is corrupt") from exc
    if not isinstance(manifest, dict) or manifest.get("generator") != GENERATOR:
        raise RetrievalError(f"{folder} is not a cpython-retrieval dataset folder (its manifest.json is another tool's)")
    if "data_files" not in manifest or "manifest_sha256" not in manifest:
        raise DatasetCorrupt(f"{folder} was built by cpython-retrieval {manifest.get('generator_version')}, which "
                             "recorded no file hashes; rebuild it with `cpython-retrieval build --out DIR`")
    if manifest_digest(manifest) != manifest["manifest_sha256"]:
        raise DatasetCorrupt(f"{folder}: manifest.json was modified after the build (its digest does not match); "
                             "the folder is corrupt")
    for name, expected in sorted(manifest["data_files"].items()):
        path = folder / name
        if not path.is_file():
            raise DatasetCorrupt(f"{folder}: {name} is missing; the folder is incomplete")
        actual = sha256_file(path)
        if actual != expected:
            raise DatasetCorrupt(f"{folder}: {name} has sha256 {actual[:12]}..., its manifest says {expected[:12]}... "
                                 f"(a flipped bit or a truncated file); the folder is corrupt")
    return manifest


def dataset_identity(manifest: dict[str, Any]) -> dict[str, Any]:
    """What logs carry to say which questions were asked: pin, generator version, fingerprint, and whether the
    source matched the pin (`source_matches_pin` false: built with an explicit allow-mismatch, so `cpython_version`
    names the pin asked for, not a verified release; `source_mismatch` lists the files that differ or were dropped)."""
    mismatches = list(manifest.get("hash_mismatches") or [])
    unverified = (manifest.get("pin") or {}).get("manifest_origin") == "none"  # an unpinned version: nothing to match
    identity = {"cpython_version": manifest["pin"]["version"], "generator_version": manifest["generator_version"],
                "dataset_fingerprint": manifest["fingerprint"], "source_matches_pin": not mismatches and not unverified}
    if not identity["source_matches_pin"]:
        identity["source_mismatch_count"] = len(mismatches)
    return identity


def source_mismatch(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The files of a mismatched build that differ from the pin and those dropped (undecodable, ...), or None."""
    if dataset_identity(manifest)["source_matches_pin"]:
        return None
    return {"pin": manifest["pin"]["version"], "differing_files": list(manifest.get("hash_mismatches") or []),
            "dropped_files": dict(manifest.get("skipped_files") or {})}


def dataset_tiers(directory: str | Path) -> list[str]:
    return list(read_manifest(directory)["tiers"])


def load_rows(directory: str | Path, tier: str) -> list[dict[str, Any]]:
    """A tier's rows from a local dataset folder, without the context text, in the order they are to be sent."""
    tiers = dataset_tiers(directory)
    if tier not in tiers:
        raise RetrievalError(f"{directory} has no tier {tier} (have: {', '.join(tiers)})")
    return _verified_table(directory, f"data/{tier}.parquet").to_pylist()


def load_contexts(directory: str | Path, context_ids=None) -> dict[str, str]:
    """context_id -> text, for every context or just the ones named."""
    table = _verified_table(directory, f"data/{CONTEXTS_CONFIG}.parquet", columns=["context_id", "text"])
    wanted = None if context_ids is None else set(context_ids)
    return {cid: text for cid, text in zip(table.column("context_id").to_pylist(), table.column("text").to_pylist(),
                                           strict=True)
            if wanted is None or cid in wanted}


def _verified_table(directory: str | Path, name: str, columns: list[str] | None = None) -> pa.Table:
    """A data file parsed from the very bytes whose sha256 was just checked against the manifest (so a change
    between `read_manifest` and the read is caught too)."""
    manifest = read_manifest(directory)
    expected = manifest["data_files"].get(name)
    path = Path(directory) / name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetCorrupt(f"{directory}: {name} cannot be read ({exc.strerror or exc}); the folder is "
                             "incomplete") from exc
    actual = hashlib.sha256(raw).hexdigest()
    if expected is None or actual != expected:
        raise DatasetCorrupt(f"{directory}: {name} has sha256 {actual[:12]}..., its manifest says "
                             f"{(expected or 'nothing')[:12]}... (changed since it was verified); the folder is "
                             "corrupt")
    return pq.read_table(pa.BufferReader(raw), columns=columns)


def verified_path(directory: str | Path) -> str:
    """`directory` after checking every file against its manifest: the safe way into `datasets.load_dataset`.

    `datasets.load_dataset(DIR, "T25")` reads the parquet files without looking at the manifest, so a flipped byte
    gives corrupt text; `load_dataset(verified_path(DIR), "T25")` raises DatasetCorrupt instead. It re-hashes every
    file (no cache), since what happens next is outside this package.
    """
    folder = Path(directory).expanduser()
    if not (folder / MANIFEST).is_file():
        raise RetrievalError(f"{directory} is not a cpython-retrieval dataset folder (no manifest.json); build one "
                             "with `cpython-retrieval build --out DIR`")
    verify_dataset(folder)
    return str(folder)


def load_tier(directory: str | Path, tier: str) -> list[dict[str, Any]]:
    """A tier's rows, each with its `context` text joined in: ready to prompt."""
    rows = load_rows(directory, tier)
    texts = load_contexts(directory, {r["context_id"] for r in rows})
    return [{**row, "context": texts[row["context_id"]]} for row in rows]
