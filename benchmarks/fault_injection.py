"""Fault injection across the paths of issue 21: every attempt must end refused (one clear line, or a recorded zero
with its reason) or recovered, never silently wrong and never in a traceback.

Classes (attempts are deterministic: `--seed` picks the flipped bytes and the order of the reply faults):

- `lm-eval replies`: `cpython-retrieval lm-eval` (the real CLI, `local-chat-completions` and `local-completions`)
  against a faulty server on 127.0.0.1 (tests/lm_eval/faulty_chat_server.py) whose every reply carries the right
  answer but a fault: finish reason `length`/`content_filter`/null/absent/unknown, another model's name, invalid
  UTF-8, no choices, null content. An attempt is one row: refused = a recorded 0 whose response names the reason;
  silently wrong = any credit.
- `lm-eval transport`: a bad JSON body, a truncated body, a 500 storm, a dropped connection, an HTML page after
  three good replies: refused = exit 1 with one `error:` line and the three answered rows kept.
- `lm-eval budgets`: `--gen_kwargs` budgets below 1 token, or not a number: refused = exit 2 in one line, no request.
- `labels`: a source that does not match its pin (real pyenv `Lib/`s and small made-up ones), with and without
  allow_mismatch; a pin beside an explicit dataset; replies stamped with other models' names or content-filtered
  (the shared checks). Refused = one-line RetrievalError or a flagged reply; recovered = an allowed mismatch whose
  identity says `source_matches_pin: false` and lists the dropped undecodable file; silently wrong = a
  mismatched build labelled as matching, or another model's reply passed.
- `user files`: `build --out` into a previous build plus a user's file (at many places and names), or a folder
  whose manifest only claims to be ours: refused = RetrievalError and every user file still there.
- `dataset damage`: flipped bytes, truncation, deletion, a manifest edit, an in-place rewrite keeping size and
  mtime, then the loaders and `verified_path`: refused = DatasetCorrupt/RetrievalError.
- `server bad requests`: malformed requests to the oracle server on 127.0.0.1: refused = HTTP 400/413 with a JSON
  error; traceback = a dropped connection, a 5xx, or a traceback on the server's stderr.
- `pin names`: `cpython-retrieval build --pin NAME` with names that are paths, empty, too long, odd characters
  (in process, `cli.main`): refused = exit 2 with one line.
- `cache damage`: a cached `-T source=` build damaged (manifest gone, a flipped byte, a data file gone, emptied,
  a stray file, replaced by a file) and resolved again: recovered = rebuilt with the same fingerprint.

Usage: python benchmarks/fault_injection.py [--seed N] [--json PATH] [--skip-lm-eval]
The lm-eval classes start lm-eval about 12 times (some 30 s each on a busy machine).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cpython_retrieval.adapters.oracle_server import start_oracle_server  # noqa: E402
from cpython_retrieval.adapters.reply_checks import finish_problem, model_problem, text_problem  # noqa: E402
from cpython_retrieval.dataset import verified_path  # noqa: E402
from cpython_retrieval.dataset.resolve import INSPECT_SPELLING, resolve_dataset  # noqa: E402
from cpython_retrieval.dataset.store import (  # noqa: E402
    DatasetCorrupt,
    dataset_identity,
    load_contexts,
    load_rows,
    read_manifest,
    source_mismatch,
    write_dataset,
)
from cpython_retrieval.errors import RetrievalError  # noqa: E402
from cpython_retrieval.generate.stages import build_dataset  # noqa: E402
from cpython_retrieval.lm_eval_tasks.replies import unscored_reason  # noqa: E402

OUTCOMES = ("refused", "recovered", "silently wrong", "traceback")
BIN = Path(sys.executable).parent


class Tally:
    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
        self.notes: dict[str, list[str]] = defaultdict(list)

    def add(self, klass: str, outcome: str, note: str = "") -> None:
        assert outcome in OUTCOMES, outcome
        self.counts[klass][outcome] += 1
        if outcome in ("silently wrong", "traceback") and len(self.notes[klass]) < 20:
            self.notes[klass].append(note[:400])

    def guarded(self, klass: str, fn, *args, **kwargs) -> None:
        """Run one attempt; an exception that escapes it is a traceback of the code under test."""
        try:
            fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - counted, not hidden
            self.add(klass, "traceback", f"{type(exc).__name__}: {exc} | {traceback.format_exc(limit=3)}")

    def table(self) -> str:
        lines = ["| class | attempts | refused | recovered | silently wrong | tracebacks |",
                 "|---|---|---|---|---|---|"]
        total = dict.fromkeys(OUTCOMES, 0)
        for klass, counts in self.counts.items():
            n = sum(counts.values())
            lines.append(f"| {klass} | {n} | " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |")
            for o in OUTCOMES:
                total[o] += counts[o]
        lines.append(f"| **all** | {sum(total.values())} | " + " | ".join(str(total[o]) for o in OUTCOMES) + " |")
        return "\n".join(lines)


def one_line(text: str) -> bool:
    return bool(text) and "\n" not in text.strip() and "Traceback" not in text


def make_lib(root: Path, n: int = 6, undecodable: bool = False) -> Path:
    good = ('class Alpha{i}:\n    """Alpha{i} does one thing."""\n'
            '    def run(self, n: int) -> int:\n        return n\n\n'
            'def helper{i}(a, b):\n    return a\n')
    lib = root / "Lib"
    (lib / "collections").mkdir(parents=True)
    (lib / "os.py").write_text("def getcwd():\n    return '.'\n")
    (lib / "collections" / "__init__.py").write_text("class OrderedThing(dict):\n    pass\n")
    for i in range(n):
        (lib / f"m{i}.py").write_text(good.format(i=i))
    if undecodable:
        (lib / "broken.py").write_bytes(b"# -*- coding: utf-8 -*-\nx = '\xff'\n")
    return lib


# --- lm-eval -------------------------------------------------------------------------------------------------------

def lm_eval_args(base_url: str, dataset: Path, out: Path | None, *extra: str, chat: bool = True,
                 window: int = 131072) -> list[str]:
    route = "chat/completions" if chat else "completions"
    args = [str(BIN / "cpython-retrieval"), "lm-eval", "--model",
            "local-chat-completions" if chat else "local-completions", "--model_args",
            f"base_url={base_url}/{route},model=oracle,max_retries=2" + ("" if chat else ",tokenizer_backend=none"),
            *(["--apply_chat_template"] if chat else []), "--tasks", "cpython_retrieval_t25",
            "--metadata", json.dumps({"dataset": str(dataset), "context_window": window}), *extra]
    return args + (["--output_path", str(out)] if out is not None else [])


def run_cli(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CPYTHON_RETRIEVAL_DATASET", "LMEVAL_LOG_LEVEL")}
    env.update(HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", OPENAI_API_KEY="unused",
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def lm_eval_classes(tally: Tally, dataset: Path, work: Path, rng: random.Random) -> None:
    from tests.lm_eval.faulty_chat_server import REPLY_FAULTS, TRANSPORT_FAULTS, FaultyChatServer

    rows_n = len(load_rows(dataset, "T25"))
    for chat in (True, False):
        faults = [f for f in REPLY_FAULTS if f not in ("ok", "no_index") and (chat or f != "null_content")]
        plan = [faults[i % len(faults)] for i in range(rows_n)]
        rng.shuffle(plan)
        out = work / f"replies-{'chat' if chat else 'completions'}"
        with FaultyChatServer(lambda n, plan=plan: plan[n] if n < len(plan) else "ok") as server:
            proc = run_cli(lm_eval_args(server.base_url, dataset, out, chat=chat), cwd=work)
        klass = "lm-eval replies"
        if proc.returncode != 0:
            tally.add(klass, "traceback" if "Traceback" in proc.stderr else "refused", proc.stderr[-800:])
            continue
        (samples,) = sorted(out.rglob("samples_cpython_retrieval_t25_*.jsonl"))
        for line in samples.read_text().splitlines():
            row = json.loads(line)
            reason = unscored_reason(row["resps"][0][0])
            if reason and row["score"] == 0.0 and row["substring_match"] == 0.0 and row["unscored_reply"] == 1.0:
                tally.add(klass, "refused")
            else:
                tally.add(klass, "silently wrong", f"credited {row['resps'][0][0][:120]!r} score {row['score']}")
    klass = "lm-eval transport"
    for fault in TRANSPORT_FAULTS:
        out = work / f"transport-{fault}"
        with FaultyChatServer(lambda n, fault=fault: "ok" if n < 3 else fault) as server:
            proc = run_cli(lm_eval_args(server.base_url, dataset, out), cwd=work)
        last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
        partial = sorted(out.glob("cpython_retrieval_partial_*.jsonl"))
        kept = [json.loads(x) for x in partial[0].read_text().splitlines()] if partial else []
        if "Traceback" in proc.stderr:
            tally.add(klass, "traceback", proc.stderr[-800:])
        elif (proc.returncode == 1 and last.startswith("error: ") and len(kept) == 3
              and all(r["score"] == 1.0 for r in kept)):
            tally.add(klass, "refused")
        else:
            tally.add(klass, "silently wrong", f"rc {proc.returncode}, {len(kept)} kept, last {last[:200]}")
    klass = "lm-eval budgets"
    for budget in ("max_gen_toks=-1000000", "max_gen_toks=0", "max_tokens=-1", "max_gen_toks=2.5", "max_tokens=lots"):
        with FaultyChatServer(lambda n: "ok") as server:
            proc = run_cli(lm_eval_args(server.base_url, dataset, None, "--gen_kwargs", budget, window=4096), cwd=work)
            requests = server.count
        last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
        if "Traceback" in proc.stderr:
            tally.add(klass, "traceback", proc.stderr[-800:])
        elif proc.returncode == 2 and last.startswith("error: ") and requests == 0:
            tally.add(klass, "refused")
        else:
            tally.add(klass, "silently wrong", f"{budget}: rc {proc.returncode}, {requests} requests")


# --- labels --------------------------------------------------------------------------------------------------------

def labels(tally: Tally, work: Path, small_ds: Path) -> None:
    klass = "labels"
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    real = {v: pyenv / v / "lib" / f"python{'.'.join(v.split('.')[:2])}" for v in ("3.11.7", "3.12.1", "3.13.0")}
    real = {v: p for v, p in real.items() if (p / "os.py").is_file()}

    def mismatch_refused(pin: str, source: Path) -> None:
        try:
            resolved = resolve_dataset(pin=pin, source=str(source), cache_dir=work / "label-cache",
                                       spelling=INSPECT_SPELLING)
        except RetrievalError as exc:
            ok = one_line(str(exc)) and "allow_mismatch" in str(exc)
            tally.add(klass, "refused" if ok else "silently wrong", str(exc))
            return
        identity = dataset_identity(read_manifest(resolved.path))
        tally.add(klass, "silently wrong", f"pin {pin} source {source} built, labelled {identity}")

    for pin in ("3.11.7", "3.13.0", "3.13.15"):
        for version, lib in real.items():
            if version != pin:
                tally.guarded(klass, mismatch_refused, pin, lib)
    for i, pin in enumerate(("3.13.0", "3.11.7", "9.9.9", "3.13.15")):
        lib = make_lib(work / f"label-lib-{i}", n=5 + i)
        tally.guarded(klass, mismatch_refused, pin, lib)

    def allowed_mismatch_labelled(pin: str, i: int) -> None:
        lib = make_lib(work / f"label-allowed-{i}", n=5 + i, undecodable=True)
        resolved = resolve_dataset(pin=pin, source=str(lib), cache_dir=work / "label-cache", allow_mismatch=True)
        manifest = read_manifest(resolved.path)
        identity, detail = dataset_identity(manifest), source_mismatch(manifest)
        ok = identity["source_matches_pin"] is False and detail and "broken.py" in detail["dropped_files"]
        tally.add(klass, "recovered" if ok else "silently wrong", f"{pin}: {identity} {detail}")

    for i, pin in enumerate(("3.13.0", "9.1.0", "3.11.7")):
        tally.guarded(klass, allowed_mismatch_labelled, pin, i)

    own = read_manifest(small_ds)["pin"]["version"]
    for pin in ("3.11.7", "3.13.0", "3.14.10", "9.0.0"):
        if pin == own:
            continue
        try:
            resolve_dataset(str(small_ds), pin=pin, spelling=INSPECT_SPELLING)
            tally.add(klass, "silently wrong", f"dataset + pin {pin} ran")
        except RetrievalError as exc:
            tally.add(klass, "refused" if one_line(str(exc)) else "silently wrong", str(exc))
    try:
        resolve_dataset(str(small_ds), source=str(work))
        tally.add(klass, "silently wrong", "dataset + source ran")
    except RetrievalError as exc:
        tally.add(klass, "refused" if one_line(str(exc)) else "silently wrong", str(exc))

    stamped = [("gpt-4o", "gpt-4o-mini"), ("gpt-4o", "gpt-4"), ("oracle", "someone-else"),
               ("llama-3-8b", "llama-3-70b"),
               ("claude-sonnet-4", "claude-opus-4"), ("qwen2.5-7b", "qwen2.5-72b"), ("model", "model-evil"),
               ("openai/gpt-4.1", "gpt-4.1-nano")]
    for requested, reported in stamped:
        problem = model_problem(requested, reported)
        tally.add(klass, "refused" if problem else "silently wrong", f"{requested} vs {reported}")
    for reason in ("content_filter", "length", None, "", "weird", "max_tokens", "tool_calls"):
        tally.add(klass, "refused" if finish_problem(reason) else "silently wrong", f"finish {reason!r}")
    for text in ("json/decoder.py\ufffd", "\udcffx", "ok\ufffd\ufffd"):
        tally.add(klass, "refused" if text_problem(text) else "silently wrong", repr(text))


# --- user files ----------------------------------------------------------------------------------------------------

def user_files(tally: Tally, work: Path, built, rng: random.Random) -> None:
    klass = "user files"
    names = ["my_notes.txt", "thesis.tex", "data/extra.parquet", "data/notes.md", ".hidden", "README.md.bak",
             "LICENSE.txt", "results/run1.json", "data/sub/deep.txt", "manifest.json.orig", "T25.parquet",
             "data/T25.parquet.bak", "figure.png", "a b c.txt", "ünïcode.txt"]

    def previous_build_plus(name: str, i: int) -> None:
        out = work / f"user-{i}"
        write_dataset(built, out)
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = f"user's own {rng.random()}"
        path.write_text(payload)
        try:
            write_dataset(built, out)
            tally.add(klass, "silently wrong", f"{name}: replaced; still there: {path.exists()}")
        except RetrievalError as exc:
            kept = path.read_text() == payload
            tally.add(klass, "refused" if kept and one_line(str(exc)) else "silently wrong", str(exc))

    for i, name in enumerate(names):
        tally.guarded(klass, previous_build_plus, name, i)

    def claimed(manifest: dict, extra: str, i: int) -> None:
        out = work / f"claimed-{i}"
        out.mkdir()
        (out / "manifest.json").write_text(json.dumps(manifest))
        (out / extra).write_text("mine")
        try:
            write_dataset(built, out)
            tally.add(klass, "silently wrong", f"{manifest} + {extra}: replaced")
        except RetrievalError as exc:
            ok = (out / extra).read_text() == "mine" and one_line(str(exc))
            tally.add(klass, "refused" if ok else "silently wrong", str(exc))

    fake = [{"generator": "cpython-retrieval"}, {"generator": "cpython-retrieval", "data_files": {}},
            {"generator": "cpython-retrieval", "data_files": {"thesis.tex": "0" * 64}},
            {"generator": "cpython-retrieval", "data_files": ["README.md"]}, {"generator": "other"}, []]
    for i, manifest in enumerate(fake):
        tally.guarded(klass, claimed, manifest, "thesis.tex", i)

    def file_as_out(i: int) -> None:
        out = work / f"file-out-{i}"
        out.write_text("a file")
        try:
            write_dataset(built, out)
            tally.add(klass, "silently wrong", "a file replaced")
        except RetrievalError as exc:
            tally.add(klass, "refused" if out.read_text() == "a file" else "silently wrong", str(exc))

    tally.guarded(klass, file_as_out, 0)


# --- dataset damage ------------------------------------------------------------------------------------------------

def dataset_damage(tally: Tally, work: Path, built, rng: random.Random) -> None:
    klass = "dataset damage"
    base = work / "damage-base"
    write_dataset(built, base)
    listed = sorted(read_manifest(base)["data_files"])

    def attempt(i: int, damage, reader) -> None:
        folder = work / f"damage-{i}"
        shutil.copytree(base, folder)
        reader(folder)  # verified once in this process first: the re-check must still see the damage
        damage(folder)
        try:
            reader(folder)
            tally.add(klass, "silently wrong", f"attempt {i}: loaded after damage")
        except (DatasetCorrupt, RetrievalError) as exc:
            tally.add(klass, "refused" if one_line(str(exc)) else "silently wrong", str(exc))

    def flip(name: str, keep_stat: bool):
        def damage(folder: Path) -> None:
            path = folder / name
            stat = path.stat()
            data = bytearray(path.read_bytes())
            at = rng.randrange(len(data))
            data[at] ^= 1 << rng.randrange(8)
            path.write_bytes(bytes(data))
            if keep_stat:
                os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        return damage

    def truncate(name: str):
        def damage(folder: Path) -> None:
            path = folder / name
            path.write_bytes(path.read_bytes()[: rng.randrange(max(1, path.stat().st_size))])
        return damage

    def delete(name: str):
        return lambda folder: (folder / name).unlink()

    def edit_manifest(folder: Path) -> None:
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["pin"]["version"] = "9.9.9"
        (folder / "manifest.json").write_text(json.dumps(manifest))

    readers = [lambda f: load_rows(f, "T25"), lambda f: load_contexts(f), verified_path]
    i = 0
    for name in listed:
        for keep_stat in (False, True):
            for reader in readers:
                if name.endswith(".parquet") or reader is verified_path:
                    tally.guarded(klass, attempt, i, flip(name, keep_stat), reader)
                    i += 1
        tally.guarded(klass, attempt, i, truncate(name), verified_path)
        i += 1
        tally.guarded(klass, attempt, i, delete(name), readers[i % 3] if name.endswith(".parquet") else verified_path)
        i += 1
    for reader in readers:
        tally.guarded(klass, attempt, i, edit_manifest, reader)
        i += 1
        tally.guarded(klass, attempt, i, delete("manifest.json"), reader)
        i += 1


# --- server bad requests -------------------------------------------------------------------------------------------

def server_requests(tally: Tally) -> None:
    klass = "server bad requests"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        server, _ = start_oracle_server(first_token_delay=0.0)
    host, port = server.server_address[:2]

    def send(raw: bytes) -> bytes:
        with socket.create_connection((host, port), timeout=15) as conn:
            conn.sendall(raw)
            conn.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        return data

    def post(body: bytes, length: str | None = None, path: str = "/v1/chat/completions", extra: str = "") -> bytes:
        length = str(len(body)) if length is None else length
        return send(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n"
                    f"{extra}\r\n".encode() + body)

    bodies = [b"{not json", b"", b"{", b'{"messages": [}', b"\xff\xfe\xfd", b'{"messages": "\xff"}',
              b'{"model": "oracle", "messages": [{"role": "user", "content": "caf\xe9"}]}', b"[1, 2, 3]", b'"a string"',
              b"null", b"42", b'{"messages": 7}', b'{"messages": [7]}', b'{"messages": [{"content": {"x": 1}}]}',
              b'{"prompt": {"a": 1}}', b"\x00\x01\x02", b'{"messages": [' * 50]
    cases = [(b, None) for b in bodies]
    cases += [(b"{}", "-1"), (b"{}", "-99999"), (b"{}", "ten"), (b"{}", "1e3"), (b"{}", "0x10"), (b"{}", "99"),
              (b"{}", str(10**15)), (b"{}", "")]
    with contextlib.redirect_stderr(stderr):
        for body, length in cases:
            try:
                reply = post(body, length)
            except OSError as exc:
                tally.add(klass, "traceback", f"{body[:30]!r} {length}: connection {exc}")
                continue
            if not reply:
                tally.add(klass, "traceback", f"{body[:30]!r} {length}: dropped connection")
                continue
            status = int(reply.split(b"\r\n", 1)[0].split()[1])
            payload = reply.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in reply else b""
            try:
                error = json.loads(payload)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                error = None
            if status in (400, 413) and error:
                tally.add(klass, "refused")
            elif status == 200 and body == bodies[6]:  # a latin-1 body is not valid UTF-8: must be 400
                tally.add(klass, "silently wrong", "non-UTF-8 body answered 200")
            elif status >= 500:
                tally.add(klass, "traceback", f"{body[:30]!r} {length}: HTTP {status}")
            else:
                tally.add(klass, "silently wrong", f"{body[:30]!r} {length}: HTTP {status}")
        server.stop()
    if "Traceback" in stderr.getvalue():
        tally.add(klass, "traceback", stderr.getvalue()[-600:])


# --- pin names -----------------------------------------------------------------------------------------------------

def pin_names(tally: Tally, work: Path) -> None:
    from cpython_retrieval.cli import main

    klass = "pin names"
    lib = make_lib(work / "pin-lib")
    names = ["a/b", "../x", "3.13.0/..", "/etc/passwd", "..", ".", "3.13.0\n", " 3.13.0", "3.13.0 ", "x" * 200,
             "3.13.0;rm -rf", "a\\b", "~user", "$HOME", "3.13.0\x00", "🐍", "3.13.0/", "-3.13.0", "--help", "3..13",
             "C:\\python", "a b", "3.13.0\t", "...", "%s"]
    for i, name in enumerate(names):
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main(["build", "--pin", name, "--source", str(lib), "--allow-mismatch", "--quiet",
                             "--out", str(work / f"pin-out-{i}"), "--tiers", "T1", "--custom-tiers", "--per-tier", "1"])
        except SystemExit as exc:  # argparse: a usage error, printed in its own way
            code = exc.code
        except Exception as exc:  # noqa: BLE001
            tally.add(klass, "traceback", f"{name!r}: {type(exc).__name__}: {exc}")
            continue
        message = err.getvalue().strip()
        if code == 2 and message and "Traceback" not in message and len(message.splitlines()) <= 3:
            tally.add(klass, "refused")
        else:
            tally.add(klass, "silently wrong", f"{name!r}: exit {code}: {message[:200]}")


# --- cache damage --------------------------------------------------------------------------------------------------

def cache_damage(tally: Tally, work: Path, rng: random.Random) -> None:
    klass = "cache damage"
    lib = make_lib(work / "cache-lib", n=8)
    cache = work / "cache"
    kwargs = dict(pin="9.0.0", source=str(lib), cache_dir=cache, allow_mismatch=True)
    first = resolve_dataset(**kwargs)
    fingerprint = read_manifest(first.path)["fingerprint"]

    def flip(path: Path) -> None:
        data = bytearray(path.read_bytes())
        data[rng.randrange(len(data))] ^= 0x10
        path.write_bytes(bytes(data))

    damages = {
        "manifest gone": lambda p: (p / "manifest.json").unlink(),
        "manifest flipped": lambda p: flip(p / "manifest.json"),
        "manifest emptied": lambda p: (p / "manifest.json").write_text(""),
        "contexts flipped": lambda p: flip(p / "data" / "contexts.parquet"),
        "rows gone": lambda p: next((p / "data").glob("T*.parquet")).unlink(),
        "data folder gone": lambda p: shutil.rmtree(p / "data"),
        "README gone": lambda p: (p / "README.md").unlink(),
        "stray file": lambda p: ((p / "manifest.json").unlink(), (p / "stray.txt").write_text("x")),
        "emptied": lambda p: [shutil.rmtree(c) if c.is_dir() else c.unlink() for c in list(p.iterdir())],
        "replaced by a file": lambda p: (shutil.rmtree(p), p.write_text("not a folder")),
        "manifest of another tool": lambda p: (p / "manifest.json").write_text('{"generator": "other"}'),
    }
    for name, damage in damages.items():
        def attempt(name=name, damage=damage) -> None:
            target = resolve_dataset(**kwargs).path
            damage(target)
            again = resolve_dataset(**kwargs)
            if again.origin == "built" and read_manifest(again.path)["fingerprint"] == fingerprint:
                tally.add(klass, "recovered")
            else:
                tally.add(klass, "silently wrong", f"{name}: origin {again.origin}")
        try:
            attempt()
        except RetrievalError as exc:  # refused in one line is honest, but a cache entry should be rebuilt
            tally.add(klass, "refused" if one_line(str(exc)) else "traceback", f"{name}: {exc}")
        except Exception as exc:  # noqa: BLE001
            tally.add(klass, "traceback", f"{name}: {type(exc).__name__}: {exc}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the table's numbers (and notes) here")
    parser.add_argument("--skip-lm-eval", action="store_true", help="leave out the lm-eval classes (the slow part)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tally = Tally()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cpr-faults-") as tmp:
        work = Path(tmp)
        built = build_dataset(tiers=["T25"], per_tier=24)
        small_ds = work / "ds"
        write_dataset(built, small_ds)
        user_files(tally, work, built, rng)
        dataset_damage(tally, work, built, rng)
        server_requests(tally)
        pin_names(tally, work)
        cache_damage(tally, work, rng)
        labels(tally, work, small_ds)
        if not args.skip_lm_eval:
            lm_eval_classes(tally, small_ds, work, rng)
    print(tally.table())
    print(f"\n{time.perf_counter() - started:.0f} s, seed {args.seed}")
    for klass, notes in tally.notes.items():
        for note in notes:
            print(f"  {klass}: {note}")
    if args.json:
        args.json.write_text(json.dumps({"seed": args.seed, "counts": tally.counts, "notes": tally.notes}, indent=1))
    bad = sum(c["silently wrong"] + c["traceback"] for c in tally.counts.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
