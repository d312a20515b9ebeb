"""Read Inspect eval logs and lm-eval `--log_samples` output into normalized row records."""

from __future__ import annotations

import json
from pathlib import Path

from tqdm.auto import tqdm

from ..errors import RetrievalError
from .records import CallRecord, RowRecord

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
    records: list[RowRecord] = []
    for path in tqdm(find_logs(paths), desc="reading logs", unit="log", disable=not progress):
        records.extend(read_lm_eval_samples(path) if path.suffix == ".jsonl" else read_inspect_log(path))
    return records


def read_inspect_log(path: Path) -> list[RowRecord]:
    from inspect_ai.log import read_eval_log

    try:
        log = read_eval_log(str(path))
    except Exception as exc:
        raise RetrievalError(f"{path} is not a readable Inspect log ({type(exc).__name__})") from exc
    if not log.eval.task.startswith(TASK_PREFIX):
        raise RetrievalError(f"{path} is an Inspect log of task {log.eval.task!r}, not of the cpython_retrieval tasks")
    out = []
    for sample in log.samples or []:
        primary = (sample.scores or {}).get("ast_semantic_match")
        if primary is None:
            continue  # errored sample: nothing scored
        md = sample.metadata or {}
        pm = primary.metadata or {}
        substring = (sample.scores or {}).get("substring_match")
        judge = (sample.scores or {}).get("factuality_judge")
        calls = tuple(CallRecord(trial=int(c.get("trial", i)), latency_s=c.get("latency_s"), ttft_s=c.get("ttft_s"),
                                 input_tokens=c.get("input_tokens"), output_tokens=c.get("output_tokens"),
                                 cached_read_tokens=c.get("cached_read_tokens"), cached_write_tokens=c.get("cached_write_tokens"),
                                 cost_usd=c.get("cost_usd"))
                      for i, c in enumerate(pm.get("calls") or []))
        out.append(RowRecord(
            model=log.eval.model, source=f"inspect:{path.name}", row_id=str(md.get("id", sample.id)), tier=md["tier"],
            question_type=md["question_type"], correct=float(primary.value) == 1.0, depth=md.get("depth"),
            perturbed=bool(md.get("perturbed")), perturbation_kind=md.get("perturbation_kind"), pair_id=md.get("pair_id"),
            no_context=bool(md.get("no_context")),
            substring_correct=None if substring is None else float(substring.value) == 1.0,
            judge_correct=None if judge is None else (judge.metadata or {}).get("judge_correct"),
            memorized_hit=pm.get("memorized_hit"), question=md.get("question", ""), expected=md.get("answer", ""),
            answer=primary.answer or "", calls=calls))
    return out


def read_lm_eval_samples(path: Path) -> list[RowRecord]:
    model = _lm_eval_model(path)
    out = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                sample = json.loads(line)
                doc = sample["doc"]
                qtype, tier = doc["question_type"], doc["tier"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise RetrievalError(f"{path}:{number} is not an lm-eval sample of the cpython_retrieval tasks ({type(exc).__name__}: {exc})") from exc
            answer = (sample.get("filtered_resps") or [""])[0]
            out.append(RowRecord(
                model=model, source=f"lm-eval:{path.name}", row_id=doc["id"], tier=tier, question_type=qtype,
                correct=float(sample["score"]) == 1.0, depth=doc.get("depth"), perturbed=bool(doc.get("perturbed")),
                perturbation_kind=doc.get("perturbation_kind"), pair_id=doc.get("pair_id"), no_context=bool(doc.get("no_context")),
                substring_correct=None if "substring_match" not in sample else float(sample["substring_match"]) == 1.0,
                memorized_hit=None if "memorized_hit" not in sample else float(sample["memorized_hit"]) == 1.0,
                question=doc.get("question", ""), expected=doc.get("answer", ""),
                answer=answer if isinstance(answer, str) else json.dumps(answer)))
    return out


def _lm_eval_model(samples_path: Path) -> str:
    """The model name from the results file written beside the samples (same timestamp)."""
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
    return f"lm-eval/{samples_path.parent.name}"
