"""Read Inspect eval logs and lm-eval `--log_samples` output into normalized row records."""

from __future__ import annotations

import json
from pathlib import Path

from tqdm.auto import tqdm

from ..errors import RetrievalError
from .records import CallRecord, DatasetIdentity, LogInfo, RowRecord

TASK_PREFIX = "cpython_retrieval/"


def find_logs(paths) -> list[Path]:
    """Inspect logs (`*.eval`, `*.json` that are not lm-eval results) and lm-eval `samples_*.jsonl`, sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise RetrievalError(f"{path} does not exist; pass Inspect log files, lm-eval --output_path folders, or folders holding them")
        candidates = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for p in candidates:
            if p.suffix == ".eval" or (p.name.startswith("samples_") and p.suffix == ".jsonl"):
                found.append(p)
            elif p.suffix == ".json" and path.is_file() and not p.name.startswith(("results_", "cpython_retrieval_summary")):
                found.append(p)  # an Inspect JSON log named explicitly
    if not found:
        raise RetrievalError(f"no Inspect logs (*.eval) or lm-eval samples files (samples_*.jsonl) under {', '.join(map(str, paths))}")
    return sorted(set(found))


def read_records(paths, *, progress: bool = True) -> list[RowRecord]:
    """Every scored sample of every log, as found (the report drops a retry's duplicates, with a note)."""
    records: list[RowRecord] = []
    for path in tqdm(find_logs(paths), desc="reading logs", unit="log", disable=not progress):
        records.extend(read_lm_eval_samples(path) if path.suffix == ".jsonl" else read_inspect_log(path))
    return records


def _no_scored_samples(path: Path, samples: int, status: str) -> RetrievalError:
    return RetrievalError(f"{path} has no scored samples ({samples} sample(s), status {status}): the run stopped or every "
                          "sample failed; retry it (`inspect eval-retry`) and pass the new log, or leave this one out")


def _identity(*sources: dict) -> DatasetIdentity:
    """Fingerprint, pin and generator version from the first source that has each; None where none does (older logs)."""
    def pick(key):
        return next((str(s[key]) for s in sources if s.get(key) is not None), None)

    return DatasetIdentity(fingerprint=pick("dataset_fingerprint"), cpython_version=pick("cpython_version"),
                           generator_version=pick("generator_version"))


def _flag(value) -> bool | None:
    return None if value is None else float(value) == 1.0


def read_inspect_log(path: Path) -> list[RowRecord]:
    from inspect_ai.log import read_eval_log

    try:
        log = read_eval_log(str(path))
    except Exception as exc:
        raise RetrievalError(f"{path} is not a readable Inspect log ({type(exc).__name__})") from exc
    if not log.eval.task.startswith(TASK_PREFIX):
        raise RetrievalError(f"{path} is an Inspect log of task {log.eval.task!r}, not of the cpython_retrieval tasks")
    samples = log.samples or []
    scored = [s for s in samples if (s.scores or {}).get("ast_semantic_match") is not None]  # errored: nothing scored
    if not scored:
        raise _no_scored_samples(path, len(samples), log.status)
    info = LogInfo(path=str(path), framework="inspect", task=log.eval.task, run=log.eval.task_id or log.eval.run_id,
                   created=str(log.eval.created), status=log.status, samples=len(samples), scored=len(scored))
    task_md = log.eval.metadata or {}
    out = []
    for sample in scored:
        md = sample.metadata or {}
        primary = sample.scores["ast_semantic_match"]
        pm = primary.metadata or {}
        substring = sample.scores.get("substring_match")
        judge = sample.scores.get("factuality_judge")
        calls = tuple(CallRecord(trial=int(c.get("trial", i)), latency_s=c.get("latency_s"), ttft_s=c.get("ttft_s"),
                                 input_tokens=c.get("input_tokens"), output_tokens=c.get("output_tokens"),
                                 cached_read_tokens=c.get("cached_read_tokens"), cached_write_tokens=c.get("cached_write_tokens"),
                                 cost_usd=c.get("cost_usd"))
                      for i, c in enumerate(pm.get("calls") or []))
        out.append(RowRecord(
            model=log.eval.model, source=f"inspect:{path.name}", row_id=str(md.get("id", sample.id)), tier=md["tier"],
            question_type=md["question_type"], correct=float(primary.value) == 1.0, depth=md.get("depth"),
            perturbed=bool(md.get("perturbed")), perturbation_kind=md.get("perturbation_kind"), pair_id=md.get("pair_id"),
            context_id=md.get("context_id"), no_context=bool(md.get("no_context")),
            substring_correct=None if substring is None else float(substring.value) == 1.0,
            judge_correct=None if judge is None else (judge.metadata or {}).get("judge_correct"),
            memorized_hit=pm.get("memorized_hit"), drift=bool(md.get("drift")), stale_answer=md.get("stale_answer"),
            stale_pin=md.get("stale_pin"), stale_hit=pm.get("stale_hit"),
            question=md.get("question", ""), expected=md.get("answer", ""),
            answer=primary.answer or "", calls=calls, epoch=int(sample.epoch or 1), dataset=_identity(task_md, md), log=info))
    return out


def read_lm_eval_samples(path: Path) -> list[RowRecord]:
    model = _lm_eval_model(path)
    task, _, stamp = path.stem.removeprefix("samples_").rpartition("_")
    parsed = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                sample = json.loads(line)
                doc = sample["doc"]
                doc["question_type"], doc["tier"]  # both must be there (a KeyError is reported below)
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise RetrievalError(f"{path}:{number} is not an lm-eval sample of the cpython_retrieval tasks ({type(exc).__name__}: {exc})") from exc
            parsed.append(sample)
    if not parsed:
        raise _no_scored_samples(path, 0, "empty samples file")
    # lm-eval records no retry: each samples file is its own run, named by its file (never by its folder)
    info = LogInfo(path=str(path), framework="lm-eval", task=task or path.stem, run=f"lm-eval:{path.name}",
                   created=_lm_eval_time(stamp), status="done", samples=len(parsed), scored=len(parsed))
    out = []
    for sample in parsed:
        doc = sample["doc"]
        answer = (sample.get("filtered_resps") or [""])[0]
        out.append(RowRecord(
            model=model, source=f"lm-eval:{path.name}", row_id=doc["id"], tier=doc["tier"], question_type=doc["question_type"],
            correct=float(sample["score"]) == 1.0, depth=doc.get("depth"), perturbed=bool(doc.get("perturbed")),
            perturbation_kind=doc.get("perturbation_kind"), pair_id=doc.get("pair_id"),
            context_id=doc.get("context_id"), no_context=bool(doc.get("no_context")),
            substring_correct=_flag(sample.get("substring_match")), memorized_hit=_flag(sample.get("memorized_hit")),
            drift=bool(doc.get("drift")), stale_answer=doc.get("stale_answer"), stale_pin=doc.get("stale_pin"),
            stale_hit=_flag(sample.get("stale_hit")),
            question=doc.get("question", ""), expected=doc.get("answer", ""),
            answer=answer if isinstance(answer, str) else json.dumps(answer), dataset=_identity(doc), log=info))
    return out


def _lm_eval_time(stamp: str) -> str:
    """lm-eval's file stamp (2026-01-01T00-00-00.123456) as ISO 8601, so attempts sort by time."""
    date, _, clock = stamp.partition("T")
    return f"{date}T{clock.replace('-', ':')}" if clock else stamp


def _lm_eval_model(samples_path: Path) -> str:
    """The model name from the results file written beside the samples (same timestamp); without one the model is
    unknown, and the name says so and which samples file it is, so two such files are never taken for one model."""
    stamp = samples_path.stem.rsplit("_", 1)[-1]
    results = samples_path.parent / f"results_{stamp}.json"
    if results.is_file():
        data = json.loads(results.read_text(encoding="utf-8"))
        config = data.get("config") or {}
        args = config.get("model_args") or {}
        if isinstance(args, str):
            args = dict(part.split("=", 1) for part in args.split(",") if "=" in part)
        name = args.get("model") or args.get("pretrained") or data.get("model_name")
        return f"{config.get('model', 'lm-eval')}/{name}" if name else str(config.get("model", "lm-eval"))
    return f"lm-eval/unknown model ({samples_path.name}: no results_{stamp}.json beside it)"
