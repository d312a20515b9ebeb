"""cpython-retrieval: long-context retrieval questions with exact AST answers, from a pinned CPython `Lib/`.

Pipeline, one module per step: pins -> corpus -> definitions -> facts -> contexts (tiers) ->
questions -> perturbations -> dataset (+ card); `build/` runs them as stages. Framework adapters
live in `adapters/` and `tasks/`.
"""

__version__ = "0.2.0"


def build_dataset(**kwargs):
    """Build rows in memory: see `cpython_retrieval.build.build_dataset`."""
    from .build import build_dataset as _build

    return _build(**kwargs)


__all__ = ["__version__", "build_dataset"]
