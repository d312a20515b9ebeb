"""Datasets on disk: `store` writes, verifies and reads a dataset folder, `card` renders its README, `canonical`
names the bundled one, `resolve` picks the folder a task runs on, and `publish` pushes a folder to the Hub.

The reading and writing functions are re-exported here, so `cpython_retrieval.dataset.load_tier(DIR, "T25")` works.
"""

from .store import (
    DatasetCorrupt,
    dataset_tiers,
    load_contexts,
    load_rows,
    load_tier,
    read_manifest,
    verified_path,
    verify_dataset,
    write_dataset,
)

__all__ = ["DatasetCorrupt", "dataset_tiers", "load_contexts", "load_rows", "load_tier", "read_manifest",
           "verified_path", "verify_dataset", "write_dataset"]
