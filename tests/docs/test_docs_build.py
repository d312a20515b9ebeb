"""The documentation site builds with `mkdocs build --strict` (broken links, missing pages, bad API refs fail)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("mkdocs") is None, reason="mkdocs is installed by the [docs] extra")
def test_mkdocs_build_strict(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "site" / "sample-report" / "report" / "index.html").is_file()
    assert (tmp_path / "site" / "api" / "index.html").read_text().count("build_dataset") > 1
    # the home page renders the Quickstart as one code block per command, every line of it whole
    from tests.core.test_readme_contract import quickstart_blocks

    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    rendered = [html.unescape(re.sub(r"<[^>]+>", "", code)) for code in re.findall(r"<pre\b.*?</pre>", page, re.S)]
    for block in quickstart_blocks(ROOT / "docs" / "index.md"):
        assert any(block.strip() == text.strip() for text in rendered), block


def test_every_docs_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = [p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")]
    assert pages and all(page in nav for page in pages), [p for p in pages if p not in nav]
