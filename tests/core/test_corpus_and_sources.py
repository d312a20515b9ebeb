"""Sources in their documented order, manifest verification, unparsable files, and safe downloads."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import shutil
import tarfile
import threading
from pathlib import Path

import pytest

from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.generate.stages import build_dataset
from cpython_retrieval.sources.corpus import interpreter_lib, load_corpus, resolve_lib
from cpython_retrieval.sources.fetch import fetch_release
from cpython_retrieval.sources.lib_files import find_lib_dir, in_scope
from cpython_retrieval.sources.pins import Pin, available_pins, load_pin, unpinned

GOOD = 'class Alpha:\n    """Alpha does the first thing well."""\n    def run(self, n: int) -> int:\n        return n\n\ndef helper(a, b):\n    return a\n'


def make_lib(root: Path, extra: dict[str, str] | None = None) -> Path:
    lib = root / "Lib"
    (lib / "collections").mkdir(parents=True)
    (lib / "os.py").write_text("def getcwd():\n    return '.'\n")
    (lib / "collections" / "__init__.py").write_text("class OrderedThing(dict):\n    pass\n")
    (lib / "alpha.py").write_text(GOOD)
    (lib / "test").mkdir()
    (lib / "test" / "test_alpha.py").write_text("def test_x():\n    pass\n")
    for name, text in (extra or {}).items():
        (lib / name).parent.mkdir(parents=True, exist_ok=True)
        (lib / name).write_text(text)
    return lib


def test_scope_excludes_tests_idle_2to3_and_generated_files():
    assert in_scope("json/decoder.py")
    for path in ("test/test_json.py", "unittest/test/test_case.py", "idlelib/run.py", "lib2to3/main.py",
                 "site-packages/x.py", "_sysconfigdata__linux_x86_64-linux-gnu.py", "config-3.11-x86_64-linux-gnu/python-config.py",
                 "json/decoder.txt"):
        assert not in_scope(path), path


def test_find_lib_dir_accepts_checkout_or_lib(tmp_path):
    lib = make_lib(tmp_path)
    assert find_lib_dir(tmp_path) == lib and find_lib_dir(lib) == lib
    with pytest.raises(RetrievalError, match="not a CPython checkout"):
        find_lib_dir(tmp_path / "collections")


def test_shipped_pins_include_this_machine_and_a_recent_release():
    pins = available_pins()
    assert "3.11.7" in pins and any(p.startswith(("3.13.", "3.14.")) for p in pins)
    pin = load_pin("3.13.0")
    assert pin.tag == "v3.13.0" and len(pin.tarball_sha256) == 64 and "typing.py" in pin.files
    with pytest.raises(RetrievalError, match="supported pins"):
        load_pin("2.7.0")


def test_source_order_explicit_then_cache_then_interpreter(tmp_path):
    import platform

    pin = load_pin(platform.python_version()) if platform.python_version() in available_pins() else None
    if pin is None:
        pytest.skip("running interpreter has no shipped pin")
    explicit = make_lib(tmp_path / "explicit")
    found = resolve_lib(pin, tmp_path / "explicit", cache_dir=tmp_path / "cache")
    assert (found.lib, found.kind) == (explicit, "explicit")
    found = resolve_lib(pin, None, cache_dir=tmp_path / "cache")
    assert (found.lib, found.kind) == (interpreter_lib(), "interpreter")
    cached = make_lib(tmp_path / "cache" / "sources" / pin.version)
    (cached.parent / "source.json").write_text(json.dumps({"tarball_sha256": pin.tarball_sha256, "files": {}}))
    found = resolve_lib(pin, None, cache_dir=tmp_path / "cache")
    assert (found.lib, found.kind) == (cached, "cache")


def test_offline_with_nothing_usable_is_one_clear_error(tmp_path):
    with pytest.raises(RetrievalError) as err:
        load_corpus(load_pin("3.14.10"), cache_dir=tmp_path, allow_download=False)
    message = str(err.value)
    assert "3.14.10" in message and "--source" in message and "\n" not in message


def test_another_local_install_of_the_release_is_used_and_verified(tmp_path, monkeypatch):
    from cpython_retrieval.sources.corpus import local_install_lib

    other = next((v for v in available_pins() if v != __import__("platform").python_version()
                  and load_pin(v).files and local_install_lib(v)), None)
    if other is None:
        pytest.skip("no other pinned release is installed here (pyenv)")
    corpus = load_corpus(load_pin(other), cache_dir=tmp_path, allow_download=False)
    assert corpus.source_kind == "local-install" and not corpus.mismatches


def test_modified_file_is_refused_unless_allowed(tmp_path):
    pin = load_pin("3.11.7")
    lib = tmp_path / "Lib"
    src = interpreter_lib() if __import__("platform").python_version() == "3.11.7" else None
    if src is None:
        pytest.skip("needs a 3.11.7 stdlib")
    for rel in pin.files:
        (lib / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, lib / rel)
    with (lib / "json" / "decoder.py").open("a") as handle:
        handle.write("\n# distro patch\n")
    with pytest.raises(RetrievalError, match=r"1 file\(s\) .* differ .*--allow-mismatch"):
        load_corpus(pin, lib)
    corpus = load_corpus(pin, lib, allow_mismatch=True)
    assert corpus.mismatches == ["json/decoder.py"]


def test_unparsable_file_is_skipped_and_reported(tmp_path):
    make_lib(tmp_path, {"broken.py": "def broken(:\n    pass\n", "pkg/beta.py": GOOD.replace("Alpha", "Beta")})
    built = build_dataset(pin="9.0.0", source=tmp_path, allow_mismatch=True, tiers=["T1"], per_tier=5)
    assert "broken.py" in built.skipped and "unparsable" in built.skipped["broken.py"]
    assert "broken.py" in built.manifest["skipped_files"]
    context = next(c for c in built.contexts if c["tier"] == "T1")
    assert "Lib/broken.py" not in context["text"] and "Lib/test/" not in context["text"]
    assert built.rows["T1"], "the rest of the corpus still yields questions"


def _tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def serve(tmp_path):
    """Serve files from a folder on 127.0.0.1; yields the base URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _release(version: str) -> dict[str, bytes]:
    top = f"Python-{version}"
    return {f"{top}/Lib/os.py": b"def getcwd():\n    pass\n", f"{top}/Lib/collections/__init__.py": b"class C(dict):\n    pass\n",
            f"{top}/Lib/alpha.py": GOOD.encode(), f"{top}/Modules/x.c": b"int x;\n"}


def test_download_verifies_and_extracts_only_lib(serve, tmp_path):
    root, base = serve
    data = _tarball(_release("9.1.0"))
    (root / "Python-9.1.0.tar.xz").write_bytes(data)
    pin = Pin("9.1.0", "v9.1.0", f"{base}/Python-9.1.0.tar.xz", hashlib.sha256(data).hexdigest())
    lib = fetch_release(pin, tmp_path / "cache").lib
    assert (lib / "alpha.py").read_text() == GOOD and not (lib.parent / "Modules").exists()
    found = resolve_lib(pin, None, cache_dir=tmp_path / "cache")
    assert (found.lib, found.kind) == (lib, "cache")
    assert found.pin.files["alpha.py"] == hashlib.sha256(GOOD.encode()).hexdigest()  # derived from the tarball


def test_download_with_wrong_checksum_is_refused(serve, tmp_path):
    root, base = serve
    (root / "Python-9.2.0.tar.xz").write_bytes(_tarball(_release("9.2.0")))
    pin = Pin("9.2.0", "v9.2.0", f"{base}/Python-9.2.0.tar.xz", "0" * 64)
    with pytest.raises(RetrievalError, match="refusing .* sha256"):
        fetch_release(pin, tmp_path / "cache")
    assert not (tmp_path / "cache" / "sources" / "9.2.0").exists()


def test_download_with_an_escaping_member_is_refused(serve, tmp_path):
    root, base = serve
    members = _release("9.3.0") | {"Python-9.3.0/Lib/../../../escape.py": b"x = 1\n"}
    data = _tarball(members)
    (root / "Python-9.3.0.tar.xz").write_bytes(data)
    pin = Pin("9.3.0", "v9.3.0", f"{base}/Python-9.3.0.tar.xz", hashlib.sha256(data).hexdigest())
    with pytest.raises(RetrievalError, match="unsafe member"):
        fetch_release(pin, tmp_path / "cache")
    assert not (tmp_path / "escape.py").exists()


def test_unreachable_download_names_the_pin_and_the_fix(tmp_path):
    pin = Pin("9.4.0", "v9.4.0", "http://127.0.0.1:9/Python-9.4.0.tar.xz", "0" * 64)
    with pytest.raises(RetrievalError, match=r"9\.4\.0 .*--source"):
        fetch_release(pin, tmp_path, timeout=2)


def test_unpinned_versions_need_allow_mismatch(tmp_path):
    make_lib(tmp_path)
    with pytest.raises(RetrievalError, match="no manifest for CPython 9.0.0"):
        build_dataset(pin="9.0.0", source=tmp_path, tiers=["T1"], per_tier=1)
    assert unpinned("9.0.0").files == {}
