"""Inspect AI tasks (`inspect eval cpython_retrieval/T25`), solver, scorers and metrics. Needs `inspect-ai`."""

from .retrieval import T25, T50, T100, T200, T500, T1000, TASKS, retrieval_task
from .scorers import ast_semantic_match, factuality_judge, substring_match
from .solver import CALLS_KEY, build_messages, cold_warm_trials

__all__ = ["T25", "T50", "T100", "T200", "T500", "T1000", "TASKS", "retrieval_task", "ast_semantic_match",
           "factuality_judge", "substring_match", "CALLS_KEY", "build_messages", "cold_warm_trials"]
