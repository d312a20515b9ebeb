"""Token counting for tier budgets and recorded lengths, offline.

`o200k_base` and `cl100k_base` come from the `bpe-openai` package (vocabularies ship in the wheel,
unlike tiktoken's download at first use). Any Hugging Face `tokenizer.json` works too, through the
optional `tokenizers` package. Long texts are counted in line-aligned chunks because bpe-openai
refuses very long single inputs; counts of a context are sums of per-file counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import RetrievalError

BUILTIN_TOKENIZERS = ("o200k_base", "cl100k_base")
#: Every dataset records context lengths under these, whatever tokenizer sized the tiers.
RECORDED_TOKENIZERS = BUILTIN_TOKENIZERS
_CHUNK_CHARS = 100_000


@dataclass(frozen=True)
class TokenCounter:
    name: str
    _encode_len: Callable[[str], int]

    def count(self, text: str) -> int:
        if len(text) <= _CHUNK_CHARS:
            return self._encode_len(text)
        return sum(self._encode_len(chunk) for chunk in _line_chunks(text))


def _line_chunks(text: str):
    start = 0
    while start < len(text):
        end = min(len(text), start + _CHUNK_CHARS)
        if end < len(text):
            newline = text.rfind("\n", start, end)
            end = newline + 1 if newline > start else end
        yield text[start:end]
        start = end


@cache
def get_counter(spec: str) -> TokenCounter:
    """`o200k_base`, `cl100k_base`, or a path to a Hugging Face `tokenizer.json` (needs `tokenizers`)."""
    if spec in BUILTIN_TOKENIZERS:
        import bpe_openai

        encoding = bpe_openai.get_encoding(spec)
        return TokenCounter(spec, lambda text: len(encoding.encode_ordinary(text)))
    path = Path(spec.removeprefix("hf:")).expanduser()
    if path.is_file():
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise RetrievalError(f"--tokenizer {spec} needs the `tokenizers` package: pip install tokenizers") from exc
        tokenizer = Tokenizer.from_file(str(path))
        return TokenCounter(f"hf:{path.name}", lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids))
    raise RetrievalError(
        f"unknown tokenizer {spec!r}: use one of {', '.join(BUILTIN_TOKENIZERS)} or a path to a tokenizer.json"
    )
