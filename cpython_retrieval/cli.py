"""`cpython-retrieval` command line: build, check and publish datasets, run lm-eval, write reports, manage pins.

Exit codes: 0 success, 2 bad input (one line on stderr naming the problem and the fix), 1 unexpected error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import RetrievalError
from .generate.contexts import DEFAULT_MAX_FILE_TOKENS, DEFAULT_TIERS, tier_budget
from .question_types import QUESTION_TYPES


def _tiers(value: str) -> list[str]:
    tiers = [t.strip() for t in value.split(",") if t.strip()]
    if not tiers:
        raise argparse.ArgumentTypeError(f"no tier given; name at least one, e.g. --tiers T25 (available: {','.join(DEFAULT_TIERS)})")
    for tier in tiers:
        try:
            tier_budget(tier)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc
    return tiers


def _check_tiers(tiers: list[str], custom_tiers: bool) -> None:
    """A tier off the standard ladder is a typo unless asked for: `--tiers T30` needs `--custom-tiers`."""
    custom = [t for t in tiers if t not in DEFAULT_TIERS]
    if custom and not custom_tiers:
        raise RetrievalError(f"--tiers {','.join(custom)}: not a standard tier ({','.join(DEFAULT_TIERS)}); fix the "
                             "name, or pass --custom-tiers to build a tier of that size")


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from exc
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {number})")
    return number


def _fraction(*, one_allowed: bool):
    """An argparse type for a share: from 0 to 1, 1 itself only where `one_allowed` (nan is refused either way)."""
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number") from exc
        if not (0 <= number <= 1 if one_allowed else 0 <= number < 1):  # nan fails every comparison
            bounds = "between 0 and 1" if one_allowed else "at least 0 and below 1"
            raise argparse.ArgumentTypeError(f"must be {bounds} (got {value})")
        return number
    return parse


# a tier's rows are at least 0 and below 1 perturbed; drift rows are counted per ordinary row, up to one each
_share = _fraction(one_allowed=False)
_drift_share = _fraction(one_allowed=True)
_unit_interval = _fraction(one_allowed=True)  # an accuracy threshold


def _types(value: str) -> list[str]:
    types = [t.strip() for t in value.split(",") if t.strip()]
    if not types:
        raise argparse.ArgumentTypeError(f"no question type given; choose from {', '.join(QUESTION_TYPES)}")
    unknown = [t for t in types if t not in QUESTION_TYPES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown question type(s) {', '.join(unknown)}; choose from {', '.join(QUESTION_TYPES)}")
    return types


class _OneLineErrors(argparse.ArgumentParser):
    """Usage errors as one line naming the problem and where to look, exit code 2 (argparse prints the usage too)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineErrors(prog="cpython-retrieval", description=__doc__.splitlines()[0],
                            epilog="Exit codes: 0 success, 2 bad input (one line on stderr naming the problem and the "
                                   "fix), 1 unexpected error. Details: docs/.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineErrors)

    build = sub.add_parser("build", help="build a dataset folder from a pinned CPython Lib/",
                           description="Build prefix-aligned tiers of retrieval questions and write them as a Hugging Face dataset folder.")
    build.add_argument("--pin", default="auto", help="CPython release to pin, e.g. 3.13.15, or a pin JSON file; 'auto' = the running interpreter's version if shipped, else the canonical pin (see `pins list`)")
    build.add_argument("--source", help="a CPython checkout, release folder or Lib/ directory, or the release tarball (a path or URL, checked against the pin's sha256); default: a cached verified download, a local install of the release, else download the tarball")
    build.add_argument("--tiers", type=_tiers, default=list(DEFAULT_TIERS), help=f"comma-separated tiers (thousands of tokens); default {','.join(DEFAULT_TIERS)}")
    build.add_argument("--custom-tiers", action="store_true", help="allow tiers off the standard ladder (e.g. T30); without it such a name is refused as a likely typo")
    build.add_argument("--per-tier", type=_positive, default=100, help="ordinary questions per tier (default 100)")
    build.add_argument("--perturbed-share", type=_share, default=0.2, help="share of each tier's rows asked on the tier's perturbed context (anti-memorization control; default 0.2, 0 disables)")
    build.add_argument("--drift-share", type=_drift_share, default=0.1, help="drift rows per ordinary row: facts that changed since --stale-pin, asked on the original context (default 0.1, 0 disables)")
    build.add_argument("--stale-pin", help="the older release drift rows compare with (default: the oldest shipped pin, when older than --pin)")
    build.add_argument("--stale-source", help="the stale pin's Lib/ (folder or release tarball), like --source; alone, the default stale pin's (refused when that pin is not older than --pin)")
    build.add_argument("--ladders", default="1", help="independent ladders (contexts) per tier, each with its own files and questions: a count for every tier (10) or tier=count pairs (T25=10,T500=3); default 1")
    build.add_argument("--seed", type=int, default=0, help="seed for file order and sampling (default 0)")
    build.add_argument("--tokenizer", default="o200k_base", help="tokenizer that sizes tiers: o200k_base (default), cl100k_base, or a path to a Hugging Face tokenizer.json")
    build.add_argument("--question-types", type=_types, help=f"comma-separated subset of: {', '.join(QUESTION_TYPES)}")
    build.add_argument("--max-file-tokens", type=_positive, default=DEFAULT_MAX_FILE_TOKENS, help=f"leave out files longer than this (default {DEFAULT_MAX_FILE_TOKENS})")
    build.add_argument("--allow-mismatch", action="store_true", help="proceed when files differ from the pin's manifest (their hashes are recorded in manifest.json)")
    build.add_argument("--offline", action="store_true", help="never download a release tarball")
    build.add_argument("--out", type=Path, required=True, help="output folder: new, empty, or a previous build (replaced whole, atomically)")
    build.add_argument("--quiet", action="store_true", help="no progress bars or summary")

    pub = sub.add_parser("publish", help="upload a built dataset folder to the Hugging Face Hub",
                         description="Upload a dataset folder as one commit and tag it with the pin and generator version. The token comes from HF_TOKEN or `huggingface-cli login` and is never printed.")
    pub.add_argument("directory", type=Path, help="a folder written by `cpython-retrieval build`")
    pub.add_argument("--repo-id", required=True, help="Hub dataset repo, ORG/NAME (created if missing)")
    pub.add_argument("--revision", help="tag to create (default cpython-<pin>-gen<version>-seed<seed>)")
    pub.add_argument("--private", action="store_true", help="create the repo private")
    pub.add_argument("--dry-run", action="store_true", help="print the files and commit message, send nothing")

    ver = sub.add_parser("verify",
                         help="check a dataset folder's files against its manifest (before datasets.load_dataset)",
                         description="Re-hash every file a dataset folder's manifest lists; exit 0 and print its "
                                     "identity if all match, else one error line and exit 2. "
                                     "`datasets.load_dataset(DIR, ...)` itself checks nothing.")
    ver.add_argument("directory", type=Path, help="a folder written by `cpython-retrieval build`")

    rep = sub.add_parser("report", help="tables and charts from Inspect logs and lm-eval --log_samples output",
                         description="Read eval logs of the cpython_retrieval tasks (one or many models) and write report.md (or report.html), summary.json and PNG charts.")
    rep.add_argument("logs", nargs="+", type=Path, help="Inspect log files (*.eval), lm-eval --output_path folders, or folders holding them")
    rep.add_argument("--out", type=Path, required=True, help="output folder")
    rep.add_argument("--prices", type=Path, help="YAML of USD per million tokens per model (input, cached_input, cache_write, output), for cost where logs have none")
    rep.add_argument("--format", choices=["md", "html"], default="md", help="report.md with PNGs beside it (default), or one self-contained report.html")
    rep.add_argument("--threshold", type=_unit_interval, default=0.8, help="accuracy a tier must keep to count toward the effective context length (default 0.8)")
    rep.add_argument("--quiet", action="store_true", help="no progress bar")
    rep.add_argument("--allow-mixed", action="store_true", help="report logs of datasets with different fingerprints together (refused by default)")

    pins = sub.add_parser("pins", help="list shipped pins, or generate a pin manifest (maintainers)")
    pins_sub = pins.add_subparsers(dest="pins_command", required=True)
    pins_sub.add_parser("list", help="list the CPython releases with a shipped manifest")
    fetch = pins_sub.add_parser("fetch", help="download a pin's release tarball, verify its sha256 and cache its Lib/",
                                description="Fetch a pin's release tarball (its URL, then its mirrors, or --tarball), verify it against the pin's sha256 and extract Lib/ into the user cache, so later builds of that pin work offline.")
    fetch.add_argument("version", help="a shipped pin, e.g. 3.13.15")
    fetch.add_argument("--tarball", help="a path or URL of the release tarball to use instead of the pin's URLs")
    gen = pins_sub.add_parser("generate", help="write a pin manifest from a release's Lib/ (maintainers)")
    gen.add_argument("--source", type=Path, required=True, help="the release's checkout, tarball folder or Lib/")
    gen.add_argument("--version", dest="pin_version", required=True, help="release version, e.g. 3.13.0")
    gen.add_argument("--tarball-sha256", required=True, help="sha256 of the release's Python-X.Y.Z.tar.xz")
    gen.add_argument("--provenance", default="generated by `cpython-retrieval pins generate`", help="how the Lib/ was obtained")
    gen.add_argument("--out", type=Path, default=Path(__file__).parent / "sources" / "pin_manifests", help="folder to write <version>.json into")

    sub.add_parser("lm-eval-path", help="print the lm-evaluation-harness task folder (for `lm_eval --include_path`)",
                   description="Print the folder holding the cpython_retrieval lm-eval tasks: lm_eval run --include_path \"$(cpython-retrieval lm-eval-path)\" --tasks cpython_retrieval ...")
    lm_eval = sub.add_parser("lm-eval", add_help=False, prefix_chars="+",
                             help="run `lm_eval run ...` with the task folder, the context-window guard and the truncation tripwire",
                             description="Everything after `lm-eval` is passed to `lm_eval run` (or `ls`/`validate`); see docs/lm-eval.md.")
    lm_eval.add_argument("lm_eval_args", nargs=argparse.REMAINDER, help="arguments for lm_eval")
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "build":
        from .dataset.store import check_output_dir, write_dataset
        from .generate.stages import build_dataset

        _check_tiers(args.tiers, args.custom_tiers)
        check_output_dir(args.out)  # before the build, not after it
        built = build_dataset(
            pin=args.pin, source=args.source, tiers=args.tiers, per_tier=args.per_tier, seed=args.seed,
            tokenizer=args.tokenizer, allow_mismatch=args.allow_mismatch, max_file_tokens=args.max_file_tokens,
            question_types=args.question_types, allow_download=not args.offline, progress=not args.quiet,
            perturbed_share=args.perturbed_share, drift_share=args.drift_share, stale_pin=args.stale_pin,
            stale_source=args.stale_source, ladders=args.ladders,
        )
        files = write_dataset(built, args.out)
        for tier, info in built.manifest["tiers"].items():
            if info["ordinary_rows"] < args.per_tier:
                print(f"warning: {tier} has {info['ordinary_rows']:,} of the {args.per_tier:,} ordinary questions asked "
                      "for (every candidate it offers)", file=sys.stderr)
        if not args.quiet:
            pin = built.manifest["pin"]
            print(f"built CPython {pin['version']} ({built.manifest['source_kind']} source) -> {args.out}")
            for tier, info in built.manifest["tiers"].items():
                print(f"  {tier}: {info['rows']} rows from {info['contexts']} contexts, {info['files']} files, "
                      f"{info['context_tokens']:,} tokens")
            if built.skipped:
                print(f"  {len(built.skipped)} file(s) left out (reasons in manifest.json)")
            print(f"  {len(files)} files written")
        return 0
    if args.command == "publish":
        from .dataset.publish import plan_publish, publish

        plan = plan_publish(args.directory, args.repo_id, revision=args.revision, private=args.private)
        print(plan.describe())
        if args.dry_run:
            print("dry run: nothing sent")
            return 0
        commit = publish(plan, args.directory)
        print(f"published {plan.repo_id}@{plan.tag} (commit {commit}); load it with "
              f"datasets.load_dataset({plan.repo_id!r}, 'T25', revision={plan.tag!r})")
        return 0
    if args.command == "verify":
        from .dataset.store import dataset_identity, verified_path, verify_dataset

        folder = Path(verified_path(args.directory))
        identity = dataset_identity(verify_dataset(folder))
        print(f"{folder}: every file matches its manifest (CPython {identity['cpython_version']}, fingerprint "
              f"{identity['dataset_fingerprint'][:12]}..., "
              f"source_matches_pin {str(identity['source_matches_pin']).lower()})")
        return 0
    if args.command == "report":
        from .report import make_report, read_records
        from .report.assemble import check_out_dir
        from .report.prices import load_prices

        prices = load_prices(args.prices) if args.prices else None  # a bad prices file or --out: before any log is read
        check_out_dir(args.out)
        records = read_records(args.logs, progress=not args.quiet)
        summary = make_report(records, args.out, prices=prices,
                              fmt=args.format, threshold=args.threshold, allow_mixed=args.allow_mixed)
        print(f"report of {summary['rows']} rows from {len(summary['models'])} model(s) -> {args.out}")
        return 0
    if args.command == "pins":
        from .sources.pins import available_pins, write_pin

        if args.pins_command == "list":
            from .sources.pins import load_pin

            for version in available_pins():
                pin = load_pin(version)
                kind = f"{len(pin.files)} files hashed" if pin.files else "tarball-only (per-file hashes derived on first verified download)"
                print(f"{version}\t{kind}")
            return 0
        if args.pins_command == "fetch":
            from .sources.fetch import SourceUnavailable, fetch_release
            from .sources.pins import load_pin

            if args.version not in available_pins():
                raise RetrievalError(f"no manifest for CPython {args.version}; supported pins: "
                                     f"{', '.join(available_pins())} (`pins fetch` fetches a shipped pin's tarball)")
            try:
                fetched = fetch_release(load_pin(args.version), tarball=args.tarball)
            except SourceUnavailable as exc:
                raise exc.with_flag("--tarball PATH_OR_URL", "the release tarball on disk or at a mirror") from None
            print(f"CPython {args.version}: verified tarball {fetched.tarball_sha256[:12]}..., {len(fetched.files)} "
                  f"corpus files in {fetched.lib}")
            return 0
        from .sources.manifest import make_pin

        pin = make_pin(args.source, version=args.pin_version, tag=f"v{args.pin_version}",
                       tarball_url=f"https://www.python.org/ftp/python/{args.pin_version}/Python-{args.pin_version}.tar.xz",
                       tarball_sha256=args.tarball_sha256, provenance=args.provenance)
        print(write_pin(pin, args.out))
        return 0
    if args.command == "lm-eval-path":
        from .lm_eval_tasks import include_path

        print(include_path())
        return 0
    if args.command == "lm-eval":
        from .lm_eval_tasks.wrapper import run_lm_eval

        return run_lm_eval(args.lm_eval_args)
    raise AssertionError(args.command)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except RetrievalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
