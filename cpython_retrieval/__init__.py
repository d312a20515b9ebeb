"""cpython-retrieval: long-context retrieval questions with exact AST answers, from a pinned CPython `Lib/`.

Rooms, in the order data flows: `sources/` (a pinned release's verified `Lib/`) -> `generate/` (definitions,
facts, tier contexts, questions, perturbations, drift; `generate/stages/` runs them) -> `dataset/` (folders on
disk, the bundled canonical dataset) -> `tasks/` (Inspect) and `lm_eval_tasks/` (lm-eval), scored by `scorers/`,
with `reference/` models, `adapters/` for model APIs and `report/` for logs.
"""

__version__ = "0.3.0"


def build_dataset(**kwargs):
    """Build rows in memory: see `cpython_retrieval.generate.stages.build_dataset`."""
    from .generate.stages import build_dataset as _build

    return _build(**kwargs)


__all__ = ["__version__", "build_dataset"]
