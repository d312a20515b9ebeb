"""Inspect model APIs shipped with the package: `cpython_retrieval/oracle`, `/grep`, `/memorizer` and `/shotgun`.

`--model cpython_retrieval/oracle` finds this one `@modelapi` by its unqualified name
`cpython_retrieval` and passes `oracle` (or `grep`, `memorizer`, `shotgun`) as the model name, so the
reference models are one API that dispatches on the name:

- `oracle`: reads the files in the prompt with the project's fact extractor (`oracle.oracle_answer`);
  must score 1.0 on every tier, ordinary and perturbed.
- `grep`: the search floor, a deliberately naive text search of the files in the prompt (regular
  expressions, no parse: `grep.grep_answer`); what it scores a text search answers, the rest needs structure.
- `memorizer`: answers from the real stdlib of the pin and ignores the files (`memorizer.Memorizer`);
  about 1.0 on ordinary rows (except `absent_symbol`), about 0 on perturbed rows.
- `shotgun`: the oracle's answer plus a decoy candidate (`oracle.shotgun_answer`): wrong on purpose,
  0 under the primary scorer and 1.0 under the substring scorer, the scorer-agreement control.
- `known`: right with a known, seeded probability per tier, depth, family and context (`reference.known`;
  `-M seed=N`, default 0): the oracle's answer when the row's hash says right, a wrong one otherwise, so the
  report's intervals can be checked against a true value.
- `grader`: a judge for `-T judge=cpython_retrieval/grader`: grades the FactualityJudge prompt with the
  project's exact scorer (`reference.grader`), so the judge path runs offline.

Model args (`-M`): `recall_pin` (or `pin`; memorizer: the CPython version whose `Lib/` it recalls, e.g.
`-M recall_pin=3.11.7` to answer drift rows from the older release; the model name
`cpython_retrieval/memorizer-3.11.7` says the same and keeps that run apart in reports; default: the sample's `cpython_version`,
else the default pin), `source` (memorizer: a `Lib/` folder or release tarball to recall from),
`delay` (seconds to sleep per call, to exercise timing), and two test hooks: `fail_marker` (a path:
while that file exists, about every other sample fails with an error, to simulate an interrupted run)
and `call_log` (a path: one JSON line per call, to count calls).

No reference model streams, so their calls record `ttft: null` (`ttft_source: "unavailable"`).

Cost per call: the prompt's head (instructions and files, all but the question) is hashed, and
its parse and token count are looked up by that hash (`prompt_cache`): each context is parsed
and counted once per process, however many samples and trials ask about it; `input_tokens` stays
the exact o200k_base count of the whole prompt.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

import anyio
from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    ModelOutput,
    ModelUsage,
    modelapi,
)
from inspect_ai.model._model import ModelAPI
from inspect_ai.tool import ToolChoice, ToolInfo

from ..reference.grep import grep_answer
from ..reference.oracle import oracle_answer, prompt_question, shotgun_answer
from ..reference.prompt_cache import HeadedPrompt, headed_parts, prompt_tokens
from ..tokens import get_counter
from .inspect_errors import input_error

REFERENCE_MODELS = ("oracle", "grep", "memorizer", "shotgun")
#: The statistics check and the offline judge (kept apart from the answering models above).
CHECK_MODELS = ("known", "grader")
_LOG_LOCK = threading.Lock()


def _text_parts(messages: list[ChatMessage]) -> list[str]:
    parts: list[str] = []
    for message in messages:
        content = message.content
        if isinstance(content, str):
            parts.append(content)
        else:
            parts.extend(getattr(c, "text", "") for c in content if getattr(c, "type", None) == "text")
    return [p for p in parts if p]


def messages_text(messages: list[ChatMessage]) -> str:
    """The prompt as one string: every message's text parts joined by blank lines (as the HTTP oracle does)."""
    return "\n\n".join(_text_parts(messages))


def _sample() -> tuple[str | None, dict[str, Any]]:
    """(sample id, metadata) of the running sample, when there is one (Inspect's internal `sample_state`)."""
    try:
        from inspect_ai.solver._task_state import sample_state

        state = sample_state()
    except Exception:  # noqa: BLE001 - internal API; fall back to the prompt/default pin
        return None, {}
    if state is None:
        return None, {}
    return (None if state.sample_id is None else str(state.sample_id)), dict(state.metadata or {})


#: The `-M` arguments every reference model takes, and those only the memorizer reads (what it recalls).
_COMMON_ARGS = ("delay", "fail_marker", "call_log")
_MEMORIZER_ARGS = ("recall_pin", "pin", "source")


def _check_model_args(kind: str, model_args: dict[str, Any], **memorizer_args: str | None) -> None:
    """Refuse `-M` arguments the model would silently ignore: unknown names, or recall settings off the memorizer."""
    if model_args:
        accepted = (*_COMMON_ARGS, *(_MEMORIZER_ARGS if kind == "memorizer" else ()), *(("seed",) if kind == "known" else ()))
        raise input_error(f"unknown model argument(s) {', '.join(f'-M {k}' for k in sorted(model_args))} for "
                          f"cpython_retrieval/{kind}; it takes " + ", ".join(f"-M {a}" for a in accepted))
    given = sorted(name for name, value in memorizer_args.items() if value not in (None, ""))
    if given and kind != "memorizer":
        raise input_error(f"{', '.join(f'-M {k}' for k in given)} only applies to cpython_retrieval/memorizer "
                          f"(cpython_retrieval/{kind} reads the context, not a release): drop it or use "
                          "--model cpython_retrieval/memorizer")


@modelapi(name="cpython_retrieval")
class ReferenceModelAPI(ModelAPI):
    """The package's reference models: `oracle` (reads the context), `grep` (searches it), `memorizer` (recalls the
    stdlib), `shotgun` (games the scorer)."""

    def __init__(self, model_name: str, base_url: str | None = None, api_key: str | None = None,
                 config: GenerateConfig | None = None, pin: str | None = None, source: str | None = None,
                 recall_pin: str | None = None,
                 delay: float = 0.0, fail_marker: str | None = None, call_log: str | None = None,
                 **model_args: Any) -> None:
        super().__init__(model_name=model_name, base_url=base_url, api_key=api_key, api_key_vars=[],
                         config=config if config is not None else GenerateConfig())
        kind, _, named_pin = model_name.partition("-")  # `memorizer-3.11.7`: a memorizer of that release, by name
        if kind not in REFERENCE_MODELS + CHECK_MODELS or (named_pin and kind != "memorizer"):
            raise input_error(f"unknown reference model cpython_retrieval/{model_name}; choose one of: "
                              + ", ".join(f"cpython_retrieval/{m}" for m in REFERENCE_MODELS + CHECK_MODELS)
                              + " (or cpython_retrieval/memorizer-<version>)")
        seed = model_args.pop("seed", 0) if kind == "known" else 0  # `known`: which draw of its effects and rows
        _check_model_args(kind, model_args, recall_pin=recall_pin, pin=pin, source=source)
        self.kind = kind
        recall = recall_pin if recall_pin not in (None, "") else (named_pin or pin)
        self.pin = None if recall in (None, "", "auto") else str(recall)
        self.source = source
        self.delay = float(delay)
        self.fail_marker = fail_marker
        self.call_log = call_log
        self.seed = int(seed)

    def max_connections(self) -> int:
        return 8

    def connection_key(self) -> str:
        return f"cpython_retrieval/{self.model_name}"

    async def generate(self, input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice,
                       config: GenerateConfig) -> ModelOutput:
        start = time.perf_counter()
        prompt = headed_parts(_text_parts(input))  # the context part is hashed once per sample, not per call
        question = prompt_question(prompt)
        sample_id, metadata = _sample()
        if self.call_log:
            with _LOG_LOCK, open(self.call_log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"model": self.model_name, "sample_id": sample_id, "question": question}) + "\n")
        if self.fail_marker and Path(self.fail_marker).exists():
            if int(hashlib.sha256((sample_id or question).encode()).hexdigest(), 16) % 2 == 0:
                raise RuntimeError(f"simulated failure (remove {self.fail_marker} to let this question through)")
        version = self.pin or metadata.get("cpython_version")
        if self.kind == "grader":
            answer, input_tokens, output_tokens = await anyio.to_thread.run_sync(self._grade, prompt.text)
        else:
            answer, input_tokens, output_tokens = await anyio.to_thread.run_sync(self._answer, prompt, version, metadata)
        if self.delay:
            await anyio.sleep(self.delay)
        output = ModelOutput.from_content(model=f"cpython_retrieval/{self.model_name}", content=answer)
        output.usage = ModelUsage(input_tokens=input_tokens, output_tokens=output_tokens,
                                  total_tokens=input_tokens + output_tokens)
        output.time = time.perf_counter() - start
        return output

    def _grade(self, prompt: str) -> tuple[str, int, int]:
        from ..reference.grader import grade_judge_prompt

        reply = grade_judge_prompt(prompt)
        counter = get_counter("o200k_base")
        return reply, counter.count(prompt), max(1, counter.count(reply))

    def _answer(self, prompt: HeadedPrompt, version: str | None, metadata: dict[str, Any]) -> tuple[str, int, int]:
        """(answer, input tokens, output tokens); the head's parse and token count are shared across calls."""
        if self.kind == "oracle":
            answer = oracle_answer(prompt)
        elif self.kind == "grep":
            answer = grep_answer(prompt)
        elif self.kind == "known":
            answer = self._known_answer(prompt, metadata)
        elif self.kind == "shotgun":
            answer = shotgun_answer(prompt)
        else:
            from ..reference.memorizer import memorizer_answer

            answer = memorizer_answer(prompt, version=version, source=self.source)
        counter = get_counter("o200k_base")
        return answer, prompt_tokens(prompt, counter), max(1, counter.count(answer))

    def _known_answer(self, prompt: HeadedPrompt, metadata: dict[str, Any]) -> str:
        """The oracle's answer or a wrong one, as `reference.known` decides from the row's id, tier, depth, family
        and context (read from the running sample: the decision needs them, the answer only the prompt)."""
        from ..question_types import QUESTION_TYPES
        from ..reference.known import WRONG_ANSWER, answers_right

        qt = QUESTION_TYPES.get(str(metadata.get("question_type")))
        if "id" not in metadata or "tier" not in metadata:
            raise RuntimeError("cpython_retrieval/known needs the sample's metadata (id, tier): run it through the tasks")
        right = answers_right(self.seed, str(metadata["id"]), str(metadata["tier"]), metadata.get("depth"),
                              qt.family if qt else "single_needle", str(metadata.get("context_id") or metadata["tier"]))
        return oracle_answer(prompt) if right else WRONG_ANSWER
