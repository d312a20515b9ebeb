"""Work done once per prompt *head*, shared by every question asked about the same context.

Every prompt has one layout (`prompt.py`): instructions, the `<files>` block, then `Question: ...`.
Everything before the last `Question: ` is the head: the same for every row of a context, and
almost all of the prompt (4 MB of text at T1000). The reference models and the local server used to
redo head-sized work on every call (parse the files, count the tokens); this module keys that work
by the sha256 of the head, so each head is processed once per process and a call only pays for
its question.

- `OnceCache`: a bounded LRU whose missing values are computed once; concurrent callers of the
  same key wait for that one computation instead of repeating it in parallel.
- `HeadedPrompt`: a prompt split into head and question, with the head's sha256.
- `prompt_tokens` / `prefix_tokens`: exact token counts (equal to `TokenCounter.count` of the whole
  text, which counts long texts as line-aligned chunks) computed from a per-head plan of those
  chunks, so only the chunk that reaches past the head is counted per prompt.
"""

from __future__ import annotations

import hashlib
import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .. import tokens as _tokens
from ..prompt import QUESTION_MARK

__all__ = ["OnceCache", "HeadedPrompt", "ChunkPlan", "headed", "headed_parts", "prompt_tokens", "prefix_tokens",
           "common_prefix_len", "text_sha256"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Slot:
    __slots__ = ("done", "value", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value = None
        self.error: BaseException | None = None


class OnceCache(Generic[K, V]):
    """LRU of at most `size` values; each missing value is computed once, however many threads ask for it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._slots: OrderedDict[K, _Slot] = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0  # how many values were computed (tests count parses with it)

    def get(self, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            slot = self._slots.get(key)
            owner = slot is None
            if owner:
                slot = self._slots[key] = _Slot()
                while len(self._slots) > self.size:
                    self._slots.popitem(last=False)  # a waiter still holds its slot
            else:
                self._slots.move_to_end(key)
        if not owner:
            slot.done.wait()
            if slot.error is not None:
                raise slot.error
            return slot.value  # type: ignore[return-value]
        try:
            slot.value = make()
        except BaseException as exc:
            slot.error = exc
            with self._lock:
                if self._slots.get(key) is slot:
                    del self._slots[key]  # the next caller tries again
            raise
        finally:
            with self._lock:
                self.computed += 1
            slot.done.set()
        return slot.value  # type: ignore[return-value]

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()


def text_sha256(text: str) -> str:
    """sha256 (hex) of a text, lone surrogates included: the key every per-text cache here uses."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class HeadedPrompt:
    """A prompt cut before its last `Question: ` (no such mark: all head); `key` is the head's sha256."""

    text: str
    head_len: int
    key: str

    @property
    def head(self) -> str:
        return self.text[:self.head_len]

    @property
    def tail(self) -> str:
        return self.text[self.head_len:]


def headed(text: str | HeadedPrompt) -> HeadedPrompt:
    """The prompt cut before its last `Question: `; a prompt already cut is returned as it is."""
    if isinstance(text, HeadedPrompt):
        return text
    at = text.rfind(QUESTION_MARK)
    head_len = len(text) if at < 0 else at
    return HeadedPrompt(text, head_len, text_sha256(text[:head_len]))


#: Parts at least this long are digested once per string object (`_PartDigests`).
_BIG_PART = 1 << 16


class _PartDigests:
    """sha256 of long strings by identity: a chat client sends the same context string object on every call.

    Holds a strong reference to the last `size` strings, so an id is never reused while remembered.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[int, tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> bytes:
        with self._lock:
            item = self._items.get(id(text))
            if item is not None and item[0] is text:
                self._items.move_to_end(id(text))
                return item[1]
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
        with self._lock:
            self._items[id(text)] = (text, digest)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return digest


_DIGESTS = _PartDigests(16)


def headed_parts(parts: list[str], sep: str = "\n\n") -> HeadedPrompt:
    """`headed(sep.join(parts))` (empty parts left out), with the head's long parts digested once per object.

    The key is a sha256 over the head's whole parts (long ones by their own digest) and the rest of
    the head, so equal keys still mean equal heads; it is not the key `headed` gives the same text.
    """
    parts = [p for p in parts if p]
    text = sep.join(parts)
    at = text.rfind(QUESTION_MARK)
    head_len = len(text) if at < 0 else at
    key = hashlib.sha256(b"parts\0" + sep.encode("utf-8", "surrogatepass"))
    start = done = 0  # start of the next part; end of the whole parts hashed so far
    for part in parts:
        end = start + len(part)
        if end > head_len:
            break
        if len(part) >= _BIG_PART:
            key.update(b"D" + _DIGESTS.get(part))
        else:
            data = part.encode("utf-8", "surrogatepass")
            key.update(b"T%d:" % len(data) + data)
        done, start = end, end + len(sep)  # whole parts are joined by `sep`; what follows the last is the rest
    rest = text[done:head_len].encode("utf-8", "surrogatepass")
    key.update(b"R%d:" % len(rest) + rest)
    return HeadedPrompt(text, head_len, key.hexdigest())


# -- exact token counts from a per-head chunk plan -----------------------------------------------

@dataclass(frozen=True)
class ChunkPlan:
    """The leading chunks `TokenCounter.count` cuts from any text that starts with this head.

    `count` cuts a text longer than `chunk` characters at the last newline within each `chunk`
    window, and a chunk depends only on its own window (and on text following the window). So a
    chunk that starts at `s` with `s + chunk` inside the head is cut the same way in every prompt
    that starts with the head: its token count is counted once, here.
    """

    chunk: int
    head_len: int
    limits: tuple[int, ...]  # start + chunk of each planned chunk
    ends: tuple[int, ...]
    cumulative: tuple[int, ...]  # tokens of the first i chunks; cumulative[0] == 0

    @classmethod
    def build(cls, head: str, count: Callable[[str], int], chunk: int) -> ChunkPlan:
        limits, ends, cumulative = [], [], [0]
        start = 0
        while start + chunk < len(head):  # an inner chunk: more text follows its window
            newline = head.rfind("\n", start, start + chunk)
            end = newline + 1 if newline > start else start + chunk
            limits.append(start + chunk)
            ends.append(end)
            cumulative.append(cumulative[-1] + count(head[start:end]))
            start = end
        return cls(chunk, len(head), tuple(limits), tuple(ends), tuple(cumulative))

    def count(self, text: str, upto: int, count: Callable[[str], int]) -> int:
        """Tokens of `text[:upto]`, where `text` starts with the planned head."""
        bound = min(upto - 1, self.head_len)  # a planned chunk is cut the same way iff its window ends here
        used = bisect_right(self.limits, bound)
        start = self.ends[used - 1] if used else 0
        return self.cumulative[used] + (count(text[start:upto]) if upto > start else 0)


_PLANS: OnceCache[tuple[str, str, int], ChunkPlan] = OnceCache(16)
_PROMPT_TOKENS: OnceCache[tuple[str, str, str, int], int] = OnceCache(4096)


def _plan(prompt: HeadedPrompt, counter) -> ChunkPlan:
    chunk = _tokens._CHUNK_CHARS  # read at call time: the plan follows TokenCounter.count
    return _PLANS.get((prompt.key, counter.name, chunk), lambda: ChunkPlan.build(prompt.head, counter.count, chunk))


def prefix_tokens(prompt: HeadedPrompt, upto: int, counter) -> int:
    """`counter.count(prompt.text[:upto])`, with the head's share counted once per head."""
    if upto <= 0:
        return 0
    return _plan(prompt, counter).count(prompt.text, min(upto, len(prompt.text)), counter.count)


def prompt_tokens(prompt: HeadedPrompt, counter) -> int:
    """`counter.count(prompt.text)`: once per distinct prompt (warm calls repeat the cold one's prompt)."""
    return _PROMPT_TOKENS.get((prompt.key, prompt.tail, counter.name, _tokens._CHUNK_CHARS),
                              lambda: prefix_tokens(prompt, len(prompt.text), counter))


def common_prefix_len(a: str, b: str, *, block: int = 1 << 16) -> int:
    """Length of the longest common prefix, comparing block by block (no copies of whole strings)."""
    n = min(len(a), len(b))
    i = 0
    while i < n:
        j = min(n, i + block)
        if a[i:j] != b[i:j]:
            lo, hi = i, j - 1  # the first difference lies in [i, j)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if a[i:mid] == b[i:mid]:
                    lo = mid
                else:
                    hi = mid - 1
            return lo
        i = j
    return n
