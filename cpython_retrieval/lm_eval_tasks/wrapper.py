"""`cpython-retrieval lm-eval ...`: `lm_eval run ...` with the task folder, the guard and the tripwire.

Everything after `lm-eval` goes to `lm_eval run` unchanged (or to `lm_eval ls` / `lm_eval
validate`), plus what the wrapper adds (`WRAPPER_HELP`, printed first by `--help`):

- `--include_path <the task folder>` (lm-eval has no task entry points, and takes one folder);
- `--tasks cpython_retrieval` when no `--tasks` is given;
- the truncation tripwire on the `lm_eval` logger (the context-window guard itself runs inside the
  tasks, so it also protects plain `lm_eval` runs);
- dataset send order (`send_order`): each tier's requests reach the backend in the dataset's
  order, one context's rows together, instead of lm-eval's longest-first sort;
- with `--output_path`: a small per-row log (`row_log`: lm-eval's sample lines without the
  prompt; `--raw_samples` keeps lm-eval's own lines) and a summary computed from it (per tier, per
  question type across tiers, per tier x type, ordinary vs perturbed, memorized answers), printed
  and written next to lm-eval's results as `cpython_retrieval_summary_<time>.json`.

Exit codes: lm-eval's own; 2 when the guard refuses the run, the tripwire catches a truncation or
the wrapper's own arguments are wrong (the last line of stderr, `error: ...`, names what to change); 1 when the
model server fails after lm-eval's retries (`replies.ModelCallFailed`: one line, and the rows answered before
it, with their scores, written to `cpython_retrieval_partial_<time>.jsonl` under --output_path or here).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic_files import write_text
from .guard import (
    check_metadata_early,
    find_guard_error,
    install_tripwire,
    uninstall_tripwire,
)
from .replies import find_model_failure

SUMMARY_PREFIX = "cpython_retrieval_summary_"
RAW_SAMPLES_FLAG = "--raw_samples"

WRAPPER_HELP = """\
usage: cpython-retrieval lm-eval [run|ls|validate] [lm_eval options] [--raw_samples]

Runs `lm_eval run ...` (or `lm_eval ls ...`, `lm_eval validate ...`) in this process with the
cpython_retrieval tasks. What the wrapper adds to lm_eval:

  task folder           supplies --include_path itself (lm-eval takes one folder: do not pass
                        your own; to combine folders use TaskManager(include_path=[...]))
  default tasks         --tasks cpython_retrieval (every tier) when no --tasks is given
  context-window guard  each tier refuses to run unless its longest prompt + max_gen_toks fits
                        the backend's window; chat/API backends must declare it:
                        --metadata '{"context_window": N}'
  truncation tripwire   stops the run at the first truncation warning lm-eval logs
  send order            requests reach the backend in dataset order, one context's rows
                        together (lm-eval itself sends the longest prompts first)
  per-row log           with --output_path DIR: samples_<task>_<time>.jsonl, one small line
                        per question (doc, response, scores; the prompt left out: under 5 MB
                        for a T1000 run), and cpython_retrieval_summary_<time>.json, the
                        cross-tier summary, also printed (--log_samples is implied)
  --raw_samples         write lm-eval's own sample lines instead, each with its whole prompt
                        (about 4 MB per T1000 question, 0.5 GB per T1000 run)

exit codes: 0 done; 2 refused by the guard, stopped by the tripwire, or a wrong wrapper
argument (the last stderr line, "error: ...", names what to change); 1 the model server
failed after lm-eval's retries (one line; the rows answered before it are written to
cpython_retrieval_partial_<time>.jsonl under --output_path, else here); else lm-eval's own.
See docs/lm-eval.md.

lm_eval {command} options (--include_path left out: the wrapper supplies it):

"""


def include_path() -> str:
    from . import include_path as _include_path

    return _include_path()


def _has_flag(args: Sequence[str], *names: str) -> bool:
    return any(a in names or any(a.startswith(n + "=") for n in names) for a in args)


def _flag_value(args: Sequence[str], *names: str) -> str | None:
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


@dataclass(frozen=True)
class WrapperRun:
    """The `lm_eval` argv to run (without the program name) and what the wrapper does around it."""

    argv: list[str]
    raw_samples: bool = False
    user_log_samples: bool = False  # the user passed --log_samples (other tasks' samples are then kept)

    @property
    def command(self) -> str:
        return self.argv[0]

    @property
    def help(self) -> bool:
        return _has_flag(self.argv[1:], "-h", "--help")


def plan_run(args: Sequence[str]) -> WrapperRun:
    """What to run for the wrapper's arguments. Raises ValueError on bad input."""
    args = list(args)
    command = "run"
    if args and args[0] in ("run", "ls", "validate"):
        command, args = args[0], args[1:]
    raw = RAW_SAMPLES_FLAG in args
    args = [a for a in args if a != RAW_SAMPLES_FLAG]
    if _has_flag(args, "-h", "--help"):
        return WrapperRun([command, *args])
    if _has_flag(args, "--include_path"):
        raise ValueError("cpython-retrieval lm-eval supplies --include_path itself and lm-eval takes only one; "
                         "run `lm_eval` directly, or from Python pass TaskManager(include_path=[...])")
    metadata = _flag_value(args, "--metadata")
    if metadata is not None:
        with contextlib.suppress(ValueError):  # not JSON: lm_eval's own parser says so
            metadata = json.loads(metadata)
        check_metadata_early(metadata)  # a bad context_margin is refused in a second, not after lm-eval loads
    if raw and (command != "run" or not _has_flag(args, "--output_path", "-o")):
        raise ValueError(f"{RAW_SAMPLES_FLAG} needs `run` with --output_path DIR (it chooses what the per-row log holds)")
    if command == "ls":
        return WrapperRun([command, *args, "--include_path", include_path()])
    if command == "validate" and not _has_flag(args, "--tasks", "-t"):
        args = ["--tasks", "cpython_retrieval", *args]
    user_log_samples = _has_flag(args, "--log_samples", "-s")
    if command == "run":
        if not _has_flag(args, "--tasks", "-t") and not _has_flag(args, "--config", "-C"):
            args = ["--tasks", "cpython_retrieval", *args]
        if _has_flag(args, "--output_path", "-o") and not user_log_samples:
            args = [*args, "--log_samples"]  # the small per-row log (row_log)
    return WrapperRun([command, *args, "--include_path", include_path()], raw_samples=raw,
                      user_log_samples=user_log_samples)


def _lm_eval_help(command: str, cli_evaluate) -> str:
    """lm_eval's own `--help` for `command`, without the `--include_path` entry."""
    saved = sys.argv
    sys.argv = ["lm-eval", command, "--help"]
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            cli_evaluate()
    except SystemExit:
        pass
    finally:
        sys.argv = saved
    return drop_option(buffer.getvalue(), "--include_path")


def drop_option(help_text: str, option: str) -> str:
    """An argparse help text without one option's entry (and without its group's heading if it was alone)."""
    entry = re.compile(r"^  (-[^\s,]+(?: [^\s,]+)?(?:, -[^\s,]+(?: [^\s,]+)?)*)")
    kept: list[str] = []
    skipping = False
    for line in help_text.splitlines():
        match = entry.match(line)
        if match:
            names = {part.split()[0] for part in match.group(1).split(", ")}
            skipping = option in names
        elif skipping and not line.startswith("   "):
            skipping = False  # past the entry's indented description
        if not skipping:
            kept.append(line)
    out = [line for i, line in enumerate(kept)
           if not (line.endswith(":") and not line.startswith(" ") and i > 0
                   and (i + 1 == len(kept) or not kept[i + 1].startswith("  ")))]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).rstrip() + "\n"


def _abort(code: int) -> int:
    """End the process now with `code`, its one error line already printed: an evaluation stopped mid-flight can
    leave lm-eval's and its libraries' worker threads running, and a native one torn down at interpreter exit
    aborts the process (SIGABRT, exit -6) after the error line, hiding the exit code the line promises."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)
    return code  # not reached


def run_lm_eval(args: Sequence[str]) -> int:
    """Run lm-eval in this process with the include path, the guard and the tripwire; returns the exit code."""
    try:
        plan = plan_run(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    level = os.environ.get("LMEVAL_LOG_LEVEL", "").upper()
    if level in ("ERROR", "CRITICAL", "FATAL"):
        print(f"note: LMEVAL_LOG_LEVEL={level} would hide lm-eval's truncation warnings from the tripwire; "
              "using WARNING", file=sys.stderr)
        os.environ["LMEVAL_LOG_LEVEL"] = "WARNING"
    try:
        from lm_eval.__main__ import cli_evaluate
    except ImportError:
        print("error: lm-eval is not installed: pip install 'cpython-retrieval[lm-eval]'", file=sys.stderr)
        return 2
    if plan.help:
        print(WRAPPER_HELP.replace("{command}", plan.command) + _lm_eval_help(plan.command, cli_evaluate), end="")
        return 0
    from . import cached_api  # noqa: F401 - registers the cpython-retrieval-* hosted models with lm-eval
    from .row_log import small_rows
    from .send_order import dataset_send_order

    started = time.time()
    handler = install_tripwire()
    saved_argv = sys.argv
    sys.argv = ["lm-eval", *plan.argv]
    try:
        with dataset_send_order(), small_rows(raw=plan.raw_samples, keep_other_tasks=plan.user_log_samples):
            cli_evaluate()
    except SystemExit as exc:
        code = exc.code
        if code not in (None, 0):
            return code if isinstance(code, int) else 1
    except BaseException as exc:  # noqa: BLE001 - the guard's errors become one clear line
        guard = find_guard_error(exc)
        if guard is None and _while_parsing_arguments(exc):  # e.g. --metadata that is not JSON
            print(f"error: lm_eval rejected its arguments: {str(exc).splitlines()[0]}", file=sys.stderr)
            return 2
        failure = find_model_failure(exc)
        if guard is None and failure is not None:  # a 500 storm, a bad JSON body, a truncated reply
            kept = _keep_answered(plan.argv, failure.answered, started)
            _close_progress_bars()  # else lm-eval's bar redraws after the error line at exit
            print(f"error: {failure}; {kept}", file=sys.stderr)
            return _abort(1)
        if guard is None:
            raise
        print(f"error: {guard}", file=sys.stderr)
        return _abort(2)
    finally:
        sys.argv = saved_argv
        uninstall_tripwire(handler)
    if plan.command == "run":
        _report(plan.argv, started)
    return 0


PARTIAL_PREFIX = "cpython_retrieval_partial_"


def _close_progress_bars() -> None:
    with contextlib.suppress(Exception):
        from tqdm import tqdm

        for bar in list(getattr(tqdm, "_instances", ())):
            bar.close()


def _keep_answered(argv: Sequence[str], answered: list[dict[str, Any]], started: float) -> str:
    """Write the rows answered before a model failure (with their scores) beside the results; says where."""
    if not answered:
        return "no rows were answered"
    output = _flag_value(argv, "--output_path", "-o")
    root = Path(output) if output else Path.cwd()
    root = root.parent if root.suffix == ".json" else root
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.localtime(started))
    target = root / f"{PARTIAL_PREFIX}{stamp}.jsonl"
    try:
        root.mkdir(parents=True, exist_ok=True)
        write_text(target, "".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in answered))
    except OSError as exc:
        return f"the {len(answered)} answered rows could not be written to {target} ({exc.strerror or exc})"
    return f"the {len(answered)} answered rows (with their scores) are in {target}"


# -- the summary from the per-row log -------------------------------------------------------------

def _while_parsing_arguments(exc: BaseException) -> bool:
    """A ValueError raised while argparse read lm_eval's arguments (lm-eval lets a bad --metadata escape so)."""
    if not isinstance(exc, (ValueError, TypeError)):
        return False
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename.endswith("argparse.py"):
            return True
        frame = frame.tb_next
    return False


def _report(argv: Sequence[str], started: float) -> None:
    output = _flag_value(argv, "--output_path", "-o")
    if not output or not _has_flag(argv, "--log_samples", "-s"):
        return
    root = Path(output)
    root = root.parent if root.suffix == ".json" else root
    results = sorted((p for p in root.rglob("results_*.json") if p.stat().st_mtime >= started - 1),
                     key=lambda p: p.stat().st_mtime)
    if not results:
        return
    latest = results[-1]
    stamp = latest.stem.split("_", 1)[1] if "_" in latest.stem else latest.stem
    samples = sorted(latest.parent.glob(f"samples_cpython_retrieval_*_{stamp}.jsonl"))
    if not samples:
        return
    summary = summarize_samples(samples)
    target = latest.parent / f"{SUMMARY_PREFIX}{stamp}.json"
    write_text(target, json.dumps(summary, indent=1) + "\n")
    print(format_summary(summary))
    print(f"cpython-retrieval summary written to {target}")


def read_samples(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


def _mean(values: list[float]) -> dict[str, Any]:
    return {"n": len(values), "mean": sum(values) / len(values) if values else None}


def summarize_samples(paths: Iterable[str | Path]) -> dict[str, Any]:
    """Correctly weighted breakdowns from `--log_samples` files: every mean is over the questions themselves.

    Keys: `overall`, `by_tier`, `by_type` (across tiers), `by_tier_type`, `by_variant`
    (ordinary/perturbed/drift, overall and per tier), `stale_hit` (drift questions answered with the older
    release's value), `memorized_hit` (perturbed questions answered with
    the original fact); each value is `{"n", "mean"}` of the per-question `score` (and
    `substring_match` under `substring_match`).
    """
    rows = read_samples(paths)
    score: dict[str, list[float]] = defaultdict(list)
    lenient: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        doc = row.get("doc", {})
        tier = doc.get("tier") or "?"
        qtype = doc.get("question_type") or "?"
        variant = "perturbed" if doc.get("perturbed") else "drift" if doc.get("drift") else "ordinary"
        value = float(row["score"])
        keys = ["overall", f"tier/{tier}", f"type/{qtype}", f"tier_type/{tier}/{qtype}", f"variant/{variant}",
                f"tier_variant/{tier}/{variant}"]
        for key in keys:
            score[key].append(value)
            lenient[key].append(float(row.get("substring_match", 0.0)))
        if "memorized_hit" in row:
            score["memorized"].append(float(row["memorized_hit"]))
        if "stale_hit" in row:
            score["stale"].append(float(row["stale_hit"]))

    def section(prefix: str, source: dict[str, list[float]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, values in sorted(source.items()):
            if not key.startswith(prefix + "/"):
                continue
            parts = key.split("/")[1:]
            node = out
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = _mean(values)
        return out

    return {
        "questions": len(rows),
        "overall": _mean(score["overall"]),
        "by_tier": section("tier", score),
        "by_type": section("type", score),
        "by_tier_type": section("tier_type", score),
        "by_variant": section("variant", score),
        "by_tier_variant": section("tier_variant", score),
        "memorized_hit": _mean(score["memorized"]),
        "stale_hit": _mean(score["stale"]),
        "substring_match": {"overall": _mean(lenient["overall"]), "by_tier": section("tier", lenient),
                            "by_type": section("type", lenient)},
    }


def format_summary(summary: dict[str, Any]) -> str:
    def cell(stat: dict[str, Any]) -> str:
        return "   n/a" if stat["mean"] is None else f"{stat['mean']:.4f} (n={stat['n']})"

    lines = [f"cpython-retrieval summary from --log_samples ({summary['questions']} questions)",
             f"  overall score        {cell(summary['overall'])}"]
    for tier, stat in sorted(summary["by_tier"].items(), key=lambda kv: _tier_key(kv[0])):
        lines.append(f"  tier {tier:<15} {cell(stat)}")
    for qtype, stat in summary["by_type"].items():
        lines.append(f"  type {qtype:<22} {cell(stat)}")
    for variant, stat in summary["by_variant"].items():
        lines.append(f"  {variant:<20} {cell(stat)}")
    if summary["memorized_hit"]["n"]:
        lines.append(f"  memorized_hit        {cell(summary['memorized_hit'])}")
    if summary.get("stale_hit", {}).get("n"):
        lines.append(f"  stale_hit            {cell(summary['stale_hit'])}")
    return "\n".join(lines)


def _tier_key(tier: str) -> tuple[int, str]:
    digits = "".join(ch for ch in tier if ch.isdigit())
    return (int(digits) if digits else 0, tier)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    return run_lm_eval(sys.argv[1:] if argv is None else argv)


__all__ = ["WRAPPER_HELP", "WrapperRun", "drop_option", "format_summary", "include_path", "main",
           "plan_run", "read_samples", "run_lm_eval", "summarize_samples"]
