"""The OpenAI-compatible oracle server, with the openai client (no network: 127.0.0.1)."""

from __future__ import annotations

import time

import openai
import pytest

from cpython_retrieval.adapters.oracle_server import start_oracle_server
from cpython_retrieval.dataset.store import load_tier
from cpython_retrieval.prompt import prompt_parts


@pytest.fixture()
def server():
    srv, url = start_oracle_server(first_token_delay=0.05)
    yield srv, openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
    srv.stop()


@pytest.fixture(scope="module")
def rows(small_dataset):
    return [r for r in load_tier(small_dataset, "T25") if not r["perturbed"]][:3]  # one shared context


def _messages(row):
    p = prompt_parts(row["question"], row["context"])
    return [{"role": "user", "content": [{"type": "text", "text": t} for t in (p.instructions, p.context_block, p.question_block)]}]


def test_stream_reports_ttft_usage_and_prefix_cache(server, rows):
    srv, client = server
    seen = []
    for row in rows:
        start = time.perf_counter()
        first, text, usage = None, "", None
        stream = client.chat.completions.create(model="oracle", messages=_messages(row), stream=True,
                                                stream_options={"include_usage": True})
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                first = first or time.perf_counter() - start
                text += chunk.choices[0].delta.content
            if chunk.usage:
                usage = chunk.usage
        assert text == row["answer"] and first >= 0.05
        seen.append(usage)
    assert seen[0].prompt_tokens_details.cached_tokens == 0  # nothing seen before
    for usage in seen[1:]:  # same instructions + context: all but the question is a cached prefix
        cached = usage.prompt_tokens_details.cached_tokens
        assert cached % 16 == 0 and 0.9 * usage.prompt_tokens < cached < usage.prompt_tokens


def test_non_stream_chat_completions_and_models(server, rows):
    srv, client = server
    out = client.chat.completions.create(model="oracle", messages=_messages(rows[0]))
    assert out.choices[0].message.content == rows[0]["answer"]
    again = client.chat.completions.create(model="oracle", messages=_messages(rows[0]))
    assert again.usage.prompt_tokens_details.cached_tokens >= again.usage.prompt_tokens - 16
    p = prompt_parts(rows[1]["question"], rows[1]["context"])
    assert client.completions.create(model="oracle", prompt=p.as_text()).choices[0].text == rows[1]["answer"]
    assert [m.id for m in client.models.list()] == ["oracle"]
    assert [r["status"] for r in srv.requests] == [200, 200, 200]


def test_the_model_name_grep_selects_the_search_floor(server):
    """A request for `grep` is answered by the grep model, any other name by the oracle, on every route."""
    from cpython_retrieval.generate.contexts import render_context
    from cpython_retrieval.generate.questions import question_text
    from cpython_retrieval.reference.grep import grep_answer
    from cpython_retrieval.reference.oracle import oracle_answer

    srv, client = server
    context = render_context("T25", "original", [("Lib/doc.py", 'EXAMPLE = """\nclass Widget:\n    pass\n"""\n'),
                                                 ("Lib/real.py", "class Widget:\n    pass\n")]).text
    p = prompt_parts(question_text("class_location", "Widget", "", "class", False), context)
    messages = [{"role": "user", "content": [{"type": "text", "text": t}
                                             for t in (p.instructions, p.context_block, p.question_block)]}]
    expected = {"grep": grep_answer(p.as_text()), "oracle": oracle_answer(p.as_text())}
    assert expected == {"grep": "Lib/doc.py", "oracle": "Lib/real.py"}  # a `class` line in a string fools a search
    for model in ("grep", "oracle", "any-other-name"):
        want = expected.get(model, expected["oracle"])
        assert client.chat.completions.create(model=model, messages=messages).choices[0].message.content == want
        assert client.completions.create(model=model, prompt=p.as_text()).choices[0].text == want
        streamed = client.chat.completions.create(model=model, messages=messages, stream=True)
        assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == want
    assert [r["answer"] for r in srv.requests if r["model"] == "grep"] == ["Lib/doc.py"] * 3


def test_max_context_tokens_gives_400(rows):
    srv, url = start_oracle_server(first_token_delay=0.0, max_context_tokens=1000)
    try:
        client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
        with pytest.raises(openai.BadRequestError, match="maximum context length is 1000"):
            client.chat.completions.create(model="oracle", messages=_messages(rows[0]))
    finally:
        srv.stop()


# -- simulated prefix cache: the figures of comparing whole texts -----------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cpython_retrieval import tokens  # noqa: E402
from cpython_retrieval.adapters.oracle_server import _PrefixCache  # noqa: E402
from cpython_retrieval.prompt import render_prompt  # noqa: E402
from cpython_retrieval.reference.prompt_cache import headed, prompt_tokens  # noqa: E402
from cpython_retrieval.tokens import get_counter  # noqa: E402

COUNTER = get_counter("o200k_base")


class WholeTextPrefixCache:
    """The simulation as first written: the longest common prefix with any of the last `remember` distinct
    prompts, compared as whole texts, counted whole, rounded down to blocks, never the whole prompt."""

    def __init__(self, block: int = 16, remember: int = 64) -> None:
        self.block, self.remember, self.prompts = block, remember, []

    def lookup_and_add(self, text: str) -> int:
        best = max((next((i for i, (x, y) in enumerate(zip(seen, text, strict=False)) if x != y),
                         min(len(seen), len(text))) for seen in self.prompts), default=0)
        if text in self.prompts:
            self.prompts.remove(text)
        self.prompts.append(text)
        del self.prompts[:-self.remember]
        if best == 0:
            return 0
        return max(0, min(COUNTER.count(text[:best]), COUNTER.count(text) - 1) // self.block * self.block)


def _figures(texts, remember=64, block=16):
    old, new = WholeTextPrefixCache(block, remember), _PrefixCache(block, remember)
    for text in texts:
        prompt = headed(text)
        yield old.lookup_and_add(text), new.lookup_and_add(prompt, prompt_tokens(prompt, COUNTER), COUNTER)


def test_cached_tokens_are_those_of_whole_text_comparison(small_dataset):
    """A run's sequence: two tiers (prefix-aligned contexts), ordinary and perturbed rows, repeats, closed-book
    prompts, completions prompts that are prefixes of others, and more distinct prompts than are remembered."""
    texts = []
    for tier in ("T25", "T50"):
        for row in load_tier(small_dataset, tier)[:12]:
            prompt = render_prompt(row["question"], row["context"])
            texts += [prompt, prompt]
            texts.append(render_prompt(row["question"], None, cpython_version="3.11.7", no_context=True))
    texts += [texts[0][:5000], texts[0][:5000] + "more", texts[0][:5000] + "Question: x", texts[3]]
    # heads that are prefixes of other heads, with tails that run on into the longer head
    texts += ["abQuestion: x", "abQuestion: xyzQuestion: w", "abQuestion: xy", "ab", "abQuestion: xyzQuestion: v"]
    old_and_new = list(_figures(texts, remember=20))
    assert [old for old, _ in old_and_new] == [new for _, new in old_and_new]
    assert sum(1 for old, _ in old_and_new if old > 10_000) > 20  # long cached prefixes were exercised


_PIECES = ["a", "b", "\n", "Question: ", "Question: ", "<files>\n", "</files>\n\n", "def f():\n    pass\n"]


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), min_size=1, max_size=25),
       remember=st.integers(min_value=1, max_value=6), block=st.sampled_from([1, 4, 16]),
       chunk=st.integers(min_value=8, max_value=40))
def test_cached_tokens_property(texts, remember, block, chunk):
    saved = tokens._CHUNK_CHARS
    tokens._CHUNK_CHARS = chunk
    try:
        texts = texts + texts[::2]  # repeats
        old_and_new = list(_figures(texts, remember, block))
        assert [old for old, _ in old_and_new] == [new for _, new in old_and_new]
    finally:
        tokens._CHUNK_CHARS = saved


# -- the documented command: Inspect's default concurrency, no retries -------------------------

import os  # noqa: E402
import re  # noqa: E402
import shlex  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from .conftest import eval_logs, inspect_exe  # noqa: E402

DOCS = Path(__file__).resolve().parents[2] / "docs" / "inspect.md"


def _documented_commands() -> tuple[list[str], dict[str, str], list[str]]:
    """(server argv, environment, inspect argv) of the local-server block in docs/inspect.md."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("**The local oracle server**"):]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)
    server_line, client = block.replace("\\\n", " ").strip().splitlines()
    server = shlex.split(server_line)
    assert server[-1] == "&" and server[:3] == ["python", "-m", "cpython_retrieval.adapters.oracle_server"]
    words = shlex.split(client)
    env = dict(w.split("=", 1) for w in words if re.fullmatch(r"[A-Z_]+=\S*", w))
    command = [w for w in words if not re.fullmatch(r"[A-Z_]+=\S*", w)]
    assert command[:2] == ["inspect", "eval"] and "--max-connections" not in command
    return server[:-1], env, command


def _free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


@pytest.fixture(scope="module")
def default_dataset_cache(tmp_path_factory):
    """A user cache dir holding the default dataset (T25 only), so the documented command runs without a build."""
    from cpython_retrieval import __version__
    from cpython_retrieval.dataset.resolve import generator_fingerprint
    from cpython_retrieval.dataset.store import write_dataset
    from cpython_retrieval.generate.stages import build_dataset, resolve_pin

    cache = tmp_path_factory.mktemp("xdg-cache")
    version = resolve_pin("auto", None, allow_mismatch=False).version
    target = cache / "cpython-retrieval" / "datasets" / f"cpython-{version}-gen{__version__}-{generator_fingerprint()}-seed0"
    write_dataset(build_dataset(pin=version, tiers=["T25"]), target)  # 100 ordinary rows + the perturbed ones
    return cache


@pytest.mark.slow
def test_documented_command_needs_no_retries_and_times_every_call(default_dataset_cache, tmp_path):
    server_argv, env, inspect_argv = _documented_commands()
    port = _free_port()  # the documented port, 8765, may be taken on a shared machine
    server_argv = [sys.executable if w == "python" else w.replace("8765", port) for w in server_argv]
    env = {k: v.replace("8765", port) for k, v in env.items()}
    run_env = {**os.environ, **env, "XDG_CACHE_HOME": str(default_dataset_cache), "INSPECT_LOG_DIR": str(tmp_path),
               "INSPECT_DISPLAY": "none", "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
    server = subprocess.Popen(server_argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert "listening" in server.stdout.readline()
        proc = subprocess.run([inspect_exe(), *inspect_argv[1:]], env=run_env, capture_output=True, text=True,
                              timeout=900)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    finally:
        server.terminate()
        server.wait(timeout=30)
    (log,) = eval_logs(tmp_path)
    assert log.status == "success" and log.eval.model == "openai-api/local/oracle"
    assert log.plan.config.max_connections is None  # Inspect's default (adaptive) concurrency
    calls = [call for sample in log.samples for call in sample.store["cpython_retrieval_calls"]]
    assert len(log.samples) >= 100 and len(calls) == 3 * len(log.samples)
    events = [e for sample in log.samples for e in sample.events if e.event == "model"]
    assert len(events) == len(calls)
    assert [e.retries or 0 for e in events] == [0] * len(events)  # Inspect counts a call's retries here (None: none)
    assert [c["retries"] or 0 for c in calls] == [0] * len(calls)
    assert all(c["ttft_source"] == "stream" and c["ttft_s"] is not None for c in calls)
    assert log.results.scores[0].metrics["accuracy"].value == 1.0
