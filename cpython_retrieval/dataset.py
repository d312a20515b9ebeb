"""Step 5: write a built dataset as a Hugging Face dataset folder, and read it back.

Layout: `data/<tier>.parquet` (one config per tier, split `test`), `data/contexts.parquet` (each
distinct context stored once, joined to rows by `context_id`), `manifest.json` and `README.md` (the
dataset card with its `configs:` block). Parquet is written with a fixed schema, compression and
row-group size and no timestamps, so the same rows give byte-identical files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .build import BuiltDataset
from .card import render_card
from .errors import RetrievalError

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


def _write_parquet(records: list[dict[str, Any]], schema: pa.Schema, path: Path) -> None:
    table = pa.Table.from_pylist(records, schema=schema)
    pq.write_table(table, path, compression="zstd", compression_level=9, row_group_size=10_000, write_statistics=False)


def write_dataset(built: BuiltDataset, out_dir: str | Path) -> list[Path]:
    """Write the folder; returns the files written, sorted."""
    out = Path(out_dir)
    (out / "data").mkdir(parents=True, exist_ok=True)
    written = []
    for tier, rows in built.rows.items():
        path = out / "data" / f"{tier}.parquet"
        _write_parquet(rows, ROW_SCHEMA, path)
        written.append(path)
    contexts_path = out / "data" / f"{CONTEXTS_CONFIG}.parquet"
    _write_parquet(built.contexts, CONTEXT_SCHEMA, contexts_path)
    written.append(contexts_path)
    manifest_path = out / "manifest.json"
    manifest_path.write_text(json.dumps(built.manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    card_path = out / "README.md"
    card_path.write_text(render_card(built), encoding="utf-8")
    return sorted([*written, manifest_path, card_path])


def dataset_tiers(directory: str | Path) -> list[str]:
    manifest = read_manifest(directory)
    return list(manifest["tiers"])


def read_manifest(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / "manifest.json"
    if not path.is_file():
        raise RetrievalError(f"{directory} is not a cpython-retrieval dataset folder (no manifest.json); build one with `cpython-retrieval build --out DIR`")
    return json.loads(path.read_text(encoding="utf-8"))


def load_rows(directory: str | Path, tier: str) -> list[dict[str, Any]]:
    """A tier's rows from a local dataset folder, without the context text."""
    path = Path(directory) / "data" / f"{tier}.parquet"
    if not path.is_file():
        raise RetrievalError(f"{directory} has no tier {tier} (have: {', '.join(dataset_tiers(directory))})")
    return pq.read_table(path).to_pylist()


def load_contexts(directory: str | Path, context_ids=None) -> dict[str, str]:
    """context_id -> text, for every context or just the ones named."""
    table = pq.read_table(Path(directory) / "data" / f"{CONTEXTS_CONFIG}.parquet", columns=["context_id", "text"])
    wanted = None if context_ids is None else set(context_ids)
    return {cid: text for cid, text in zip(table.column("context_id").to_pylist(), table.column("text").to_pylist())
            if wanted is None or cid in wanted}


def load_tier(directory: str | Path, tier: str) -> list[dict[str, Any]]:
    """A tier's rows, each with its `context` text joined in: ready to prompt."""
    rows = load_rows(directory, tier)
    texts = load_contexts(directory, {r["context_id"] for r in rows})
    return [{**row, "context": texts[row["context_id"]]} for row in rows]
