"""Only a finished reply is scored on the lm-eval path too, and a failing server ends the run with the answers kept.

lm-eval's API models read only the text of a reply: `parse_generations` drops `finish_reason` and the model
name, `requests` decodes an invalid UTF-8 body with replacement characters, and a reply cut by the output budget
(`length`), by a content filter, or with no or an unknown finish reason is scored like any other. Inspect refuses
those (`adapters.ttft`, `tasks.scorers`); here `install_reply_checks(lm)` puts three hooks on the live model object
(`TemplateAPI`: `local-chat-completions`, `local-completions`, `openai-*`, ...), from the tasks' loader, so plain
`lm_eval` runs get them as well as `cpython-retrieval lm-eval`:

- `parse_generations`: each choice is checked with `adapters.reply_checks` (finish reason, decodability, the
  model name the server stamped); a problem replaces the text with `unscored_text(reason)`, which
  `utils.process_results` scores 0 (with `unscored_reply` 1), so the per-row log shows the reason as the response;
- `generate_until`: remembers which doc each prompt belongs to; an exception from the model (a 500 storm, a bad
  JSON body, a truncated reply, after lm-eval's own retries) becomes `ModelCallFailed`, one line naming the cause
  and carrying the rows answered so far, which `cpython-retrieval lm-eval` writes to
  `cpython_retrieval_partial_<time>.jsonl` before it exits 1;
- `amodel_call` (lm-eval's concurrent path): records each answered prompt, as `parse_generations` does for the
  sequential one.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from typing import Any

from ..adapters.reply_checks import finish_problem, model_problem, text_problem

logger = logging.getLogger("cpython_retrieval.lm_eval")

UNSCORED_PREFIX = "[cpython-retrieval: reply not scored: "
_MARK = "_cpython_retrieval_reply_checks"


class ModelCallFailed(RuntimeError):
    """The model server failed after lm-eval's retries; `answered` holds the rows answered before that."""

    def __init__(self, message: str, answered: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.answered = answered


def unscored_text(reason: str) -> str:
    return f"{UNSCORED_PREFIX}{reason}]"


def unscored_reason(response: object) -> str | None:
    """The reason a response was marked unscored, or None for a reply to score."""
    if isinstance(response, str) and response.startswith(UNSCORED_PREFIX):
        return response[len(UNSCORED_PREFIX):].rstrip("]")
    return None


def _choice_text(choice: dict[str, Any]) -> object:
    message = choice.get("message")
    if isinstance(message, dict):
        return message.get("content")
    return choice.get("text")


def _set_text(choice: dict[str, Any], text: str) -> None:
    choice["text"] = text
    message = choice.get("message")
    choice["message"] = {**(message if isinstance(message, dict) else {"role": "assistant"}), "content": text}


def check_outputs(outputs: Any, requested_model: object) -> Any:
    """A copy of a server's reply(ies) where every choice that is not a finished reply of the requested model has
    its text replaced by `unscored_text(reason)`; choices get a valid `index` (so lm-eval's parser cannot fail)."""
    single = not isinstance(outputs, list)
    checked = []
    for out in [outputs] if single else outputs:
        if not isinstance(out, dict):
            out = {"choices": None}
        out = copy.deepcopy(out)
        wrong_model = model_problem(requested_model, out.get("model"))
        choices = out.get("choices")
        if not isinstance(choices, list) or not choices or not all(isinstance(c, dict) for c in choices):
            choice: dict[str, Any] = {"index": 0, "finish_reason": None}
            _set_text(choice, unscored_text("no choices in the reply"))
            out["choices"] = [choice]
            checked.append(out)
            continue
        for position, choice in enumerate(choices):
            if not isinstance(choice.get("index"), int) or not 0 <= choice["index"] < len(choices):
                choice["index"] = position
            problem = wrong_model or finish_problem(choice.get("finish_reason")) or text_problem(_choice_text(choice))
            if problem:
                _set_text(choice, unscored_text(problem))
        if len({c["index"] for c in choices}) != len(choices):
            for position, choice in enumerate(choices):
                choice["index"] = position
        checked.append(out)
    return checked[0] if single else checked


def _prompt_key(prompt: Any) -> str | None:
    text = getattr(prompt, "prompt", prompt)
    return text if isinstance(text, str) else None


class _Record:
    """Which doc each prompt belongs to, and the rows answered so far (for a failure's partial file)."""

    def __init__(self, score: Callable[[dict[str, Any], list[Any]], dict[str, float]] | None) -> None:
        self.score = score
        self.lock = threading.Lock()
        self.docs: dict[str, tuple[str, dict[str, Any]]] = {}
        self.answered: list[dict[str, Any]] = []

    def add(self, prompts: Any, answers: Any) -> None:
        if not isinstance(prompts, (list, tuple)) or not isinstance(answers, (list, tuple)):
            return
        for prompt, answer in zip(prompts, answers, strict=False):
            key = _prompt_key(prompt)
            task, doc = self.docs.get(key, (None, None)) if key is not None else (None, None)
            if doc is None:
                continue
            row = {"task": task, "doc_id": doc.get("id"), "tier": doc.get("tier"),
                   "question_type": doc.get("question_type"), "response": answer,
                   "unscored_reason": unscored_reason(answer)}
            try:
                row.update(self.score(doc, [answer]) if self.score else {})
            except Exception as exc:  # noqa: BLE001 - kept unscored rather than lost
                row["score_error"] = f"{type(exc).__name__}: {exc}"
            with self.lock:
                self.answered.append(row)


def install_reply_checks(lm: Any, score: Callable[[dict[str, Any], list[Any]], dict[str, float]] | None = None) -> bool:
    """Put the hooks on `lm` (once); True when it is an lm-eval API model that now has them.

    `score(doc, [response])` gives the metrics a kept row carries (the tasks pass `utils.process_results`).
    """
    if lm is None or getattr(lm, _MARK, False):
        return bool(lm is not None)
    if "TemplateAPI" not in {cls.__name__ for cls in type(lm).__mro__}:
        return False
    record = _Record(score)
    parse = lm.parse_generations
    generate_until = lm.generate_until
    amodel_call = getattr(lm, "amodel_call", None)

    def checked_parse(outputs: Any, **kwargs: Any) -> Any:
        answers = parse(outputs=check_outputs(outputs, getattr(lm, "model", None)), **kwargs)
        if kwargs.get("contexts") is not None:
            record.add(list(kwargs["contexts"]), answers)
        return answers

    def recorded_generate_until(requests: list, *args: Any, **kwargs: Any) -> Any:
        for request in requests:
            doc = getattr(request, "doc", None)
            key = _prompt_key(request.args[0]) if getattr(request, "args", None) else None
            if isinstance(doc, dict) and key is not None and "context_id" in doc:
                record.docs[key] = (getattr(request, "task_name", None), doc)
        try:
            return generate_until(requests, *args, **kwargs)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - every model failure: one line, answers kept
            cause = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else "no message"
            raise ModelCallFailed(
                f"the model server failed after lm-eval's retries ({type(exc).__name__}: {cause}); "
                f"{len(record.answered)} of {len(requests)} requests were answered before it", list(record.answered)
            ) from exc

    async def recorded_amodel_call(session: Any, sem: Any, messages: Any, *args: Any, **kwargs: Any) -> Any:
        answers = await amodel_call(session, sem, messages, *args, **kwargs)
        if kwargs.get("generate", True):
            record.add(messages, answers)
        return answers

    lm.parse_generations = checked_parse
    lm.generate_until = recorded_generate_until
    if amodel_call is not None:
        lm.amodel_call = recorded_amodel_call
    setattr(lm, _MARK, True)
    return True


def find_model_failure(exc: BaseException | None) -> ModelCallFailed | None:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ModelCallFailed):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


__all__ = ["ModelCallFailed", "UNSCORED_PREFIX", "check_outputs", "find_model_failure", "install_reply_checks",
           "unscored_reason", "unscored_text"]
