"""Never let lm-eval silently truncate a cpython-retrieval prompt.

Several lm-eval backends cut over-long prompts from the left without an error (`local-completions`
with its default `max_length=2048`, in-process `sglang`), or with only a WARNING (`vllm`, `hf`).
Left truncation keeps the question and drops the start of the source files, so the model still
answers and the benchmark is quietly wrong. Two defences:

1. **The guard** (`check_context_window`), called by the tasks' `custom_dataset` loader before
   any request is made. It finds the model lm-eval has just built (the `lm` of the running
   `lm_eval.evaluator.simple_evaluate` call) and refuses to run a tier whose prompt cannot fit:

   - `dummy`: nothing is truncated (it never reads the prompt): passes.
   - API backends that tokenize on the client (`local-completions` with a tokenizer,
     `sglang-generate`): the client window is `max_length` (default 2048!); need <= it, else
     refuse, naming `max_length=` and `tokenizer_backend=none,tokenized_requests=False`.
   - API backends that send the prompt whole (every chat backend, `local-completions` with
     `tokenized_requests=False` or `tokenizer_backend=none`): lm-eval cannot know the server's
     window and some servers truncate silently, so a window must be *declared*:
     `--metadata '{"context_window": N}'` (or `max_length`/`max_model_len`/`context_length` in
     model_args); need <= it, else refuse. Undeclared: refuse.
   - In-process engines with a window (`vllm`, `sglang`, `hf`, ...): the real window is the
     model's `max_length` (vLLM's `max_model_len`, ...); need <= it, else refuse, naming the
     setting (`max_model_len=` for vllm/sglang, `max_length=` for hf).
   - A declared `context_window` is checked as well, whatever the backend.
   - No model visible (a custom Python driver that does not go through `simple_evaluate`): the
     declared window is all there is; undeclared: refuse.

   need = ceil(prompt tokens x (1 + margin)) + TEMPLATE_SLACK + max_gen_toks, where the prompt
   tokens are counted exactly with the model's own tokenizer when it has one (margin 0), else with
   o200k_base (the tokenizer the tiers are sized with) and `margin` = metadata `context_margin`
   (default 0.10, for tokenizer differences). `max_gen_toks` is the effective one, `--gen_kwargs`
   included. `unsafe_skip_context_check: true` in metadata turns the guard off (logged).

2. **The tripwire** (`TruncationTripwire` / `install_tripwire`), a logging handler on the
   `lm_eval` logger whose filter raises `TruncationDetected` on lm-eval's truncation warnings, so
   the run aborts at the first truncated request. `cpython-retrieval lm-eval` installs it; Python
   API users can use `with truncation_tripwire(): simple_evaluate(...)`. It cannot see silent
   truncation (that is the guard's job) and is muted when `LMEVAL_LOG_LEVEL` is above WARNING.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import RetrievalError

logger = logging.getLogger("cpython_retrieval.lm_eval")

#: Extra tokens for chat-template wrapping (role markers, a default system prompt).
TEMPLATE_SLACK = 128
#: Default allowance for tokenizer differences when the prompt is counted with o200k_base.
DEFAULT_MARGIN = 0.10
#: Metadata / model_args keys read as a declared context window (first present wins).
WINDOW_KEYS = ("context_window", "max_model_len", "max_length", "context_length")
SKIP_KEY = "unsafe_skip_context_check"
MARGIN_KEY = "context_margin"

#: Lower-cased fragments of lm-eval's truncation warnings (vllm/`maybe_truncate`, hf, TemplateAPI loglikelihood).
TRUNCATION_PATTERNS = (
    "exceeds model's max length",
    "truncating context",
    "left truncating context",
    "left truncation applied",
)


class ContextWindowError(RetrievalError, ValueError):
    """The backend's context window is unknown or too small for a tier: the run is refused."""


class TruncationDetected(RuntimeError):
    """lm-eval logged that it truncated a prompt: the run is aborted."""


@dataclass(frozen=True)
class Backend:
    """What the guard knows about the model lm-eval built."""

    name: str  # lm-eval class name, or "unknown"
    kind: str  # "dummy", "client-window", "server-decides", "unknown"
    window: int | None  # tokens the client lets through (prompt + generation), None when the server decides
    setting: str  # what the user sets to change the window
    lm: Any = None


# -- finding the live model ---------------------------------------------------------------------

def live_evaluation() -> tuple[Any, dict | None, bool]:
    """(lm, gen_kwargs, found) of the `lm_eval.evaluator.simple_evaluate` call on this thread's stack.

    `simple_evaluate` builds the model before it loads the tasks, so the loader can look at the
    real backend (and the `--gen_kwargs` that will override the task's generation settings).
    """
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "simple_evaluate" and frame.f_globals.get("__name__") == "lm_eval.evaluator":
            local = frame.f_locals
            lm = local.get("lm")
            while lm is not None and type(lm).__name__ == "CachingLM" and hasattr(lm, "lm"):
                lm = lm.lm
            gen = local.get("gen_kwargs")
            return lm, gen if isinstance(gen, dict) else None, lm is not None
        frame = frame.f_back
    return None, None, False


_SETTING_BY_CLASS = {
    "VLLM": "model_args max_model_len=N (the engine's window)",
    "SGLangLM": "model_args max_model_len=N (context_length=N); without it sglang may fall back to 2048",
    "HFLM": "model_args max_length=N",
}


def describe_backend(lm: Any) -> Backend:
    if lm is None:
        return Backend("unknown", "unknown", None, "--metadata '{\"context_window\": N}'")
    name = type(lm).__name__
    mro = {cls.__name__ for cls in type(lm).__mro__}
    if name == "DummyLM":
        return Backend(name, "dummy", None, "", lm)
    if "TemplateAPI" in mro:
        tokenized = bool(getattr(lm, "tokenized_requests", False)) and getattr(lm, "tokenizer_backend", None) is not None
        if tokenized:
            window = _int(getattr(lm, "max_length", None))
            return Backend(name, "client-window", window,
                           "model_args max_length=N (the server's real window), or "
                           "tokenizer_backend=none,tokenized_requests=False so the server checks the length", lm)
        return Backend(name, "server-decides", None,
                       "--metadata '{\"context_window\": N}' with the server's real window (the server must reject, "
                       "not truncate, longer prompts)", lm)
    try:
        window = _int(getattr(lm, "max_length", None))
    except Exception:  # noqa: BLE001 - a property that fails means: unknown
        window = None
    if window is not None:
        return Backend(name, "client-window", window, _SETTING_BY_CLASS.get(name, "model_args max_length=N"), lm)
    return Backend(name, "unknown", None, "--metadata '{\"context_window\": N}'", lm)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def declared_window(metadata: dict[str, Any]) -> tuple[str, int] | None:
    for key in WINDOW_KEYS:
        value = _int(metadata.get(key))
        if value is not None:
            return key, value
    return None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def exact_token_count(lm: Any, text: str) -> int | None:
    """The prompt's length in the model's own tokenizer, when it has a local one; else None."""
    if lm is None:
        return None
    mro = {cls.__name__ for cls in type(lm).__mro__}
    if "TemplateAPI" in mro and getattr(lm, "tokenizer_backend", None) not in ("huggingface", "tiktoken"):
        return None  # no tokenizer, or a remote one (would POST megabytes to /tokenize)
    encode = getattr(lm, "tok_encode", None)
    if encode is None:
        return None
    try:
        ids = encode(text)
    except Exception:  # noqa: BLE001 - fall back to the o200k estimate
        return None
    if isinstance(ids, list) and ids and isinstance(ids[0], list):
        ids = ids[0]
    return len(ids) if isinstance(ids, (list, tuple)) else None


def check_metadata_early(metadata: Any) -> None:
    """Refuse a bad `context_margin` before lm-eval is even imported (the wrapper's first step).

    The tasks check it again when they load, so plain `lm_eval` runs are refused too, only later.
    """
    if isinstance(metadata, dict) and not _truthy(metadata.get(SKIP_KEY)):
        context_margin(metadata)


# -- the output budget ---------------------------------------------------------------------------

#: gen_kwargs keys lm-eval's API models read as the output budget (`max_tokens` wins over `max_gen_toks`).
BUDGET_KEYS = ("max_tokens", "max_gen_toks")


def check_output_budget(task: str, gen_kwargs: dict | None) -> int | None:
    """The `--gen_kwargs` output budget (None when not set), refused unless a whole number of at least 1.

    A budget of 0 or below is never meaningful, and a negative one would make the guard's sum (prompt + budget)
    smaller than the prompt, letting an over-long prompt through.
    """
    budget = None
    for key in BUDGET_KEYS:
        if not gen_kwargs or key not in gen_kwargs:
            continue
        raw = gen_kwargs[key]
        value = _int(raw)
        if value is None or isinstance(raw, float) and raw != int(raw) or value < 1:
            raise ContextWindowError(f"{task}: --gen_kwargs {key}={raw!r} is not an output budget: give a whole "
                                     "number of tokens of at least 1 (the tasks' own is 256)")
        budget = value if budget is None else budget
    return budget


# -- the check ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Requirement:
    prompt_tokens: int
    counted_with: str  # "o200k_base" or the model's tokenizer
    margin: float
    max_gen_toks: int
    total: int


#: A margin outside this range means a typo (a negative one would let an over-long prompt through).
MARGIN_RANGE = (0.0, 1.0)


def context_margin(metadata: dict[str, Any]) -> float:
    """`context_margin`, checked: a number from 0 to 1 (not negative, not nan)."""
    raw = metadata.get(MARGIN_KEY, DEFAULT_MARGIN)
    try:
        margin = float(raw)
    except (TypeError, ValueError):
        raise ContextWindowError(f"{MARGIN_KEY} must be a number from 0 to 1, e.g. 0.1 (got {raw!r})") from None
    if not MARGIN_RANGE[0] <= margin <= MARGIN_RANGE[1]:  # nan fails both comparisons
        raise ContextWindowError(f"{MARGIN_KEY} must be from 0 to 1 (got {raw!r}): it is the share added to an "
                                 f"o200k_base count for tokenizer differences; the default is {DEFAULT_MARGIN}")
    return margin


def requirement(prompt_tokens: int, *, exact: bool, margin: float, max_gen_toks: int) -> Requirement:
    margin = 0.0 if exact else margin
    total = math.ceil(round(prompt_tokens * (1 + margin), 6)) + TEMPLATE_SLACK + max_gen_toks
    return Requirement(prompt_tokens, "model tokenizer" if exact else "o200k_base", margin, max_gen_toks, total)


def check_context_window(task: str, *, o200k_prompt_tokens: int, longest_prompt: Callable[[], str],
                         metadata: dict[str, Any], max_gen_toks: int) -> Requirement | None:
    """Raise ContextWindowError unless the running backend can take `task`'s longest prompt whole.

    `o200k_prompt_tokens`: the longest prompt's o200k_base count; `longest_prompt()` returns its
    text (only called when the model has a local tokenizer to count it exactly).
    """
    if _truthy(metadata.get(SKIP_KEY)):
        logger.warning("%s: context-window guard disabled (%s); truncated prompts would go unnoticed", task, SKIP_KEY)
        return None
    margin = context_margin(metadata)  # a bad value is refused whatever the backend
    lm, gen_kwargs, found = live_evaluation()
    budget = check_output_budget(task, gen_kwargs)
    if budget is not None:
        max_gen_toks = budget
    backend = describe_backend(lm if found else None)
    if backend.kind == "dummy":
        logger.info("%s: dummy model, nothing can be truncated; context-window guard passes", task)
        return None
    exact = exact_token_count(backend.lm, longest_prompt()) if backend.kind == "client-window" else None
    need = requirement(exact if exact is not None else o200k_prompt_tokens, exact=exact is not None,
                       margin=margin, max_gen_toks=max_gen_toks)
    how = (f"its longest prompt is {need.prompt_tokens:,} tokens ({need.counted_with}"
           + (f", +{need.margin:.0%} for tokenizer differences" if need.margin else "")
           + f") + {TEMPLATE_SLACK} for a chat template + max_gen_toks {need.max_gen_toks} = {need.total:,} tokens")
    declared = declared_window(metadata)
    limits: list[tuple[str, int, str]] = []
    if backend.kind == "client-window":
        if backend.window is None:
            raise ContextWindowError(f"{task}: cannot read the context window of lm-eval backend {backend.name}; "
                                     f"set {backend.setting}")
        limits.append((f"{backend.name} window (max_length)", backend.window, backend.setting))
    if declared is not None:
        key, value = declared
        limits.append((f"declared {key}", value, f"{key}=N"))
    if not limits:
        if backend.kind == "server-decides":
            raise ContextWindowError(
                f"{task}: lm-eval backend {backend.name} sends prompts whole and cannot know the server's context "
                f"window, and some servers truncate silently; {how}. Declare the window with {backend.setting}, "
                f"or run smaller tiers only (--tasks cpython_retrieval_t25,...)")
        raise ContextWindowError(
            f"{task}: the model's context window is unknown (backend {backend.name}); {how}. Declare it with "
            f"--metadata '{{\"context_window\": N}}' (TaskManager(metadata=...) from Python)")
    for label, window, setting in limits:
        if window < need.total:
            raise ContextWindowError(
                f"{task}: {label} is {window:,} tokens, too small: {how}, so lm-eval would truncate or the "
                f"server would reject it. Raise the window ({setting}), or run only the tiers that fit "
                f"(--tasks cpython_retrieval_t25,...)")
    logger.info("%s: needs %s tokens; %s: OK", task, f"{need.total:,}",
                ", ".join(f"{label} {window:,}" for label, window, _ in limits))
    return need


# -- the tripwire -------------------------------------------------------------------------------

class TruncationTripwire(logging.Handler):
    """A handler whose filter raises on truncation warnings (a filter's exception reaches the log call)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.addFilter(self._check)

    @staticmethod
    def _check(record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is not our business
            return True
        lowered = message.lower()
        if any(pattern in lowered for pattern in TRUNCATION_PATTERNS):
            raise TruncationDetected(
                f"lm-eval truncated a prompt ({record.name}: {message}). cpython-retrieval refuses truncated prompts: "
                "raise the model's context window (vllm/sglang: max_model_len=N, hf/local-completions: max_length=N) "
                "or run only the tiers that fit (--tasks cpython_retrieval_t25,...)")
        return True

    def emit(self, record: logging.LogRecord) -> None:  # the stream handler prints; this one only watches
        pass


def install_tripwire(logger_name: str = "lm_eval") -> TruncationTripwire:
    """Attach a tripwire to `logger_name` (first, so it fires before anything prints); returns it."""
    target = logging.getLogger(logger_name)
    for handler in target.handlers:
        if isinstance(handler, TruncationTripwire):
            return handler
    handler = TruncationTripwire()
    target.handlers.insert(0, handler)
    if target.getEffectiveLevel() > logging.WARNING:
        logger.warning("logger %s is above WARNING: the truncation tripwire cannot see its warnings", logger_name)
    return handler


def uninstall_tripwire(handler: TruncationTripwire, logger_name: str = "lm_eval") -> None:
    logging.getLogger(logger_name).removeHandler(handler)


@contextlib.contextmanager
def truncation_tripwire(logger_name: str = "lm_eval") -> Iterator[TruncationTripwire]:
    """`with truncation_tripwire(): lm_eval.simple_evaluate(...)` aborts on the first truncated prompt."""
    handler = install_tripwire(logger_name)
    try:
        yield handler
    finally:
        uninstall_tripwire(handler, logger_name)


def find_guard_error(exc: BaseException | None) -> BaseException | None:
    """The ContextWindowError / TruncationDetected in an exception's chain, if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (ContextWindowError, TruncationDetected)):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


__all__ = [
    "Backend", "ContextWindowError", "DEFAULT_MARGIN", "Requirement", "TEMPLATE_SLACK", "TRUNCATION_PATTERNS",
    "TruncationDetected", "TruncationTripwire", "check_context_window",
    "check_output_budget", "declared_window", "describe_backend",
    "exact_token_count", "find_guard_error", "install_tripwire", "live_evaluation", "requirement",
    "truncation_tripwire", "uninstall_tripwire",
]
