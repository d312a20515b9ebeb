"""Stage 1: the pinned corpus, read and verified, with each file's token count as a context segment."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from tqdm.auto import tqdm

from ...prompt import HEADER_PATTERN
from ...sources.corpus import Corpus, SourceFile, load_corpus
from ...sources.pins import Pin, available_pins, default_pin_version, load_pin, unpinned
from ...tokens import TokenCounter, get_counter
from ..contexts import segment_text
from .options import BuildOptions


@dataclass(frozen=True)
class SizedCorpus:
    options: BuildOptions
    corpus: Corpus
    counter: TokenCounter
    segment_tokens: dict[str, int]  # display path -> tokens of its segment, for files a tier may use
    skipped: dict[str, str]  # path relative to Lib/ -> why it is left out

    @property
    def pin(self) -> Pin:
        return self.corpus.pin

    @cached_property
    def by_path(self) -> dict[str, SourceFile]:
        """Display path -> file."""
        return {f.display_path: f for f in self.corpus.files}


def resolve_pin(pin: str, source, allow_mismatch: bool) -> Pin:
    version = default_pin_version() if pin == "auto" else pin
    if version not in available_pins() and allow_mismatch and source is not None:
        return unpinned(version)
    return load_pin(version)


def read_corpus(options: BuildOptions) -> SizedCorpus:
    """Load the pin's files and count each one's segment; files too long or holding a header line are left out."""
    pin = resolve_pin(options.pin, options.source, options.allow_mismatch)
    counter = get_counter(options.tokenizer)
    corpus = load_corpus(pin, options.source, allow_mismatch=options.allow_mismatch, cache_dir=options.cache_dir,
                         allow_download=options.allow_download)
    skipped = dict(corpus.skipped)
    segment_tokens: dict[str, int] = {}
    for f in tqdm(corpus.files, desc="counting tokens", disable=not options.progress, unit="file"):
        if HEADER_PATTERN.search(f.text):
            skipped[f.path] = "contains a line that looks like a context file header"
            continue
        n = corpus.pin.known_tokens(counter.name, f.path, f.sha256)
        if n is None:
            n = counter.count(segment_text(f.display_path, f.text))
        if n > options.max_file_tokens:
            skipped[f.path] = f"{n} tokens > --max-file-tokens {options.max_file_tokens}"
            continue
        segment_tokens[f.display_path] = n
    return SizedCorpus(options, corpus, counter, segment_tokens, skipped)
