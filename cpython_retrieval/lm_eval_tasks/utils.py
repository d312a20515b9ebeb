"""lm-eval hooks of the cpython_retrieval tasks: the docs loader, the prompt and the scoring.

lm-eval loads this file by path (`!function utils.load_docs` in `_default_template_yaml`), so it
imports the package absolutely. Same data, prompt text and scoring core as the Inspect tasks:

- docs come from `cpython_retrieval.dataset.resolve.resolve_dataset` (explicit folder / Hub repo at a
  pinned revision / cached local build), selected with `--metadata` keys `dataset` and
  `dataset_revision`, else the env vars `CPYTHON_RETRIEVAL_DATASET` / `CPYTHON_RETRIEVAL_REVISION`;
- a doc carries its `context_id`, not the context text (which `doc_to_text` fetches from a
  per-process cache), so lm-eval's `--log_samples` lines hold the long context once, in the
  prompt, and `cpython-retrieval lm-eval` can leave the prompt out of its per-row log
  (`lm_eval_tasks.row_log`) and still say which context each row was asked about;
- `doc_to_text` is `cpython_retrieval.prompt.render_prompt`;
- `process_results` calls `cpython_retrieval.scorers.score_answer` / `substring_match`.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

import datasets

from cpython_retrieval.dataset.store import (
    dataset_identity,
    load_contexts,
    load_rows,
    read_manifest,
    source_mismatch,
)
from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.lm_eval_tasks.guard import check_context_window, check_output_budget, live_evaluation
from cpython_retrieval.lm_eval_tasks.replies import install_reply_checks, unscored_reason
from cpython_retrieval.prompt import render_prompt
from cpython_retrieval.question_types import QUESTION_TYPES
from cpython_retrieval.scorers import rejected_answers, score_answer, substring_match

logger = logging.getLogger("cpython_retrieval.lm_eval")

#: Keep equal to generation_kwargs.max_gen_toks in _default_template_yaml (a test checks).
MAX_GEN_TOKS = 256
DATASET_ENV = "CPYTHON_RETRIEVAL_DATASET"
REVISION_ENV = "CPYTHON_RETRIEVAL_REVISION"
PERTURBED_MODES = ("include", "only", "exclude")

_lock = threading.Lock()
_resolved: dict[tuple[str | None, ...], str] = {}
_contexts: dict[tuple[str, str], str] = {}


def dataset_dir(metadata: dict[str, Any], size: str = "default") -> str:
    """The dataset folder the tasks run, resolved once per process (default: the bundled canonical dataset; the
    `cpython_retrieval_full` tasks run its `full` size)."""
    from cpython_retrieval.dataset.resolve import (
        LM_EVAL_SPELLING,
        resolve_dataset,
    )

    name = metadata.get("dataset") or os.environ.get(DATASET_ENV) or None
    revision = metadata.get("dataset_revision") or os.environ.get(REVISION_ENV) or None
    pin, source = metadata.get("pin") or None, metadata.get("source") or None
    allow = _truthy(metadata.get("allow_mismatch"))
    key = (*(str(v) if v else None for v in (name, revision, pin, source)), allow, size)
    with _lock:
        if key not in _resolved:
            resolved = resolve_dataset(key[0], revision=key[1], pin=key[2], source=key[3], spelling=LM_EVAL_SPELLING,
                                       allow_mismatch=allow, size=size)
            logger.info("cpython_retrieval: dataset %s", resolved.description)
            _resolved[key] = str(resolved.path)
        return _resolved[key]


def _context_text(directory: str, context_id: str) -> str:
    key = (directory, context_id)
    text = _contexts.get(key)
    if text is None:
        with _lock:
            if key not in _contexts:
                loaded = load_contexts(directory, {context_id})
                if context_id not in loaded:
                    raise RetrievalError(f"context {context_id} is missing from {directory}/data/contexts.parquet")
                _contexts[key] = loaded[context_id]
            text = _contexts[key]
    return text


def _doc(row: dict[str, Any], directory: str, no_context: bool, identity: dict[str, Any]) -> dict[str, Any]:
    doc = dict(row)
    doc.pop("context", None)
    doc["dataset_dir"] = directory
    doc["no_context"] = no_context
    doc.update(identity)  # pin, generator version and fingerprint travel with every logged sample
    return doc


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def load_docs(cpr_tier: str, cpr_size: str = "default", **metadata: Any) -> dict[str, datasets.Dataset]:
    """`custom_dataset` of every tier task: `{"test": Dataset}` of the tier's rows, after the guard.

    lm-eval calls it with the task metadata (model_args | --metadata | the YAML's) plus the
    task's `dataset_kwargs` (`cpr_tier`), so it accepts and ignores unknown keys. Under lm-eval's
    command line an expected problem (a bad argument, a window too small) ends the run with one line
    and exit code 2 instead of a traceback; from Python it is an ordinary RetrievalError.
    """
    try:
        return _load_docs(cpr_tier, metadata, cpr_size)
    except RetrievalError as exc:
        if _under_lm_eval_cli():
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        raise


def _under_lm_eval_cli() -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == "lm_eval.__main__":
            return True
        frame = frame.f_back
    return False


def _load_docs(cpr_tier: str, metadata: dict[str, Any], size: str = "default") -> dict[str, datasets.Dataset]:
    task = f"cpython_retrieval_{'' if size == 'default' else size + '_'}{cpr_tier.lower()}"
    directory = dataset_dir(metadata, size)
    manifest = read_manifest(directory)
    tiers = list(manifest.get("tiers", {}))
    if cpr_tier not in tiers:
        # lm-eval cannot run a task with no documents, so a missing tier is an error, never a skip.
        raise RetrievalError(
            f"{task}: dataset {directory} has no tier {cpr_tier} (it has: {', '.join(tiers) or 'none'}); run only "
            f"those tiers (--tasks {','.join(f'cpython_retrieval_{t.lower()}' for t in tiers)}) or use a dataset "
            f"with every tier (`cpython-retrieval build --out DIR`, or leave `dataset` unset for the cached build)")
    rows = _select(load_rows(directory, cpr_tier), metadata, task)
    no_context = _truthy(metadata.get("no_context"))
    lm, gen_kwargs, found = live_evaluation()
    check_output_budget(task, gen_kwargs)  # whatever the guard's setting: a budget below 1 token is a typo
    if rows and not no_context:
        _guard(task, rows, directory, metadata)
    if found:
        install_reply_checks(lm, score=process_results)  # only finished replies are scored (replies.py)
    identity = dataset_identity(manifest)
    mismatch = source_mismatch(manifest)
    if mismatch is not None:
        logger.warning("%s: the source does not match CPython %s (%d file(s) differ: %s; %d dropped: %s); built so "
                       "because allow_mismatch was asked for", task, mismatch["pin"], len(mismatch["differing_files"]),
                       ", ".join(mismatch["differing_files"][:10]), len(mismatch["dropped_files"]),
                       ", ".join(sorted(mismatch["dropped_files"])[:10]))
    return {"test": datasets.Dataset.from_list([_doc(row, directory, no_context, identity) for row in rows])}


def _select(rows: list[dict[str, Any]], metadata: dict[str, Any], task: str) -> list[dict[str, Any]]:
    """The Inspect tasks' row filters: `perturbed` (include/only/exclude) and `question_types`."""
    mode = str(metadata.get("perturbed") or "include")
    if mode not in PERTURBED_MODES:
        raise RetrievalError(f"metadata perturbed must be one of {', '.join(PERTURBED_MODES)} (got {mode!r})")
    if mode == "exclude":
        rows = [r for r in rows if not r.get("perturbed")]
    elif mode == "only":
        rows = [r for r in rows if r.get("perturbed")]
    types = metadata.get("question_types")
    if types:
        wanted = [t.strip() for t in (types.split(",") if isinstance(types, str) else types) if str(t).strip()]
        unknown = sorted(set(wanted) - set(QUESTION_TYPES))
        if unknown:
            raise RetrievalError(f"unknown question type(s) {', '.join(unknown)}; choose from {', '.join(QUESTION_TYPES)}")
        rows = [r for r in rows if r["question_type"] in wanted]
    if not rows:  # lm-eval cannot run a task with no documents
        raise RetrievalError(f"{task}: no questions left with perturbed={mode} and question_types={types}")
    return rows


def _guard(task: str, rows: list[dict[str, Any]], directory: str, metadata: dict[str, Any]) -> None:
    from cpython_retrieval.tokens import get_counter

    count = get_counter("o200k_base").count
    longest_ctx = max(rows, key=lambda r: r.get("context_tokens") or 0)
    longest_question = max(rows, key=lambda r: len(r["question"]))["question"]
    overhead = count(render_prompt(longest_question, "", cpython_version=longest_ctx.get("cpython_version") or ""))
    o200k = int(longest_ctx.get("context_tokens") or 0) + overhead

    def longest_prompt() -> str:
        return render_prompt(longest_question, _context_text(directory, longest_ctx["context_id"]))

    check_context_window(task, o200k_prompt_tokens=o200k, longest_prompt=longest_prompt, metadata=metadata,
                         max_gen_toks=MAX_GEN_TOKS)


def doc_to_text(doc: dict[str, Any]) -> str:
    """The prompt: exactly `cpython_retrieval.prompt.render_prompt`, as the Inspect tasks send it."""
    if doc.get("no_context"):
        return render_prompt(doc["question"], None, cpython_version=doc.get("cpython_version") or "", no_context=True)
    return render_prompt(doc["question"], _context_text(doc["dataset_dir"], doc["context_id"]),
                         cpython_version=doc.get("cpython_version") or "")


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, float]:
    """Per-question metrics from the shared scoring core (`cpython_retrieval.scorers`).

    Every question gives `score` (ASTSemanticMatch), `substring_match` and `unscored_reply` (1 when the reply was
    not a finished reply of the requested model: cut, filtered, undecodable, another model's; then every score is
    0 and the logged response names the reason, see replies.py); it also gives
    `score_<question_type>`, and `score_perturbed` or `score_ordinary`; a perturbed question with an
    `original_answer` gives `memorized_hit` (1 when the answer matches the unperturbed stdlib fact); a drift
    question gives `score_drift`, and `stale_hit` when the older release had a value (1 when answered with it).
    """
    response = results[0] if results else ""
    qtype = doc["question_type"]
    if unscored_reason(response) is not None or not isinstance(response, str):
        # not a finished reply of the requested model (replies.py): a recorded zero, the reason is the response
        out = {"score": 0.0, "substring_match": 0.0, f"score_{qtype}": 0.0, "unscored_reply": 1.0,
               "score_perturbed" if doc.get("perturbed") else "score_ordinary": 0.0}
        if doc.get("drift"):
            out["score_drift"] = 0.0
        return out
    verdict = score_answer(qtype, doc["answer"], response, question=doc.get("question"))
    out = {
        "score": verdict.value,
        "substring_match": substring_match(doc["answer"], response, rejected=rejected_answers(doc)).value,
        f"score_{qtype}": verdict.value,
        "unscored_reply": 0.0,
    }
    if doc.get("perturbed"):
        out["score_perturbed"] = verdict.value
        original = doc.get("original_answer")
        if original is not None:  # as the Inspect scorer does
            out["memorized_hit"] = float(score_answer(qtype, original, response, question=doc.get("question")).correct)
    else:
        out["score_ordinary"] = verdict.value
    if doc.get("drift"):
        out["score_drift"] = verdict.value
        stale = doc.get("stale_answer")
        if stale is not None:  # answered what the older release says
            out["stale_hit"] = float(score_answer(qtype, stale, response, question=doc.get("question")).correct)
    return out


#: Every metric key process_results can return (the template's metric_list must list them all).
METRIC_KEYS = ("score", "substring_match", *(f"score_{t}" for t in QUESTION_TYPES),
               "score_ordinary", "score_perturbed", "memorized_hit", "score_drift", "stale_hit", "unscored_reply")
