"""The reference reader: answers a question from the files shown in its prompt, with the project's fact extractor.

Framework-free, so every adapter can use it (Inspect's `cpython_retrieval/oracle` model, the
OpenAI-compatible test server, lm-eval). It proves that every question is answerable from the
context alone: it must score 100% on every tier, ordinary and perturbed rows alike.

How it answers:

1. find the `<files>` block of the prompt (the text `prompt.render_prompt` produces, or the chat
   messages concatenated) and the question after the last `Question: `;
2. split the block into files at the `# ===== File: Lib/x.py =====` headers and parse each file's
   text with `definitions.parse_module` (read as text, never imported). Work is done once per
   process: each file's parse is cached by the sha256 of its path and text (a perturbed context
   re-parses only the files it changed), each context's index by the sha256 of the prompt's head
   (`prompt_cache`), and concurrent calls for a context being parsed wait for that one parse;
3. parse the question back with `question_text.parse_question` (the inverse of the generator's
   wording) and look the answer up
   in the facts `facts.module_facts` extracts (the same extractor that wrote the expected answers).

`class_location` and `absent_symbol` questions are worded identically: the answer is the path of the
one file that defines the class at top level, else `NOT PRESENT`. A prompt with no `<files>` block
(the closed-book control) gets `NOT PRESENT`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..generate.cross_file import ClassChains, definer_count, provider_of, single_definition
from ..generate.definitions import ParsedModule, parse_module
from ..generate.facts import Fact, module_facts
from ..generate.multi_hop import absolute_module, module_files
from ..generate.question_text import ParsedQuestion, parse_question
from ..generate.questions import NameIndex, module_bindings
from ..prompt import CONTEXT_CLOSE, CONTEXT_OPEN, HEADER_PATTERN, QUESTION_MARK
from ..question_types import NOT_PRESENT
from .prompt_cache import HeadedPrompt, OnceCache, headed, text_sha256

__all__ = ["ParsedQuestion", "ParsedFile", "FileIndex", "oracle_answer", "shotgun_answer", "parse_question",
           "parse_file", "prompt_question", "split_prompt", "split_context", "context_index", "prompt_index", "UNKNOWN"]

#: What the oracle says when it cannot read a question (never happens on dataset rows).
UNKNOWN = "UNKNOWN"

def split_prompt(prompt: str) -> tuple[str | None, str]:
    """(context text or None when the prompt has no `<files>` block, question text)."""
    q_at = prompt.rfind(QUESTION_MARK)
    question = prompt[q_at + len(QUESTION_MARK):].strip() if q_at >= 0 else prompt.strip()
    head = prompt if q_at < 0 else prompt[:q_at]
    return _head_context(head), question


def prompt_question(prompt: HeadedPrompt) -> str:
    """The question: the text after the last `Question: ` (the whole prompt without one), stripped."""
    if prompt.head_len == len(prompt.text):
        return prompt.text.strip()
    return prompt.text[prompt.head_len + len(QUESTION_MARK):].strip()


def _head_context(head: str) -> str | None:
    """The text inside the head's `<files>` block, or None."""
    start = head.find(CONTEXT_OPEN)
    if start < 0:
        return None
    start += len(CONTEXT_OPEN)
    end = head.rfind(CONTEXT_CLOSE)
    if end < start:
        return None
    return head[start:end]


def split_context(context: str) -> list[tuple[str, str]]:
    """(display path, file text) per file, in context order; each segment is header, text, blank line."""
    headers = list(HEADER_PATTERN.finditer(context))
    files = []
    for i, match in enumerate(headers):
        body_start = match.end() + 1  # the header's newline
        body_end = headers[i + 1].start() if i + 1 < len(headers) else len(context)
        body = context[body_start:body_end]
        if body.endswith("\n\n"):
            body = body[:-1]  # the blank line that separates segments
        files.append((match.group(1), body))
    return files


@dataclass(frozen=True)
class ParsedFile:
    """One file's parse and facts; `parsed` is None when neither parser can read the file."""

    path: str
    parsed: ParsedModule | None
    facts: tuple[Fact, ...] = ()
    top_classes: tuple[str, ...] = ()


def _parse_file(path: str, text: str) -> ParsedFile:
    try:
        parsed = parse_module(text, path)
    except (SyntaxError, RecursionError, ValueError):
        return ParsedFile(path, None)
    top = tuple(d.name for d in parsed.definitions
                if d.kind == "class" and d.owner_class is None and not d.in_function and d.qualname == d.name)
    return ParsedFile(path, parsed, tuple(module_facts(parsed, text, path)), top)


#: Parsed files by sha256 of path and text: a stdlib release has about 600 files, each tier's
#: perturbed context changes a few dozen of them.
_FILES: OnceCache[str, ParsedFile] = OnceCache(4096)


def parse_file(path: str, text: str) -> ParsedFile:
    """The file's parse and facts, computed once per process for the same path and text."""
    return _FILES.get(text_sha256(f"{path}\0{text}"), lambda: _parse_file(path, text))


@dataclass
class FileIndex:
    """Parsed files and their facts, keyed for lookup by question type and symbol."""

    paths: list[str] = field(default_factory=list)
    parsed: dict[str, ParsedModule] = field(default_factory=dict)
    facts: dict[tuple[str, str], list[Fact]] = field(default_factory=dict)
    top_classes: dict[str, list[str]] = field(default_factory=dict)  # class name -> paths defining it at top level
    unparsable: list[str] = field(default_factory=list)
    _names: dict[str, NameIndex] = field(default_factory=dict, repr=False)

    @classmethod
    def from_files(cls, files: list[tuple[str, str]]) -> FileIndex:
        index = cls()
        for path, text in files:
            index.add(path, text)
        return index

    def add(self, path: str, text: str) -> None:
        if path in self.parsed:
            return
        self.add_parsed(parse_file(path, text))

    def add_parsed(self, file: ParsedFile) -> None:
        path = file.path
        if path in self.parsed:
            return
        if file.parsed is None:
            self.unparsable.append(path)
            return
        self.paths.append(path)
        self.parsed[path] = file.parsed
        for fact in file.facts:
            self.facts.setdefault((fact.question_type, fact.symbol), []).append(fact)
        for name in file.top_classes:
            self.top_classes.setdefault(name, []).append(path)

    def class_paths(self, name: str) -> list[str]:
        return list(dict.fromkeys(self.top_classes.get(name, [])))

    def answer(self, q: ParsedQuestion, *, prefer_paths=None) -> str:
        """The answer the facts give; `prefer_paths` breaks ties between several files (the memorizer uses it)."""
        if q.question_type == "class_location":
            found = self.class_paths(q.symbol)
            if len(found) > 1 and prefer_paths is not None:
                preferred = [p for p in found if p in prefer_paths]
                found = preferred or found
            return found[0] if len(found) == 1 else NOT_PRESENT
        if q.question_type == "module_function_count":
            parsed = self.parsed.get(q.path or q.symbol)
            return str(parsed.module_function_count) if parsed is not None else UNKNOWN
        if q.question_type == "subclass_count":
            paths = [p for p in self.paths if prefer_paths is None or p in prefer_paths]
            return str(sum(1 for p in paths for d in self.parsed[p].definitions
                           if d.kind == "class" and any(b.text == q.symbol for b in d.bases)))
        if q.question_type == "base_class_location":
            return self._base_class_location(q, prefer_paths)
        if q.question_type in ("import_source", "inherited_method", "method_definer_count"):
            return self._cross_file(q, prefer_paths)
        facts = self.facts.get((q.question_type, q.symbol), [])
        if q.path is not None:
            facts = [f for f in facts if f.path == q.path]
        if len(facts) > 1 and prefer_paths is not None:
            facts = [f for f in facts if f.path in prefer_paths] or facts
        if len(facts) >= 1 and len({f.answer for f in facts}) == 1:
            return facts[0].answer
        return self._fallback(q, prefer_paths)

    def _base_class_location(self, q: ParsedQuestion, prefer_paths) -> str:
        """Two hops: the class's first base, then the one file defining a class of that name."""
        paths = [q.path] if q.path is not None else [p for p in self.paths if prefer_paths is None or p in prefer_paths]
        classes = [d for p in paths if p in self.parsed for d in self.parsed[p].definitions
                   if d.kind == "class" and d.qualname == q.symbol and not d.in_function]
        if len(classes) != 1 or not classes[0].bases:
            return UNKNOWN
        base = classes[0].bases[0].text.split(".")[-1].strip()
        homes = [p for p in self.class_paths(base) if prefer_paths is None or p in prefer_paths]
        return homes[0] if len(homes) == 1 else UNKNOWN

    def _cross_file(self, q: ParsedQuestion, prefer_paths) -> str:
        """Import sources, inherited methods and method definers, by the rules `generate.cross_file` states."""
        paths = [p for p in self.paths if prefer_paths is None or p in prefer_paths]
        if q.question_type == "method_definer_count":
            return str(definer_count(paths, self.parsed, q.symbol))
        names = {p: self.names(p) for p in paths}
        if q.question_type == "import_source":
            imports = [i for i in self.parsed[q.path].imports if i.name == q.symbol] if q.path in self.parsed else []
            if len(imports) != 1:
                return UNKNOWN
            homes = [p for p in sorted(module_files(absolute_module(imports[0], q.path))) if p in names]
            found = [p for p in homes if single_definition(self.parsed[p], names[p], q.symbol)]
            return found[0] if len(found) == 1 else UNKNOWN
        class_name, _, method = q.symbol.rpartition(".")
        chains = ClassChains(paths, self.parsed, names)
        homes = [q.path] if q.path is not None else [p for p in paths if chains.one_class(p, class_name)]
        if len(homes) != 1 or homes[0] not in names:
            return UNKNOWN
        provider = provider_of(chains, homes[0], class_name, method)
        return provider.name if provider is not None else UNKNOWN

    def names(self, path: str) -> NameIndex:
        """The file's bindings as the generator counts them (cached: a context asks many questions)."""
        if path not in self._names:
            self._names[path] = NameIndex.of(module_bindings(self.parsed[path]))
        return self._names[path]

    def _fallback(self, q: ParsedQuestion, prefer_paths) -> str:
        """Straight from the definitions, for targets the fact extractor would not offer as a question."""
        paths = [q.path] if q.path is not None else list(self.parsed)
        if prefer_paths is not None and q.path is None:
            paths = [p for p in paths if p in prefer_paths] or paths
        if q.question_type == "method_owner":
            owners = [d.owner_class for p in paths if p in self.parsed for d in self.parsed[p].definitions
                      if d.kind == "function" and d.name == q.symbol and d.owner_class and not d.in_function]
            return owners[0] if len(set(owners)) == 1 else UNKNOWN
        defs = [d for p in paths if p in self.parsed for d in self.parsed[p].definitions
                if d.qualname == q.symbol and not d.in_function]
        if len(defs) != 1:
            return UNKNOWN
        d = defs[0]
        if q.question_type == "return_annotation":
            return d.returns.text if d.returns is not None else "None"
        if q.question_type == "decorators":
            return "\n".join(f"@{item.text}" for item in d.decorators) if d.decorators else "none"
        if q.question_type == "docstring_first_line":
            from ..generate.facts import first_docstring_line

            return first_docstring_line(d.docstring) or UNKNOWN
        if q.question_type == "parameters":
            return ", ".join(d.params)
        if q.question_type == "base_classes":
            return ", ".join(item.text for item in (*d.bases, *d.keywords)) or "object"
        return UNKNOWN


_CONTEXTS: OnceCache[str, FileIndex] = OnceCache(8)
_HEADS: OnceCache[str, FileIndex | None] = OnceCache(8)


def context_index(context: str) -> FileIndex:
    """The parsed context, once per process per context text (keyed by its sha256)."""
    return _CONTEXTS.get(text_sha256(context), lambda: FileIndex.from_files(split_context(context)))


def prompt_index(prompt: HeadedPrompt) -> FileIndex | None:
    """The index of the prompt's `<files>` block (None without one), looked up by the head's sha256."""
    def make() -> FileIndex | None:
        context = _head_context(prompt.head)
        return None if context is None else context_index(context)

    return _HEADS.get(prompt.key, make)


def oracle_answer(prompt: str | HeadedPrompt) -> str:
    """Answer a rendered prompt (`render_prompt` output, or the chat messages concatenated) from its files."""
    prompt = headed(prompt)
    parsed = parse_question(prompt_question(prompt))
    index = prompt_index(prompt)
    if index is None:
        return NOT_PRESENT  # closed book: nothing to read
    if parsed is None:
        return UNKNOWN
    return index.answer(parsed)


def shotgun_answer(prompt: str | HeadedPrompt) -> str:
    """A deliberately gamed answer: the oracle's answer plus one decoy candidate of the same kind.

    The primary scorer must fail it (one answer, exactly), while the lenient substring scorer passes
    it: the reference model behind the report's scorer-agreement analysis, and a model that is wrong
    on purpose for tests.
    """
    prompt = headed(prompt)
    answer = oracle_answer(prompt)
    parsed = parse_question(prompt_question(prompt))
    qtype = parsed.question_type if parsed is not None else ""
    if qtype in ("module_function_count", "subclass_count", "method_definer_count") and answer.isdigit():
        return f"{answer} or {int(answer) + 1}"
    if qtype in ("class_location", "absent_symbol", "base_class_location", "import_source"):
        return f"{answer} or {'Lib/abc.py' if answer == 'Lib/os.py' else 'Lib/os.py'}"
    if qtype == "decorators":
        return f"{answer}\n@{'classmethod' if '@staticmethod' in answer else 'staticmethod'}"
    if qtype == "base_classes":
        return f"{answer}, object"
    if qtype == "parameters":
        return f"{answer}, extra"
    if qtype == "docstring_first_line":
        return f"{answer}\nor else: Return the decoy value unchanged."
    return f"{answer} or {'object' if answer != 'object' else 'None'}"
