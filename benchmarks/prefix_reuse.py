"""How much prefill a perfect prefix cache still needs to serve a tier: grouped vs per-row perturbations.

For each tier, every row's prompt is its context followed by its question (`context + "\\n\\n" +
question`). A perfect prefix cache prefills each distinct prefix once, so the prefill a tier needs is
the token count of the trie of all its prompts: the distinct contexts, sharing whatever leading files
they have in common (contexts are sequences of whole-file segments and token counts are sums of
per-segment counts, so the trie is built over segments), plus each row's question tail.

Two designs are compared in the same run:

- grouped (this dataset): every perturbation row of a tier shares the tier's one perturbed context;
- per-row (simulated): each perturbation row gets its own context, the original one with just that
  row's file replaced by its perturbed text, so it shares the original only up to that file.

Usage:
    python benchmarks/prefix_reuse.py                 # builds T25 and T50 in memory
    python benchmarks/prefix_reuse.py --dataset DIR   # a built dataset folder
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cpython_retrieval.contexts import HEADER_PATTERN
from cpython_retrieval.tokens import get_counter

QUESTION_SEPARATOR = "\n\n"


def segments(context: str) -> list[tuple[str, str]]:
    """(display path, segment text) of each file segment, header included."""
    starts = [m.start() for m in HEADER_PATTERN.finditer(context)]
    ends = [*starts[1:], len(context)]
    return [(HEADER_PATTERN.match(context, s).group(1), context[s:e]) for s, e in zip(starts, ends)]


class _SegmentTokens:
    def __init__(self, counter) -> None:
        self.counter = counter
        self.cache: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        if text not in self.cache:
            self.cache[text] = self.counter.count(text)
        return self.cache[text]


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


def tier_report(rows: list[dict], contexts: dict[str, str], counter) -> dict:
    count = _SegmentTokens(counter)
    context_segments = {cid: segments(text) for cid, text in contexts.items()}
    question_tokens = {r["id"]: counter.count(QUESTION_SEPARATOR + r["question"]) for r in rows}
    context_tokens = {cid: sum(count(s) for _, s in segs) for cid, segs in context_segments.items()}
    total = sum(context_tokens[r["context_id"]] + question_tokens[r["id"]] for r in rows)
    questions = sum(question_tokens.values())

    used = sorted({r["context_id"] for r in rows})
    grouped = trie_tokens([[(p, s) for p, s in context_segments[cid]] for cid in used], count) + questions

    original_id = next(cid for cid in used if "-original-" in cid)
    original = context_segments[original_id]
    sequences = [[(p, s) for p, s in original]]
    for r in rows:
        if not r["perturbed"]:
            continue
        perturbed = dict(context_segments[r["context_id"]])
        # the row's own mutated context: original files, its file perturbed, distinct from every other row's
        sequences.append([(p, s) if p != r["source_file"] else (r["id"], p, perturbed[p]) for p, s in original])
    per_row = trie_tokens(sequences, count) + questions
    base = context_tokens[original_id]
    return {
        "rows": len(rows),
        "perturbed_rows": sum(1 for r in rows if r["perturbed"]),
        "distinct_contexts": len(used),
        "context_tokens": base,
        "total_prompt_tokens": total,
        "grouped_prefill": grouped,
        "grouped_ratio": grouped / total,
        "grouped_contexts_worth": grouped / base,
        "per_row_contexts": 1 + sum(1 for r in rows if r["perturbed"]),
        "per_row_prefill": per_row,
        "per_row_ratio": per_row / total,
        "per_row_contexts_worth": per_row / base,
    }


def report(rows_by_tier: dict[str, list[dict]], contexts: dict[str, str], tokenizer: str = "o200k_base") -> dict[str, dict]:
    counter = get_counter(tokenizer)
    out = {}
    for tier, rows in rows_by_tier.items():
        ids = {r["context_id"] for r in rows}
        out[tier] = tier_report(rows, {cid: contexts[cid] for cid in ids}, counter)
    return out


def _load(args) -> tuple[dict[str, list[dict]], dict[str, str]]:
    if args.dataset is not None:
        from cpython_retrieval.dataset import dataset_tiers, load_contexts, load_rows

        tiers = args.tiers or dataset_tiers(args.dataset)
        return {t: load_rows(args.dataset, t) for t in tiers}, load_contexts(args.dataset)
    from cpython_retrieval.build import build_dataset

    built = build_dataset(tiers=args.tiers or ["T25", "T50"], perturbed_share=args.perturbed_share)
    return built.rows, {c["context_id"]: c["text"] for c in built.contexts}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, help="a built dataset folder (default: build in memory)")
    parser.add_argument("--tiers", type=lambda v: [t for t in v.split(",") if t], help="comma-separated tiers (default T25,T50)")
    parser.add_argument("--perturbed-share", type=float, default=0.2, help="when building in memory (default 0.2)")
    parser.add_argument("--tokenizer", default="o200k_base")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)
    rows, contexts = _load(args)
    result = report(rows, contexts, args.tokenizer)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print("prefill a perfect prefix cache must still do, in prompt tokens (o200k unless --tokenizer)")
    header = (f"{'tier':<6} {'rows':>5} {'pert':>5} {'total prompt':>13} | {'grouped: ctxs':>13} {'prefill':>10} {'ratio':>7} "
              f"{'x1 ctx':>7} | {'per-row: ctxs':>13} {'prefill':>10} {'ratio':>7} {'x1 ctx':>7}")
    print(header)
    print("-" * len(header))
    for tier, r in result.items():
        print(f"{tier:<6} {r['rows']:>5} {r['perturbed_rows']:>5} {r['total_prompt_tokens']:>13,} | "
              f"{r['distinct_contexts']:>13} {r['grouped_prefill']:>10,} {r['grouped_ratio']:>7.3f} {r['grouped_contexts_worth']:>7.2f} | "
              f"{r['per_row_contexts']:>13} {r['per_row_prefill']:>10,} {r['per_row_ratio']:>7.3f} {r['per_row_contexts_worth']:>7.2f}")
    worst = max(r["grouped_contexts_worth"] for r in result.values())
    print(f"\ngrouped design prefill / 1 context: at most {worst:.2f} (aim: <= ~2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
