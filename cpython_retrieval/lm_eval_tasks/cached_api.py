"""Hosted lm-eval model classes that use the provider's prompt cache, and record what it served per row.

lm-eval's `anthropic-chat` sends the whole prompt as one text block with no `cache_control`, so Anthropic caches
nothing (every T1000 row pays for its million tokens, three times with three trials), and with the tasks'
`until: []` it sends `"stop_sequences": [null]`. lm-eval's chat models also drop the reply's `usage`, so no one
can see what was cached. The classes here, registered with lm-eval when this module is imported (the wrapper
`cpython-retrieval lm-eval` imports it), fix both:

- `cpython-retrieval-anthropic-chat`: lm-eval's `anthropic-chat` whose user message is split at the end of the
  `<files>` block into two text blocks, the first (instructions and context: the prefix every row of a context
  shares) with `"cache_control": {"type": "ephemeral"}`; no `stop_sequences` unless a real stop sequence is set.
- `cpython-retrieval-openai-chat`: lm-eval's `openai-chat-completions` (same arguments) that also sends
  `prompt_cache_key` (the sha256 of that prefix, so requests of one context are routed to the same cache);
  the prompt already puts the context before the question, so every row of a context shares the prefix
  OpenAI's automatic caching reuses. `cpython-retrieval-local-chat` does the same for `local-chat-completions`
  (without `prompt_cache_key`, which other servers may reject).

Each reply's usage is kept per prompt (`usage_for`), and the per-row log (`row_log`) writes it as the row's
`usage`: `input_tokens` (the whole prompt), `cached_read_tokens`, `cached_write_tokens`, `output_tokens`.
"""

from __future__ import annotations

import hashlib
import threading
from contextvars import ContextVar
from typing import Any

from lm_eval.api.registry import register_model
from lm_eval.models.anthropic_llms import AnthropicChat
from lm_eval.models.openai_completions import LocalChatCompletion, OpenAIChatCompletion

FILES_END = "</files>"
_USAGE: dict[str, dict[str, int | None]] = {}
_LOCK = threading.Lock()
#: The prompt key of the request being made: lm-eval builds the payload and parses the reply in the same task
#: (async, one request per task) or the same thread (sync, one request at a time for chat models).
_CURRENT: ContextVar[str | None] = ContextVar("cpython_retrieval_prompt_key", default=None)


def prompt_key(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).hexdigest()


def usage_for(prompt: str) -> dict[str, int | None] | None:
    """The usage the provider reported for this prompt (the user message's text), if a reply came in this process."""
    with _LOCK:
        return _USAGE.get(prompt_key(prompt))


def _user_text(messages: list[dict[str, Any]]) -> str | None:
    last = messages[-1] if messages else None
    content = last.get("content") if isinstance(last, dict) else None
    return content if isinstance(content, str) else None


def split_at_context(text: str) -> tuple[str, str] | None:
    """(instructions and `<files>` block, the rest) of a prompt; None when it holds no files or nothing follows."""
    end = text.rfind(FILES_END)
    if end < 0 or not text[end + len(FILES_END):].strip():
        return None
    end += len(FILES_END)
    return text[:end], text[end:]


def _remember(usage: dict[str, int | None]) -> None:
    key = _CURRENT.get()
    if key is not None:
        with _LOCK:
            _USAGE[key] = usage


def _openai_usage(output: dict[str, Any]) -> None:
    usage = output.get("usage") if isinstance(output, dict) else None
    if isinstance(usage, dict):
        details = usage.get("prompt_tokens_details") or {}
        _remember({"input_tokens": usage.get("prompt_tokens"), "cached_read_tokens": details.get("cached_tokens"),
                   "cached_write_tokens": None, "output_tokens": usage.get("completion_tokens")})


class _OpenAICacheUse:
    send_cache_key = False

    def _create_payload(self, messages, *args, **kwargs) -> dict:
        payload = super()._create_payload(messages, *args, **kwargs)
        text = _user_text(messages) if isinstance(messages, list) else None
        _CURRENT.set(None if text is None else prompt_key(text))
        parts = split_at_context(text) if text is not None and self.send_cache_key else None
        if parts is not None:
            payload["prompt_cache_key"] = prompt_key(parts[0])[:32]
        return payload

    def parse_generations(self, outputs, **kwargs):
        for output in outputs if isinstance(outputs, list) else [outputs]:
            _openai_usage(output)
        return super().parse_generations(outputs, **kwargs)


@register_model("cpython-retrieval-openai-chat")
class CachedOpenAIChat(_OpenAICacheUse, OpenAIChatCompletion):
    send_cache_key = True


@register_model("cpython-retrieval-local-chat")
class CachedLocalChat(_OpenAICacheUse, LocalChatCompletion):
    pass


@register_model("cpython-retrieval-anthropic-chat")
class CachedAnthropicChat(AnthropicChat):
    def _create_payload(self, messages, generate=True, gen_kwargs=None, eos=None, **kwargs) -> dict:
        text = _user_text(messages)
        payload = super()._create_payload(messages, generate=generate, gen_kwargs=gen_kwargs, eos=eos or "", **kwargs)
        stop = [s for s in payload.pop("stop_sequences", None) or [] if isinstance(s, str) and s.strip()]
        if stop:
            payload["stop_sequences"] = stop
        _CURRENT.set(None if text is None else prompt_key(text))
        parts = split_at_context(text) if text is not None else None
        last = payload["messages"][-1] if payload.get("messages") else None
        if parts is not None and last is not None and last.get("role") == "user":
            last["content"] = [{"type": "text", "text": parts[0], "cache_control": {"type": "ephemeral"}},
                               {"type": "text", "text": parts[1]}]
        return payload

    def parse_generations(self, outputs, **kwargs):
        for output in outputs if isinstance(outputs, list) else [outputs]:
            usage = output.get("usage") if isinstance(output, dict) else None
            if isinstance(usage, dict):
                read, write = usage.get("cache_read_input_tokens"), usage.get("cache_creation_input_tokens")
                uncached = usage.get("input_tokens")
                whole = None if uncached is None else uncached + (read or 0) + (write or 0)
                _remember({"input_tokens": whole, "cached_read_tokens": read, "cached_write_tokens": write,
                           "output_tokens": usage.get("output_tokens")})
        return super().parse_generations(outputs, **kwargs)


__all__ = ["CachedAnthropicChat", "CachedLocalChat", "CachedOpenAIChat", "split_at_context", "usage_for"]
