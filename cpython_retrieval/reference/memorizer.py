"""The reference recaller: answers from the real, unperturbed stdlib of the pin and ignores the files shown.

It stands for a model that knows CPython's `Lib/` by heart and does not read. It must score about
100% on ordinary rows except `absent_symbol` (those classes really exist in the stdlib, just not in
the context, so recall names their file: the rows are built to defeat memorizers), and about 0% on
perturbed rows: the proof that perturbations separate reading from recall.

What it uses of the prompt: the question, and the file *paths* in the context's headers (never
their text), to choose between several stdlib files that define the same name, as a reader of the
prompt's headers would. Everything else comes from the pin's own `Lib/` (read as text and parsed,
never imported): `corpus.load_corpus(pins.load_pin(version))`. The version is the `pin` argument,
else a `CPython X.Y.Z` mentioned in the prompt (the closed-book instructions name it), else the
default pin (the running interpreter's version when a manifest ships for it).
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from pathlib import Path

from ..prompt import HEADER_PATTERN
from ..question_types import NOT_PRESENT
from .oracle import UNKNOWN, FileIndex, parse_question, prompt_question, split_prompt
from .prompt_cache import HeadedPrompt, OnceCache, headed

__all__ = ["Memorizer", "memorizer_answer", "get_memorizer"]

logger = logging.getLogger(__name__)
_VERSION_IN_PROMPT = re.compile(r"CPython (\d+\.\d+\.\d+)")


class Memorizer:
    """Answers from one pin's stdlib; files are parsed lazily, as questions need them."""

    def __init__(self, version: str = "auto", *, source: str | None = None) -> None:
        from ..sources.corpus import load_corpus
        from ..sources.pins import default_pin_version, load_pin, unpinned

        self.version = default_pin_version() if version in (None, "", "auto") else version
        try:
            pin = load_pin(self.version)
        except Exception:  # noqa: BLE001 - an unpinned version with an explicit source
            if source is None:
                raise
            pin = unpinned(self.version)
        corpus = load_corpus(pin, None if source is None else Path(source),
                             allow_mismatch=True, allow_download=True)
        if corpus.mismatches:
            logger.warning("memorizer: %d stdlib file(s) differ from the CPython %s manifest", len(corpus.mismatches), self.version)
        self.texts = {f.display_path: f.text for f in corpus.files}
        self.index = FileIndex()
        self._lock = threading.Lock()
        self._defined_in: dict[str, list[str]] | None = None

    def _definers(self, name: str) -> list[str]:
        """Display paths of files with a `def name` or `class name` anywhere (a text pre-filter)."""
        if self._defined_in is None:
            found: dict[str, list[str]] = {}
            pattern = re.compile(r"\b(?:class|def)[ \t]+([A-Za-z_]\w*)")
            for path, text in self.texts.items():
                for defined in set(pattern.findall(text)):
                    found.setdefault(defined, []).append(path)
            self._defined_in = found
        return self._defined_in.get(name, [])

    def _load(self, paths) -> None:
        with self._lock:
            for path in paths:
                if path in self.texts and path not in self.index.parsed:
                    self.index.add(path, self.texts[path])

    def answer(self, prompt: str | HeadedPrompt) -> str:
        prompt = headed(prompt)
        shown = _SHOWN.get(prompt.key, lambda: _shown_paths(prompt.head))
        q = parse_question(prompt_question(prompt))
        if q is None:
            return UNKNOWN
        if q.question_type in ("subclass_count", "base_class_location", "method_definer_count", "inherited_method",
                               "import_source") and shown:
            self._load(sorted(shown))  # questions about the whole context: recall every file it names
        elif q.path is not None:
            self._load([q.path])
        else:
            self._load(self._definers(q.symbol.split(".")[0]))
        answer = self.index.answer(q, prefer_paths=shown)
        if answer == UNKNOWN and q.question_type == "class_location":
            return NOT_PRESENT
        return answer


#: Header paths shown in a prompt's `<files>` block, by the sha256 of the prompt's head.
_SHOWN: OnceCache[str, frozenset[str] | None] = OnceCache(8)


def _shown_paths(head: str) -> frozenset[str] | None:
    context, _ = split_prompt(head)
    return frozenset(m.group(1) for m in HEADER_PATTERN.finditer(context)) if context else None


_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _memorizer(version: str, source: str | None) -> Memorizer:
    return Memorizer(version, source=source)


def get_memorizer(version: str | None = None, *, source: str | None = None) -> Memorizer:
    """A shared Memorizer per (version, source); the corpus is read once per process."""
    from ..sources.pins import default_pin_version

    resolved = default_pin_version() if version in (None, "", "auto") else version
    with _LOCK:
        return _memorizer(resolved, source)


def memorizer_answer(prompt: str | HeadedPrompt, *, version: str | None = None, source: str | None = None) -> str:
    """Answer from the real stdlib; the version is `version`, else one named in the prompt, else the default pin."""
    if version in (None, "", "auto"):
        text = prompt.text if isinstance(prompt, HeadedPrompt) else prompt
        match = _VERSION_IN_PROMPT.search(text[:2000])
        version = match.group(1) if match else None
    return get_memorizer(version, source=source).answer(prompt)
