"""Tier sizing under other tokenizers: cl100k_base, and any Hugging Face tokenizer.json."""

from __future__ import annotations

import json

import pytest

from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.generate.stages import build_dataset
from cpython_retrieval.tokens import get_counter


def test_long_texts_are_counted_in_line_chunks_without_error():
    counter = get_counter("o200k_base")
    text = "def f(x):\n    return x + 1\n" * 40_000  # over a megabyte: bpe-openai refuses it in one piece
    assert counter.count(text) == 40_000 * counter.count("def f(x):\n    return x + 1\n")


def test_cl100k_sizes_the_tiers_when_asked():
    built = build_dataset(tiers=["T25"], per_tier=5, tokenizer="cl100k_base", perturbed_share=0)
    context = built.contexts[0]
    assert context["tokenizer"] == "cl100k_base" and context["context_tokens"] <= 25_000
    assert json.loads(context["context_token_counts"])["cl100k_base"] == context["context_tokens"]


def test_a_hugging_face_tokenizer_json_sizes_the_tiers(tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    words = ["def", "class", "return", "self", "import", "if", "else", "for", "in", "None"]
    model = tokenizers.models.WordLevel({w: i for i, w in enumerate(["[UNK]", *words])}, unk_token="[UNK]")
    tokenizer = tokenizers.Tokenizer(model)
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))
    built = build_dataset(tiers=["T25"], per_tier=5, tokenizer=str(path), perturbed_share=0)
    context = built.contexts[0]
    counts = json.loads(context["context_token_counts"])
    assert context["tokenizer"] == "hf:tokenizer.json" and context["context_tokens"] <= 25_000
    assert set(counts) == {"hf:tokenizer.json", "o200k_base", "cl100k_base"}
    assert built.rows["T25"][0]["tokenizer"] == "hf:tokenizer.json"


def test_unknown_tokenizer_is_one_clear_error():
    with pytest.raises(RetrievalError, match="unknown tokenizer 'gpt9'"):
        get_counter("gpt9")
