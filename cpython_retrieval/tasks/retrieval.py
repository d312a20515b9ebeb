"""The Inspect tasks `cpython_retrieval/T25` ... `cpython_retrieval/T1000`: one per context tier.

    inspect eval cpython_retrieval/T25 --model cpython_retrieval/oracle
    inspect eval cpython_retrieval/T50 --model openai/gpt-4.1 -T trials=3 -T perturbed=exclude

Dataset resolution (`resolve.resolve_dataset`): an explicit `dataset` (local folder, or Hub repo
id with a pinned `revision`) wins; otherwise, unless `pin` or `source` asks for another build, the
canonical dataset bundled with the package (the same questions for every user, offline). Pin,
generator version and the dataset's fingerprint are recorded in the task's metadata.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any, Literal

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.log import HeadlineMetric
from inspect_ai.model import GenerateConfig

from ..dataset.resolve import INSPECT_SPELLING, resolve_dataset
from ..dataset.store import dataset_identity, load_contexts, load_rows, read_manifest, source_mismatch
from ..errors import RetrievalError
from ..generate.contexts import DEFAULT_TIERS
from ..prompt import prompt_parts
from ..question_types import QUESTION_TYPES, TASK_VERSION
from .context_gate import DEFAULT_GATE, gate_name
from .errors import task_error
from .scorers import ast_semantic_match, factuality_judge, substring_match
from .solver import cold_warm_trials, remember_contexts

logger = logging.getLogger(__name__)

PERTURBED_MODES = ("include", "only", "exclude")
#: Output tokens per call (`--max-tokens` overrides): the longest answer is under 20 tokens, so this leaves
#: about 8k for a reasoning model's thinking, stays within the Anthropic SDK's non-streaming ceilings (8,192 on Opus 4),
#: and is what a server's context length must hold on top of the prompt. See docs/inspect.md.
OUTPUT_TOKEN_BUDGET = 8192
#: Row fields not copied into sample metadata (large or redundant).
_SKIP_FIELDS = frozenset({"context"})
#: What Inspect shows and indexes for each tier (the log's header, `inspect view`, eval.yaml).
TASK_TAGS = ["long-context", "retrieval", "code", "python"]
#: The one number that summarises a run: the AST-exact accuracy of the cold calls.
HEADLINE_METRIC = HeadlineMetric(scorer="ast_semantic_match", metric="accuracy")


def task_description(tier: str) -> str:
    """One sentence for a tier's listing: what is asked and over how much context."""
    return (f"Long-context retrieval over a ~{tier[1:]}k-token context of CPython Lib/ files: questions with exact "
            "answers read from the code's syntax tree, scored by AST equivalence.")


def _question_types(value: str | list[str] | tuple[str, ...] | None) -> list[str] | None:
    if value is None or value == "" or value == []:
        return None
    items = [v.strip() for v in (value.split(",") if isinstance(value, str) else value) if str(v).strip()]
    unknown = sorted(set(items) - set(QUESTION_TYPES))
    if unknown:
        raise RetrievalError(f"unknown question type(s) {', '.join(unknown)}; choose from {', '.join(QUESTION_TYPES)}")
    return items


def _samples(rows: list[dict[str, Any]], *, no_context: bool) -> list[Sample]:
    samples = []
    for row in rows:
        metadata = {k: v for k, v in row.items() if k not in _SKIP_FIELDS}
        metadata["no_context"] = no_context
        question_block = prompt_parts(row["question"], None, no_context=True).question_block
        samples.append(Sample(id=row["id"], input=question_block, target=row["answer"], metadata=metadata))
    return samples


def retrieval_task(tier: str, dataset: str | None = None, revision: str | None = None, pin: str | None = None,
                   source: str | None = None, perturbed: Literal["include", "only", "exclude"] = "include",
                   no_context: bool = False, question_types: str | list[str] | None = None, trials: int = 3,
                   judge: str | None = None, log_context: bool = False, allow_mismatch: bool = False,
                   size: str = "default", gate: str = DEFAULT_GATE) -> Task:
    """Build the task of one tier (the registered `T25`...`T1000` tasks call this)."""
    try:
        return _retrieval_task(tier, dataset, revision, pin, source, perturbed, no_context, question_types, trials,
                               judge, log_context, _flag(allow_mismatch, "allow_mismatch"), size, gate)
    except RetrievalError as exc:
        raise task_error(exc) from None


def _flag(value: object, name: str) -> bool:
    """A boolean task argument (`-T x=true` arrives as a bool; a string from Python is read, a typo refused)."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise RetrievalError(f"{name} must be true or false (got {value!r})")


def _retrieval_task(tier, dataset, revision, pin, source, perturbed, no_context, question_types, trials, judge,
                    log_context, allow_mismatch, size, gate) -> Task:
    try:
        gate = gate_name(gate)
    except ValueError as exc:
        raise RetrievalError(str(exc)) from None
    if perturbed not in PERTURBED_MODES:
        raise RetrievalError(f"perturbed must be one of {', '.join(PERTURBED_MODES)} (got {perturbed!r})")
    trials = int(trials)
    if trials < 1:
        raise RetrievalError(f"trials must be at least 1 (got {trials})")
    types = _question_types(question_types)
    resolved = resolve_dataset(dataset, revision=revision, pin=pin, source=source, spelling=INSPECT_SPELLING,
                               allow_mismatch=allow_mismatch, size=size)
    manifest = read_manifest(resolved.path)
    mismatch = source_mismatch(manifest)
    if mismatch is not None:
        logger.warning("cpython_retrieval/%s: the source does not match CPython %s (%d file(s) differ, %d dropped); "
                       "built so because allow_mismatch was asked for", tier, mismatch["pin"],
                       len(mismatch["differing_files"]), len(mismatch["dropped_files"]))
    if tier not in manifest.get("tiers", {}):
        raise RetrievalError(f"dataset {resolved.description} has no tier {tier} (have: {', '.join(manifest.get('tiers', {}))})")
    pin_info = manifest.get("pin", {})
    logger.info("cpython_retrieval/%s: %s (CPython %s)", tier, resolved.description, pin_info.get("version"))

    rows = load_rows(resolved.path, tier)
    if perturbed == "exclude":
        rows = [r for r in rows if not r.get("perturbed")]
    elif perturbed == "only":
        rows = [r for r in rows if r.get("perturbed")]
    if types is not None:
        rows = [r for r in rows if r["question_type"] in types]
    if not rows:
        raise RetrievalError(f"no rows left in {tier} with perturbed={perturbed} and question_types={types}")
    contexts = {} if no_context else load_contexts(resolved.path, {r["context_id"] for r in rows})
    missing = {r["context_id"] for r in rows} - set(contexts) if not no_context else set()
    if missing:
        raise RetrievalError(f"dataset {resolved.description} lacks context(s) {', '.join(sorted(missing))}")

    remember_contexts(str(resolved.path), contexts)

    scorers = [ast_semantic_match(), substring_match()]
    if judge:
        scorers.append(factuality_judge(judge))
    return Task(
        dataset=MemoryDataset(_samples(rows, no_context=no_context), name=f"cpython-retrieval-{tier}",
                              location=str(resolved.path)),
        solver=cold_warm_trials(str(resolved.path), trials=trials, no_context=no_context, log_context=bool(log_context),
                                gate=gate, context_counts=dict(Counter(r["context_id"] for r in rows))),
        scorer=scorers,
        config=GenerateConfig(max_tokens=OUTPUT_TOKEN_BUDGET),
        version=TASK_VERSION,
        display_name=f"cpython_retrieval {tier}",
        description=task_description(tier),
        tags=list(TASK_TAGS),
        headline_metric=HEADLINE_METRIC,
        metadata={
            "tier": tier,
            "dataset_origin": resolved.origin,
            "dataset": resolved.description,
            "dataset_path": str(resolved.path),
            **dataset_identity(manifest),
            "cpython_tag": pin_info.get("tag"),
            "perturbed": perturbed,
            "no_context": no_context,
            "question_types": types,
            "trials": trials,
            "judge": judge,
            "log_context": bool(log_context),
            "size": size,
            "allow_mismatch": allow_mismatch,
            "source_mismatch": mismatch,
            "gate": gate,
        },
    )


_DOC = """Tier {tier}: questions about a ~{k}k-token context of CPython `Lib/` files.

    Args:
        dataset: A local dataset folder, or a Hugging Face dataset repo id (needs `revision`).
            Default: the canonical dataset bundled with the package.
        revision: The pinned Hub revision (tag or commit) of a Hub `dataset`.
        pin: Another CPython release to build from (see `cpython-retrieval pins list`; downloaded
            and verified when online), cached after the first build.
        source: A CPython checkout, `Lib/` folder or release tarball to build from.
        perturbed: Perturbation rows: `include` (default), `only`, or `exclude`.
        no_context: Closed-book control: ask the questions without any files.
        question_types: Only these question types (comma-separated or a list).
        trials: Calls per sample: one cold (scored) and `trials - 1` warm ones (default 3).
        judge: A grader model for the FactualityJudge scorer, e.g. `openai/gpt-4.1-mini` (off by default).
        size: Size of the bundled canonical dataset: `default` (one context per tier and its perturbed twin) or
            `full` (independent ladders: at T25..T200 about 1,350 rows from 10 contexts, T500 3, T1000 2).
        log_context: Keep the context in every call's logged input (default off: a note names the
            context instead, which keeps a T1000 log under 1 MB rather than over 100 MB).
        allow_mismatch: Build from a `source` whose files differ from `pin` (refused otherwise); the log's
            `source_matches_pin` is then false and `source_mismatch` lists the files that differ or were dropped.
        gate: Contexts in flight at once per model endpoint, shared by every task and epoch of the
            process: `one` (default: a one-context prefix cache prefills each context once), a number
            N (a cache that holds N contexts), or `off`.
    """


def _make(tier: str) -> Callable[..., Task]:
    def tier_task(dataset: str | None = None, revision: str | None = None, pin: str | None = None,
                  source: str | None = None, perturbed: Literal["include", "only", "exclude"] = "include",
                  no_context: bool = False, question_types: str | list[str] | None = None, trials: int = 3,
                  judge: str | None = None, log_context: bool = False, allow_mismatch: bool = False,
                  size: str = "default", gate: str = DEFAULT_GATE) -> Task:
        return retrieval_task(tier, dataset=dataset, revision=revision, pin=pin, source=source, perturbed=perturbed,
                              no_context=no_context, question_types=question_types, trials=trials, judge=judge,
                              log_context=log_context, allow_mismatch=allow_mismatch, size=size, gate=gate)

    tier_task.__name__ = tier_task.__qualname__ = tier
    tier_task.__doc__ = _DOC.format(tier=tier, k=tier[1:])
    return task(name=tier)(tier_task)


T25 = _make("T25")
T50 = _make("T50")
T100 = _make("T100")
T200 = _make("T200")
T500 = _make("T500")
T1000 = _make("T1000")

TASKS = {"T25": T25, "T50": T50, "T100": T100, "T200": T200, "T500": T500, "T1000": T1000}
assert tuple(TASKS) == DEFAULT_TIERS
