"""The dataset card (README.md of a dataset folder): configs, fields, question types, pin, license, citation."""

from __future__ import annotations

import json

from .. import __version__
from ..question_types import NOT_PRESENT, QUESTION_TYPES

FIELD_DOCS = {
    "id": "Stable row id: `<tier>-<question_type>-<10 hex of sha256(type, file, symbol)>`; the same fact has the same suffix in every tier. Perturbation rows use the original symbol and end in `-perturbed`, drift rows end in `-drift`.",
    "tier": "Context tier, `T<thousands of tokens>`.",
    "question": "The question, naming its target unambiguously and ending with the answer format.",
    "answer": "Canonical answer string (see the question types).",
    "answer_json": "The answer in typed form, JSON-encoded (a list for decorators and parameters, bases and keywords for base classes, an integer for counts).",
    "question_type": "One of the question types below.",
    "difficulty": "`easy` (file named, fact on the definition), `medium` (symbol must be found without its file, or a location/owner question), `hard` (count a whole file's functions, or rule out the whole context).",
    "source_file": "The file that states the fact, as shown in the context headers (for `absent_symbol`: the real stdlib file outside the context).",
    "symbol": "The target: a dotted qualified name, a method name (`method_owner`) or a path (`module_function_count`).",
    "ast_node_type": "`FunctionDef`, `AsyncFunctionDef`, `ClassDef` or `Module`.",
    "answer_char_start": "Character offset in the context where the fact is stated (null for `absent_symbol`).",
    "answer_char_end": "End of that span.",
    "answer_token_start": "Token offset of `answer_char_start` under `tokenizer` (sum of per-file counts).",
    "depth": "answer_char_start / context length, 0..1 (null for `absent_symbol`).",
    "context_id": "Key into the `contexts` config.",
    "context_tokens": "Context length under `tokenizer`.",
    "tokenizer": "The tokenizer that sized the tiers.",
    "context_token_counts": "JSON object: context length under every recorded tokenizer (at least o200k_base and cl100k_base).",
    "cpython_version": "The pinned CPython release.",
    "cpython_tag": "Its git tag.",
    "generator_version": "cpython-retrieval version that built the row.",
    "seed": "Sampling seed.",
    "perturbed": "Whether the row is asked on a perturbed context.",
    "perturbation_kind": "Which perturbation changed the fact: `rename`, `return_annotation`, `base_classes`, `decorators`, `docstring_first_line` or `module_function_count` (null for ordinary rows).",
    "original_symbol": "The symbol before perturbation (null for ordinary rows).",
    "perturbed_symbol": "The symbol as the perturbed context names it, also in `symbol` and the question (differs from `original_symbol` only for renamed classes).",
    "original_answer": "What the unperturbed stdlib says: the answer memory would give (`NOT PRESENT` for a renamed class's location). Answering it on a perturbed row is evidence of recall over reading.",
    "pair_id": "Perturbed rows: the id of the ordinary row of the same tier that asks the same question about the same fact on the original context, when that row was sampled (null otherwise, and for ordinary and drift rows). Comparing the two answers tells reading from recall on the very same fact.",
    "drift": "Whether the row asks a fact that changed since an older CPython release (`stale_pin`), on the tier's original context.",
    "drift_kind": "Drift rows: `changed` (the older release had another value), `added` (it lacked the fact) or `moved` (the class was defined in another file).",
    "stale_answer": "Drift rows: what the older release says (null for `added`): the answer recall of that release gives.",
    "stale_pin": "Drift rows: the older CPython release compared with.",
}


def render_card(built, manifest=None) -> str:
    """The card of `built`; `manifest` is the one being written (with the fingerprint), else the build's own."""
    manifest = manifest if manifest is not None else built.manifest
    tiers = list(built.rows)
    configs = []
    for tier in tiers:
        configs.append(f"- config_name: {tier}\n  data_files:\n  - split: test\n    path: data/{tier}.parquet")
    configs.append("- config_name: contexts\n  data_files:\n  - split: test\n    path: data/contexts.parquet")
    pin = manifest["pin"]
    examples = _examples(built)
    tier_table = "\n".join(
        f"| {t} | {info['files']} | {info['context_tokens']:,} | {json.loads(_context(built, t)['context_token_counts']).get('cl100k_base', '')} | {info['rows']} | {info['contexts']} | {info.get('prompt_tokens_max', 0):,} | {info['prompt_tokens_total']:,} |"
        for t, info in manifest["tiers"].items()
    )
    type_rows = "\n".join(
        f"| `{qt.name}` | {qt.family.replace('_', ' ')} | {qt.definition} | {qt.answer_format} | `{examples.get(qt.name, qt.example_answer)!s}` |".replace("\n", "\\n")
        for qt in QUESTION_TYPES.values()
    )
    field_rows = "\n".join(f"| `{name}` | {doc} |" for name, doc in FIELD_DOCS.items())
    perturbation_text = _perturbation_section(manifest)
    skipped = manifest["skipped_files"]
    skipped_text = "\n".join(f"- `{path}`: {reason}" for path, reason in skipped.items()) or "- none"
    return f"""---
pretty_name: cpython-retrieval (CPython {pin['version']})
license: other
license_name: psf-2.0
license_link: https://docs.python.org/3/license.html
language:
- en
- code
task_categories:
- question-answering
tags:
- long-context
- code
- retrieval
- python
configs:
{chr(10).join(configs)}
---

# cpython-retrieval: CPython {pin['version']} `Lib/`

Long-context retrieval questions about the standard library source of CPython {pin['version']}
(`{pin['tag']}`). Each tier's context is a sequence of whole stdlib files; each question asks for one
exact fact (a return annotation, a class's file, its bases, a docstring line, ...) whose answer is
derived from the source by an AST extractor and stated exactly once in the context. Contexts are
prefix-aligned: every tier's context begins with the whole context of the tier below it, so a
serving stack's prefix cache can reuse work across rows and tiers.

Built by cpython-retrieval {__version__} with seed {manifest['options']['seed']}, tokenizer
`{manifest['options']['tokenizer']}`, {manifest['options']['per_tier']} questions per tier.

Dataset fingerprint: `{manifest.get('fingerprint', 'not computed (in-memory build)')}` (sha256 over the content of
every data file; runs that report the same fingerprint asked the same questions on the same contexts).

## Loading

```python
from datasets import load_dataset

rows = load_dataset("ORG/NAME", "T50", revision="REVISION", split="test")
contexts = load_dataset("ORG/NAME", "contexts", revision="REVISION", split="test")
text = dict(zip(contexts["context_id"], contexts["text"]))
row = rows[0]
prompt = text[row["context_id"]] + "\\n\\n" + row["question"]
```

A local folder loads the same way (`load_dataset("path/to/folder", "T50")`). Each distinct
context is stored once, in the `contexts` config, and rows point to it by `context_id`;
`cpython_retrieval.dataset.load_tier(folder, "T50")` returns rows with the `context` joined in.
Put the context first and the question last, so all rows of a tier share one cacheable prefix.

## Tiers

| tier | files | tokens ({manifest['options']['tokenizer']}) | tokens (cl100k_base) | rows | contexts | longest whole prompt | prompt tokens per run |
|---|---|---|---|---|---|---|---|
{tier_table}

Files and tokens are the (first) context's; the whole prompt adds the instructions, the `<files>` tags and the
question (same tokenizer): a model needs that many tokens of window plus its output budget. Prompt tokens per run
add up every row's whole prompt (one trial); with a prefix cache most of them are cached reads, and a server
whose cache holds one context prefills each context of the tier once.

{_ladder_section(manifest)}

Files are offered to tiers by coherent groups, so cross-file relations exist from T50 up: groups (a
top-level package, or a top-level module alone) in a seeded order (sha256 of seed and path), a group's
files in that order too, each file followed by the files its module-level imports name. Each tier takes,
first-fit in that sequence, the files that still fit its budget after everything the smaller tiers hold,
a package holding at most a quarter of the tier's budget on this first pass; a second pass takes any file
that still fits. Each tier first takes
the fitting file richest in return annotations when it holds none (they are scarce in the stdlib).
Each file appears as a header line `# ===== File: Lib/<path> =====`, its text, and a blank line.

## Question types

Types are sampled in equal shares (a type with too few candidates passes its remainder on, to the
structure families first), and
within a type stratified over answer depth deciles. Structure rows prefer targets with textual distractors
(the target's name also shows where it does not answer: other `def m` lines than the classes counted, other
classes defining the inherited method, other files defining the imported name, class lines whose one-line
bases miscount): a structure family's rows go first to such candidates of its types, then to the others, so
that the answer needs the code's structure rather than the first matching line. Every question names its target so that exactly
one binding in its scope matches it (definitions at any depth and assignments in class bodies and at
module level all count; a module-level function is asked as such, a method or class by its qualified
name, with its file when the name alone would match twice), and states the answer format with the
counting rules a reader could doubt, and never shows its answer in its own words. Families: single needle
(one place of the context), two hops (`base_class_location`: find the class, then the file defining its
first base; `import_source`: the file an import names that defines the name; `inherited_method`: the class
providing an inherited method, following bases across files) and aggregation (`subclass_count`: every
class of every file listing a base; `method_definer_count`: every class defining a method of that name).
Rows are stored in the order to send them: every row of the original context, then every row of the perturbed one, each block round-robin
over question types.

| type | family | definition | answer format | example answer |
|---|---|---|---|---|
{type_rows}

`class_location` and `absent_symbol` are worded identically; the right answer to the latter is
`{NOT_PRESENT}`, which catches answering from memory.

{perturbation_text}

{_drift_section(manifest)}

## Fields

| field | meaning |
|---|---|
{field_rows}

`contexts` config: `context_id`, `tier`, `variant`, `text`, `context_tokens`, `tokenizer`,
`context_token_counts`, `files` (JSON list of the file paths in order).

## Source and manifest

- CPython {pin['version']}, tag `{pin['tag']}`, release tarball `{pin['tarball_url']}` (sha256 `{pin['tarball_sha256']}`).
- Per-file manifest: {_manifest_origin(manifest)}.
- Corpus: the pure-Python stdlib modules of `Lib/`, excluding `test/`, `tests/`, `idlelib/`, `lib2to3/` and
  `site-packages/`; {len(manifest['files'])} files, listed with their sha256 in `manifest.json`.
- Source used: {manifest['source_kind']}; files differing from the pin's manifest: {len(manifest['hash_mismatches'])}.
- Files left out:
{skipped_text}

## License

The contexts are CPython source text, under the Python Software Foundation License Version 2 and the
other terms in CPython's `LICENSE`, which ships with this dataset as `LICENSE`
(https://docs.python.org/3/license.html). Questions and answers are derived from that source.

## Citation

```bibtex
@software{{cpython_retrieval,
  title = {{cpython-retrieval: long-context retrieval questions over the CPython standard library}},
  version = {{{__version__}}},
  year = {{2026}}
}}
```
"""


def _ladder_section(manifest) -> str:
    ladders = manifest["options"].get("ladders") or {}
    if not ladders:
        return ("One ladder: every row of a tier is asked on the tier's one context (or its perturbed twin), so rows "
                "of a tier are not independent draws; the `full` size of the canonical dataset, or `--ladders N`, "
                "gives several independent contexts per tier.")
    counts = ", ".join(f"{t} {n}" for t, n in ladders.items())
    return f"""### Independent ladders

This build has several independent ladders per tier ({counts}): each ladder is a prefix-aligned sequence of its own
files (its own seed, recorded per row in `seed`), with its own questions, perturbed context and drift rows. Rows of
ladder k > 0 have ids ending in `-L<k>`; ladder 0 is the one-ladder build of the same seed. Rows are stored ladder
by ladder, each context's rows together, so the tier's `contexts` are each prefilled once in send order. A report
clusters its standard errors by `context_id` (Miller 2024, "Adding Error Bars to Evals")."""


def _drift_section(manifest) -> str:
    drift = manifest.get("drift") or {}
    if not drift.get("stale_pin"):
        return f"## Drift rows\n\nThis build has none ({drift.get('why_none', 'not built')})."
    table = "\n".join(f"| {t} | {s['candidates']} | {s['rows']} | " + ", ".join(f"{k} {n}" for k, n in s["kinds"].items())
                      + " |" for t, s in drift["tiers"].items())
    return f"""## Drift rows

The second anti-memorization control, at no cost in prefill: facts that changed between CPython
{drift['stale_pin']} and {manifest['pin']['version']} (a return annotation, bases, decorators, a docstring's first line,
parameters, a module's function count changed or appeared; a class moved to another file), asked on
the tier's *original* context (`drift = true`). The expected answer is the newer fact; `stale_answer`
is the older one, what recalling the older, longer-trained-on release gives (null when the older
release lacked the fact). Values a scorer would accept for each other are not drift. Drift rows are
sampled like ordinary rows, those with a stale answer first, and never repeat an ordinary row.

| tier | drifted facts offered | rows | kinds |
|---|---|---|---|
{table}"""


def _perturbation_section(manifest) -> str:
    share = manifest["options"].get("perturbed_share") or 0
    stats = {t: info.get("perturbation") for t, info in manifest["tiers"].items()}
    if not share or not any(stats.values()):
        return "## Perturbation rows\n\nThis build has none (`--perturbed-share 0`)."
    table = "\n".join(
        f"| {t} | {s['files_perturbed']} | {s['rows']} | {s['paired_rows']} | "
        + ", ".join(f"{k} {n}" for k, n in s["kinds"].items()) + " |"
        for t, s in stats.items() if s
    )
    return f"""## Perturbation rows

An anti-memorization control: the stdlib is in every model's training data, so some rows
(`perturbed = true`, {share:.0%} of each tier's rows) ask about a fact that was changed only inside the
supplied context. A model that reads the context follows the change; one that recalls the real
stdlib gives `original_answer`. Changes are made with libcst, format-preserving, and the perturbed
code still parses; answers are derived from the perturbed source by the same extractor as ordinary
rows and are unambiguous in the perturbed context by the same rules.

Kinds (`perturbation_kind`): `rename` (a top-level class renamed, with every reference libcst's scope
analysis ties to it, to a name found nowhere in the stdlib; asked as its location, the owner of its
methods, or any fact mentioning it), `return_annotation` (another annotation, only where the docstring and
body do not tell the return), `base_classes` (two bases swapped or one added), `decorators` (one added or
removed), `docstring_first_line` (the first sentence rewritten as a sentence found nowhere in the stdlib),
`module_function_count` (a module-level function added or removed). An added base or decorator is one the
file or its package already writes, and uses only names the file binds (or the `import` it adds).

All perturbation rows of a tier share one context (variant `perturbed` in the `contexts` config):
the tier's files in the same order, some of them perturbed (one to three kinds per file, a few
definitions each), as many as fit the budget at their edited size (a file that no longer fits a smaller tier's
perturbed context comes at the end of the next tier's). A perturbed file is perturbed the same way in every tier that holds it, so the perturbed
context of a tier begins with the perturbed context of the tier below. A tier thus has two distinct
contexts and a prefix cache serves it with about two contexts' worth of prefill. `pair_id` links a
perturbed row to the ordinary row asking the same question on the original context, where sampled.
Every question names its target, so a row can also be asked with no context (a closed-book control).

| tier | files perturbed | rows | paired | kinds |
|---|---|---|---|---|
{table}"""


def _manifest_origin(manifest) -> str:
    pin = manifest["pin"]
    if pin.get("manifest_origin") == "derived":
        return (f"derived from the verified release tarball ({pin['manifest_files']} files; this is a tarball-only "
                "pin, so no per-file manifest ships with the generator)")
    if pin.get("manifest_files"):
        return f"shipped with the generator ({pin['manifest_files']} files), every file verified against it"
    return "none (an unpinned source built with --allow-mismatch)"


def _context(built, tier: str) -> dict:
    return next(c for c in built.contexts if c["tier"] == tier and c["variant"] == "original")


def _examples(built) -> dict[str, str]:
    found: dict[str, str] = {}
    for rows in built.rows.values():
        for row in rows:
            found.setdefault(row["question_type"], row["answer"])
    return found
