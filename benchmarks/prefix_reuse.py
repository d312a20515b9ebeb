"""How much prefill a prefix cache still needs to serve a tier, from the dataset's design or a real run's send order.

Every prompt is a context (a sequence of whole-file segments) followed by a question. Two caches are simulated,
counting prefill in prompt tokens (o200k_base) and as "contexts' worth" (prefill / the tier's original context).
Context prefill (re-reading files) is what a send order can save; the question tails (every row's own question,
about 50 tokens each) are prefilled once per distinct prompt whatever the order, and are shown apart:

- unbounded: every prefix ever computed stays cached, so each distinct prefix is prefilled once (the trie of all
  prompts over segments, plus each question tail); independent of the order;
- one context: the cache holds the previous prompt only (a server whose KV memory fits one 1M-token context),
  so a call prefills everything after the prefix it shares with the call before it. This depends on the send
  order: interleaving two contexts re-prefills one at every switch.

Sources of the order:

- `--dataset DIR` (default: the bundled canonical dataset): the rows as stored, one call each (the send order
  the tasks use), beside two designs for the perturbation rows: grouped (this dataset: one perturbed context per
  tier) and per-row (simulated: each perturbation row with its own context). It also prints what drift rows cost
  (they ask on the original context: question tails only) against perturbation rows.
- `--inspect-log LOG.eval`: the calls of a real Inspect run, in the order their model events started.
- `--server-log FILE.jsonl`: the requests a server received (one JSON object per line with `context_sha256`,
  as `python -m cpython_retrieval.adapters.oracle_server --request-log FILE` writes), e.g. from a real lm-eval run.

Usage:
    python benchmarks/prefix_reuse.py [--dataset DIR] [--tiers T25,T1000]
    python benchmarks/prefix_reuse.py --inspect-log logs/xxx.eval
    python benchmarks/prefix_reuse.py --server-log requests.jsonl --dataset DIR
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from cpython_retrieval.generate.contexts import sort_tiers
from cpython_retrieval.prompt import HEADER_PATTERN
from cpython_retrieval.reference.prompt_cache import text_sha256
from cpython_retrieval.tokens import get_counter

QUESTION_SEPARATOR = "\n\n"


def segments(context: str) -> list[tuple[str, str]]:
    """(display path, segment text) of each file segment, header included."""
    starts = [m.start() for m in HEADER_PATTERN.finditer(context)]
    ends = [*starts[1:], len(context)]
    return [(HEADER_PATTERN.match(context, s).group(1), context[s:e]) for s, e in zip(starts, ends, strict=True)]


class Tokens:
    """Token counts of segments and question tails, each text counted once."""

    def __init__(self, counter) -> None:
        self.counter = counter
        self.cache: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        if text not in self.cache:
            self.cache[text] = self.counter.count(text)
        return self.cache[text]


@dataclass(frozen=True)
class Call:
    context_id: str
    question: str


def trie_tokens(sequences, count) -> int:
    """Tokens of the distinct prefixes of segment sequences (each node of the trie counted once)."""
    seen: set[tuple] = set()
    total = 0
    for seq in sequences:
        key: tuple = ()
        for item in seq:
            key = (key, item)
            if key not in seen:
                seen.add(key)
                total += count(item[-1])
    return total


def shared_prefix_tokens(before: list[tuple[str, str]], after: list[tuple[str, str]], count: Tokens) -> int:
    """Tokens of the leading segments two contexts have in common (what a one-context cache keeps)."""
    shared = 0
    for a, b in zip(before, after, strict=False):  # the common leading segments
        if a != b:
            break
        shared += count(a[1])
    return shared


def context_tokens(text: str, count: Tokens) -> int:
    return sum(count(s) for _, s in segments(text))


def replay(calls: list[Call], contexts: dict[str, str], count: Tokens) -> dict:
    """Prefill of the calls in their order, under an unbounded cache and a one-context cache."""
    segs = {cid: segments(contexts[cid]) for cid in {c.context_id for c in calls}}
    tails = {c.question: count(QUESTION_SEPARATOR + c.question) for c in calls}
    total = sum(sum(count(s) for _, s in segs[c.context_id]) + tails[c.question] for c in calls)
    unbounded = trie_tokens([segs[cid] for cid in sorted(segs)], count)  # context prefill; tails are shown apart
    one_context, tail_prefill, switches, previous = 0, 0, 0, None
    for call in calls:
        current = segs[call.context_id]
        shared = 0
        if previous is not None:
            shared = shared_prefix_tokens(segs[previous.context_id], current, count)
            if previous.context_id != call.context_id:
                switches += 1
        one_context += sum(count(s) for _, s in current) - shared
        tail_prefill += 0 if previous == call else tails[call.question]
        previous = call
    return {"calls": len(calls), "contexts": len(segs), "switches": switches, "total_prompt_tokens": total,
            "unbounded_prefill": unbounded, "one_context_prefill": one_context, "question_tail_prefill": tail_prefill,
            "one_context_total_prefill": one_context + tail_prefill}


def _worth(result: dict, base: int, ladders: int = 1) -> dict:
    """Prefill in units of the (first) original context; with several independent ladders also per ladder."""
    return {**result, "context_tokens": base, "unbounded_contexts": result["unbounded_prefill"] / base,
            "ladders": ladders, "one_context_contexts_per_ladder": result["one_context_prefill"] / base / ladders,
            "one_context_contexts": result["one_context_prefill"] / base,
            "one_context_total_contexts": result["one_context_total_prefill"] / base}


def design_report(rows: list[dict], contexts: dict[str, str], count: Tokens) -> dict:
    """The stored send order, the per-row perturbation design, and what drift and perturbed rows cost."""
    original_id = next(r["context_id"] for r in rows if not r["perturbed"])
    base = context_tokens(contexts[original_id], count)
    ladders = len({r["context_id"] for r in rows if not r["perturbed"]})  # one original context per ladder
    stored = _worth(replay([Call(r["context_id"], r["question"]) for r in rows], contexts, count), base, ladders)
    per_row_contexts = dict(contexts)
    per_row_calls = []
    original = segments(contexts[original_id])
    for r in rows:
        if not r["perturbed"]:
            per_row_calls.append(Call(r["context_id"], r["question"]))
            continue
        perturbed = dict(segments(contexts[r["context_id"]]))
        text = "".join(perturbed.get(p, s) if p == r["source_file"] else s for p, s in original)
        per_row_contexts[r["id"]] = text  # the row's own context: the original with its one file perturbed
        per_row_calls.append(Call(r["id"], r["question"]))
    per_row = _worth(replay(per_row_calls, per_row_contexts, count), base)
    plain = [r for r in rows if not r["perturbed"] and not r.get("drift")]
    cost = {}
    for label, extra in (("drift", [r for r in rows if r.get("drift")]), ("perturbed", [r for r in rows if r["perturbed"]])):
        without = replay([Call(r["context_id"], r["question"]) for r in plain], contexts, count)
        with_extra = replay([Call(r["context_id"], r["question"]) for r in plain + extra], contexts, count)
        added = with_extra["one_context_total_prefill"] - without["one_context_total_prefill"]
        cost[label] = {"rows": len(extra), "added_prefill": added, "added_contexts": added / base,
                       "added_context_switches": with_extra["switches"] - without["switches"]}
    perturbed_id = next((r["context_id"] for r in rows if r["perturbed"]), None)
    shared = shared_prefix_tokens(original, segments(contexts[perturbed_id]), count) if perturbed_id else 0
    return {"stored_order": stored, "per_row_design": per_row, "row_costs": cost,
            "perturbed_shares_prefix_tokens": shared}


def _inspect_calls(log_path: Path) -> tuple[str, list[Call], str]:
    from inspect_ai.event import ModelEvent
    from inspect_ai.log import read_eval_log

    log = read_eval_log(str(log_path))
    events = []
    for sample in log.samples or []:
        md = sample.metadata or {}
        for event in sample.events or []:
            if isinstance(event, ModelEvent):
                events.append((event.timestamp, Call(md["context_id"], md["question"])))
    events.sort(key=lambda e: e[0])
    return log.eval.task.rsplit("/", 1)[-1], [call for _, call in events], (log.eval.metadata or {}).get("dataset_path", "")


def _server_calls(path: Path, contexts: dict[str, str]) -> dict[str, list[Call]]:
    """Requests in arrival order, by tier, matched to contexts by the sha256 of the context text."""
    by_hash = {text_sha256(text): cid for cid, text in contexts.items()}  # the server's own digest
    out: dict[str, list[Call]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        cid = by_hash.get(record.get("context_sha256"))
        if cid is None:
            continue  # not one of this dataset's prompts
        out.setdefault(cid.split("-", 1)[0], []).append(Call(cid, record.get("question", "")))
    return out


def _load_dataset(folder: Path | None, tiers) -> tuple[Path, dict[str, list[dict]], dict[str, str]]:
    from cpython_retrieval.dataset.canonical import canonical_dir
    from cpython_retrieval.dataset.store import (
        dataset_tiers,
        load_contexts,
        load_rows,
    )

    folder = folder or canonical_dir()
    tiers = tiers or dataset_tiers(folder)
    return folder, {t: load_rows(folder, t) for t in sort_tiers(tiers)}, load_contexts(folder)


def _print_replay(title: str, results: dict[str, dict]) -> None:
    print(title)
    print("  context prefill (files read), in tokens and x the original context; question tails apart")
    header = (f"{'tier':<6} {'calls':>6} {'ctxs':>5} {'switches':>8} {'total prompt':>14} | {'unbounded':>12} {'x ctx':>6} "
              f"| {'one-context':>12} {'x ctx':>6} | {'+ tails':>8} {'x ctx':>6}")
    print(header)
    print("-" * len(header))
    for tier, r in results.items():
        print(f"{tier:<6} {r['calls']:>6} {r['contexts']:>5} {r['switches']:>8} {r['total_prompt_tokens']:>14,} | "
              f"{r['unbounded_prefill']:>12,} {r['unbounded_contexts']:>6.2f} | {r['one_context_prefill']:>12,} "
              f"{r['one_context_contexts']:>6.2f} | {r['question_tail_prefill']:>8,} {r['one_context_total_contexts']:>6.2f}")
    worst = max(r["one_context_contexts_per_ladder"] for r in results.values())
    ladders = sorted({r["ladders"] for r in results.values()})
    per = "" if ladders == [1] else f" and ladder ({'/'.join(map(str, ladders))} ladders per tier)"
    print(f"one-context cache: at most {worst:.2f} contexts re-read per tier{per} (aim <= 2.1)\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, help="a dataset folder (default: the bundled canonical dataset)")
    parser.add_argument("--tiers", type=lambda v: [t for t in v.split(",") if t], help="comma-separated tiers")
    parser.add_argument("--inspect-log", type=Path, action="append", default=[], help="a real Inspect log (repeatable)")
    parser.add_argument("--server-log", type=Path, help="a server's request log (JSON lines with context_sha256)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)
    count = Tokens(get_counter("o200k_base"))
    out: dict = {}
    if args.inspect_log:
        replays = {}
        for log in args.inspect_log:
            tier, calls, path = _inspect_calls(log)
            folder, _, contexts = _load_dataset(args.dataset or (Path(path) if path else None), [tier])
            base = context_tokens(contexts[next(c.context_id for c in calls if "-original-" in c.context_id)], count)
            replays[tier] = _worth(replay(calls, contexts, count), base)
        out["inspect"] = replays
    if args.server_log:
        folder, rows, contexts = _load_dataset(args.dataset, args.tiers)
        by_tier = _server_calls(args.server_log, contexts)
        out["server"] = {}
        for tier in sort_tiers(by_tier):
            calls = by_tier[tier]
            original = next(r["context_id"] for r in rows.get(tier, []) if not r["perturbed"]) if tier in rows else \
                next(c.context_id for c in calls if "-original-" in c.context_id)
            base = context_tokens(contexts[original], count)
            out["server"][tier] = _worth(replay(calls, contexts, count), base)
    if not args.inspect_log and not args.server_log:
        folder, rows, contexts = _load_dataset(args.dataset, args.tiers)
        out["design"] = {tier: design_report(tier_rows, contexts, count) for tier, tier_rows in rows.items()}
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    if "inspect" in out:
        _print_replay("Inspect log, calls in the order they started:", out["inspect"])
    if "server" in out:
        _print_replay("server request log, requests in arrival order:", out["server"])
    if "design" in out:
        _print_replay("dataset as stored (the send order), one call per row:",
                      {t: d["stored_order"] for t, d in out["design"].items()})
        _print_replay("per-row perturbation design (each perturbation row its own context), one call per row:",
                      {t: d["per_row_design"] for t, d in out["design"].items()})
        print("what each control costs under a one-context cache, on top of the ordinary rows:")
        print(f"{'tier':<6} | {'drift rows':>10} {'+prefill':>10} {'+ctxs':>6} {'+switches':>9} | {'perturbed rows':>14} "
              f"{'+prefill':>10} {'+ctxs':>6} {'+switches':>9} | {'perturbed shares':>16}")
        for tier, d in out["design"].items():
            dr, pr = d["row_costs"]["drift"], d["row_costs"]["perturbed"]
            print(f"{tier:<6} | {dr['rows']:>10} {dr['added_prefill']:>10,} {dr['added_contexts']:>6.3f} "
                  f"{dr['added_context_switches']:>9} | {pr['rows']:>14} {pr['added_prefill']:>10,} "
                  f"{pr['added_contexts']:>6.3f} {pr['added_context_switches']:>9} | "
                  f"{d['perturbed_shares_prefix_tokens']:>10,} tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
