"""The context-window guard and the truncation tripwire, without a server."""

from __future__ import annotations

import logging

import pytest

from cpython_retrieval.lm_eval_tasks import guard
from cpython_retrieval.lm_eval_tasks.guard import (
    ContextWindowError,
    TruncationDetected,
    check_context_window,
    describe_backend,
    truncation_tripwire,
)

# -- stand-ins for lm-eval model classes (the guard reads class names along the MRO) -------------


class DummyLM:
    pass


class TemplateAPI:
    tokenizer_backend = "huggingface"
    tokenized_requests = True

    def __init__(self, max_length=2048, tokenized=True, backend="huggingface"):
        self.max_length = max_length - 1  # as lm-eval's TemplateAPI stores it
        self.tokenized_requests = tokenized
        self.tokenizer_backend = backend


class LocalCompletionsAPI(TemplateAPI):
    def tok_encode(self, text):
        return [0] * (len(text) // 3)  # a tokenizer three times coarser than characters


class LocalChatCompletion(LocalCompletionsAPI):
    def __init__(self):
        super().__init__(tokenized=False, backend=None)


class VLLM:
    def __init__(self, window):
        self.max_length = window


class CachingLM:
    def __init__(self, lm):
        self.lm = lm


def under_simple_evaluate(lm, fn, gen_kwargs=None):
    """Run fn() inside a function named like lm-eval's `simple_evaluate`, holding `lm` and `gen_kwargs`."""
    namespace = {"__name__": "lm_eval.evaluator"}
    exec("def simple_evaluate(lm, gen_kwargs, fn):\n    return fn()\n", namespace)
    return namespace["simple_evaluate"](lm, gen_kwargs, fn)


PROMPT = "x" * 90_000


def check(metadata=None, tokens=25_300, max_gen_toks=256):
    return check_context_window("cpython_retrieval_t25", o200k_prompt_tokens=tokens, longest_prompt=lambda: PROMPT,
                                metadata=metadata or {}, max_gen_toks=max_gen_toks)


def need(tokens=25_300, margin=0.10, max_gen_toks=256):
    return guard.requirement(tokens, exact=False, margin=margin, max_gen_toks=max_gen_toks).total


def test_requirement_arithmetic():
    assert need() == 27_830 + guard.TEMPLATE_SLACK + 256
    assert guard.requirement(1000, exact=True, margin=0.5, max_gen_toks=10).total == 1000 + guard.TEMPLATE_SLACK + 10


def test_dummy_passes():
    assert under_simple_evaluate(DummyLM(), check) is None


def test_local_completions_default_window_is_refused():
    with pytest.raises(ContextWindowError) as err:
        under_simple_evaluate(LocalCompletionsAPI(max_length=2048), check)
    message = str(err.value)
    assert "2,047" in message and "max_length=N" in message and "tokenized_requests=False" in message


def test_local_completions_with_a_large_window_passes_and_counts_exactly():
    result = under_simple_evaluate(LocalCompletionsAPI(max_length=40_000), check)
    assert result.counted_with == "model tokenizer" and result.prompt_tokens == 30_000 and result.margin == 0
    with pytest.raises(ContextWindowError):  # the exact count (30,000) + slack + 256 does not fit 30,001
        under_simple_evaluate(LocalCompletionsAPI(max_length=30_002), check)


def test_remote_tokenizer_falls_back_to_the_estimate():
    result = under_simple_evaluate(LocalCompletionsAPI(max_length=40_000, backend="remote"), check)
    assert result.counted_with == "o200k_base" and result.total == need()


def test_chat_backend_needs_a_declared_window():
    with pytest.raises(ContextWindowError, match=r"sends prompts whole.*context_window"):
        under_simple_evaluate(LocalChatCompletion(), check)
    with pytest.raises(ContextWindowError, match=r"declared context_window is 20,000"):
        under_simple_evaluate(LocalChatCompletion(), lambda: check({"context_window": 20_000}))
    assert under_simple_evaluate(LocalChatCompletion(), lambda: check({"context_window": 32_768})).total == need()
    # a max_length passed in model_args counts as a declaration too
    assert under_simple_evaluate(LocalChatCompletion(), lambda: check({"max_length": "32768"})) is not None


def test_local_completions_untokenized_is_like_chat():
    lm = LocalCompletionsAPI(tokenized=False)
    with pytest.raises(ContextWindowError, match="sends prompts whole"):
        under_simple_evaluate(lm, check)
    assert under_simple_evaluate(lm, lambda: check({"context_window": 128_000})) is not None


def test_vllm_window_too_small_names_max_model_len():
    with pytest.raises(ContextWindowError, match=r"VLLM window \(max_length\) is 16,384.*max_model_len=N"):
        under_simple_evaluate(VLLM(16_384), check)
    assert under_simple_evaluate(VLLM(32_768), check) is not None
    # CachingLM (--use_cache) is looked through
    with pytest.raises(ContextWindowError):
        under_simple_evaluate(CachingLM(VLLM(16_384)), check)


def test_declared_window_is_checked_on_top_of_the_engine():
    with pytest.raises(ContextWindowError, match="declared context_window"):
        under_simple_evaluate(VLLM(1_000_000), lambda: check({"context_window": 16_000}))


def test_cli_gen_kwargs_max_gen_toks_counts():
    lm = VLLM(need() + 10)
    assert under_simple_evaluate(lm, check) is not None
    with pytest.raises(ContextWindowError, match="max_gen_toks 4096"):
        under_simple_evaluate(lm, check, gen_kwargs={"max_gen_toks": 4096})


def test_margin_is_configurable():
    lm = LocalChatCompletion()
    window = 25_300 + guard.TEMPLATE_SLACK + 256
    with pytest.raises(ContextWindowError):
        under_simple_evaluate(lm, lambda: check({"context_window": window}))
    assert under_simple_evaluate(lm, lambda: check({"context_window": window, "context_margin": 0})) is not None


def test_no_visible_model_needs_a_declared_window():
    with pytest.raises(ContextWindowError, match="unknown"):
        check()
    assert check({"context_window": 10**6}) is not None


def test_escape_hatch(caplog):
    with caplog.at_level(logging.WARNING):
        assert under_simple_evaluate(LocalCompletionsAPI(), lambda: check({"unsafe_skip_context_check": "true"})) is None
    assert "guard disabled" in caplog.text


def test_describe_backend_kinds():
    assert describe_backend(DummyLM()).kind == "dummy"
    assert describe_backend(LocalCompletionsAPI()).kind == "client-window"
    assert describe_backend(LocalChatCompletion()).kind == "server-decides"
    assert describe_backend(VLLM(100)).window == 100
    assert describe_backend(object()).kind == "unknown"
    assert describe_backend(None).kind == "unknown"


# -- tripwire -----------------------------------------------------------------------------------


def test_tripwire_aborts_on_lm_eval_truncation_warnings():
    from lm_eval.models.utils import maybe_truncate

    with truncation_tripwire():
        assert maybe_truncate(list(range(10)), 5, 100) == (list(range(10)), 5)  # fits: no warning, no error
        logging.getLogger("lm_eval.evaluator").warning("Metrics were not scored on the same number of documents")
        with pytest.raises(TruncationDetected, match="exceeds model's max length"):
            maybe_truncate(list(range(200)), 10, 100)  # vllm's path: WARNING on lm_eval.utils
        with pytest.raises(TruncationDetected):
            logging.getLogger("lm_eval.models.huggingface").warning(
                "Left truncation applied. Original sequence length was 9, truncating to last 4 tokens.")
        with pytest.raises(TruncationDetected):
            logging.getLogger("lm_eval.models.vllm_causallms").warning(
                "Context length %s exceeds max length (%s). Truncating context.", 10, 5)
    # uninstalled: the same warning no longer raises
    maybe_truncate(list(range(200)), 10, 100)
    assert not any(isinstance(h, guard.TruncationTripwire) for h in logging.getLogger("lm_eval").handlers)


def test_tripwire_is_installed_once():
    first = guard.install_tripwire()
    try:
        assert guard.install_tripwire() is first
    finally:
        guard.uninstall_tripwire(first)


def test_find_guard_error_walks_the_chain():
    inner = ContextWindowError("too small")
    try:
        try:
            raise inner
        except ContextWindowError as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as outer:
        assert guard.find_guard_error(outer) is inner
    assert guard.find_guard_error(ValueError("x")) is None
