"""Independent checks of built datasets (no code shared with cpython_retrieval)."""
