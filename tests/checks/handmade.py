"""Small hand-made dataset folders in the generator's on-disk format, for proving the checker catches faults.

Questions follow the spec's wording; every answer below was worked out by hand from the sources in this module.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import bpe_openai
import pyarrow as pa
import pyarrow.parquet as pq

SHAPES = '''\
"""Shapes."""


class Shape:
    """A plane figure."""

    sides: int = 0

    def area(self) -> float:
        """Return the area."""
        return 0.0

    @property
    def name(self) -> str:
        return "shape"


def make(kind, *args, scale=1, **options) -> Shape:
    """Build a shape by kind."""
    return Shape()


def helper():
    return make("x")
'''

UTIL = '''\
from shapes import Shape


class Square(Shape):
    def area(self) -> float:
        return 1.0


class Circle(Shape, metaclass=type):
    pass


def scale(x: float) -> float:
    return x
'''

# The older release of the same two files, for drift rows: `make` had another annotation and no `scale`,
# `Shape` had no docstring, `helper` did not exist, and `Square` lived in Lib/oldshapes.py.
OLD_SHAPES = '''\
"""Shapes."""


class Shape:
    sides: int = 0

    def area(self) -> float:
        """Return the area."""
        return 0.0

    @property
    def name(self) -> str:
        return "shape"


def make(kind, *args, **options) -> "Shape":
    """Build a shape by kind."""
    return Shape()
'''

OLD_UTIL = '''\
from shapes import Shape


class Circle(Shape, metaclass=type):
    pass


def scale(x: float) -> float:
    return x
'''

OLD_SQUARE = '''\
from shapes import Shape


class Square(Shape):
    def area(self) -> float:
        return 1.0
'''

_ENCODING = bpe_openai.get_encoding("o200k_base")

_TAILS = {
    "return_annotation": "the annotation expression exactly as written.",
    "decorators": "one decorator per line.",
    "docstring_first_line": "that line of text alone.",
    "parameters": "the names in signature order.",
    "base_classes": "the bases as written.",
    "class_location": "one path such as `Lib/json/decoder.py`, or `NOT PRESENT`.",
    "absent_symbol": "one path such as `Lib/json/decoder.py`, or `NOT PRESENT`.",
    "method_owner": "the class name alone.",
    "module_function_count": "one integer.",
    "base_class_location": "one path such as `Lib/json/decoder.py`.",
    "subclass_count": "one integer.",
    "import_source": "one path such as `Lib/json/decoder.py`.",
    "inherited_method": "the providing class's name alone.",
    "method_definer_count": "one integer.",
}


def question(qtype: str, symbol: str, kind: str | None = None, where: str | None = None) -> str:
    """The spec's wording of a question."""
    w = f" defined in `{where}`" if where else ""
    head = {
        "return_annotation": f"What is the return annotation of the {kind} `{symbol}`{w}?",
        "decorators": f"Which decorators are applied to the {kind} `{symbol}`{w}, from top to bottom?",
        "docstring_first_line": f"What is the first non-empty line of the docstring of the {kind} `{symbol}`{w}?",
        "parameters": f"What are the parameter names of the {kind} `{symbol}`{w}, in order?",
        "base_classes": f"What are the base classes of the class `{symbol}`{w}, in order?",
        "class_location": f"Which file defines the class `{symbol}`?",
        "absent_symbol": f"Which file defines the class `{symbol}`?",
        "method_owner": f"In `{where}`, which class defines the method `{symbol}`?",
        "module_function_count": f"How many functions are defined directly in the module body of `{symbol}` "
                                 "(count top-level `def` statements only)?",
        "base_class_location": f"Which file defines the first base class of the class `{symbol}`{w}?",
        "subclass_count": f"How many classes in the context list `{symbol}` among their bases? A base written "
                          f"as `module.{symbol}` does not count.",
        "import_source": f"Which file defines the name `{symbol}` that `{where}` imports?",
        "inherited_method": f"`{symbol}` is inherited: the class{w} does not define the method itself. Which class "
                            "provides it, following the class's bases?",
        "method_definer_count": f"How many classes in the context define a method named `{symbol}`? Each class "
                                "counts once.",
    }[qtype]
    return f"{head} Answer with {_TAILS[qtype]}"


def segment(path: str, text: str) -> str:
    return f"# ===== File: {path} =====\n{text}\n"


def tokens(files: list[tuple[str, str]]) -> int:
    return sum(len(_ENCODING.encode_ordinary(segment(p, t))) for p, t in files)


def context(tier: str, variant: str, files: list[tuple[str, str]], context_tokens: int | None = None) -> dict:
    text = "".join(segment(p, t) for p, t in files)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return {"context_id": f"{tier}-{variant}-{digest}", "tier": tier, "variant": variant, "text": text,
            "context_tokens": tokens(files) if context_tokens is None else context_tokens,
            "tokenizer": "o200k_base", "files": json.dumps([p for p, _ in files])}


def row(ctx: dict, qtype: str, symbol: str, answer: str, *, kind: str | None = None, where: str | None = None,
        source_file: str | None = None, **extra) -> dict:
    rid = f"{ctx['tier']}-{qtype}-{hashlib.sha256((symbol + str(where) + str(extra)).encode()).hexdigest()[:10]}"
    return {"id": rid, "tier": ctx["tier"], "question": question(qtype, symbol, kind, where), "answer": answer,
            "question_type": qtype, "source_file": source_file or where or "", "symbol": symbol,
            "context_id": ctx["context_id"], "perturbed": ctx["variant"] == "perturbed", "drift": False,
            "drift_kind": None, "stale_answer": None, "stale_pin": None, **extra}


def write(folder: Path, contexts: list[dict], rows: list[dict]) -> Path:
    """A dataset folder: manifest.json, data/<tier>.parquet per tier, data/contexts.parquet."""
    data = folder / "data"
    data.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(contexts), data / "contexts.parquet")
    for tier in sorted({c["tier"] for c in contexts}):
        tier_rows = [r for r in rows if r["tier"] == tier]
        if tier_rows:
            pq.write_table(pa.Table.from_pylist(tier_rows), data / f"{tier}.parquet")
    (folder / "manifest.json").write_text(json.dumps({"generator": "hand-made test folder"}))
    return folder


def shapes_dataset() -> tuple[list[dict], list[dict]]:
    """A clean T1 dataset on Lib/shapes.py + Lib/util.py: one row of every question type."""
    files = [("Lib/shapes.py", SHAPES), ("Lib/util.py", UTIL)]
    ctx = context("T1", "original", files)
    rows = [
        row(ctx, "return_annotation", "Shape.area", "float", kind="method"),
        row(ctx, "return_annotation", "make", "Shape", kind="module-level function"),
        row(ctx, "decorators", "Shape.name", "@property", kind="method"),
        row(ctx, "docstring_first_line", "Shape", "A plane figure.", kind="class"),
        row(ctx, "parameters", "make", "kind, *args, scale, **options", kind="module-level function"),
        row(ctx, "parameters", "area", "self", kind="method", where="Lib/util.py"),
        row(ctx, "base_classes", "Circle", "Shape, metaclass=type"),
        row(ctx, "class_location", "Square", "Lib/util.py", source_file="Lib/util.py"),
        row(ctx, "absent_symbol", "Triangle", "NOT PRESENT", source_file="Lib/triangle.py"),
        row(ctx, "method_owner", "area", "Square", where="Lib/util.py"),
        row(ctx, "module_function_count", "Lib/shapes.py", "2", source_file="Lib/shapes.py"),
        row(ctx, "base_class_location", "Square", "Lib/shapes.py", source_file="Lib/util.py"),
        row(ctx, "subclass_count", "Shape", "2"),
    ]
    return [ctx], rows


# A package whose classes' bases and imports cross files: Grand -> child.Child -> Base (from .base).
PACKAGE = [
    ("Lib/pkg/__init__.py", '"""A package."""\n'),
    ("Lib/pkg/base.py", "class Base:\n    def run(self):\n        pass\n\n    def stop(self):\n        pass\n"),
    ("Lib/pkg/child.py", "from .base import Base\n\n\nclass Child(Base):\n    if True:\n        def stop(self):\n"
                         "            pass\n"),
    ("Lib/pkg/grand.py", "from . import child\n\n\nclass Grand(child.Child):\n    pass\n"),
]


def package_dataset() -> tuple[list[dict], list[dict]]:
    """A clean T1 dataset on PACKAGE: one row of each cross-file type, worked out by hand."""
    ctx = context("T1", "original", PACKAGE)
    rows = [
        row(ctx, "import_source", "Base", "Lib/pkg/base.py", where="Lib/pkg/child.py"),
        row(ctx, "inherited_method", "Grand.run", "Base", source_file="Lib/pkg/grand.py"),
        row(ctx, "inherited_method", "Grand.stop", "Child", source_file="Lib/pkg/grand.py"),
        row(ctx, "method_definer_count", "stop", "2"),
        row(ctx, "method_definer_count", "run", "1"),
    ]
    return [ctx], rows


def write_release(root: Path, files: dict[str, str]) -> Path:
    """A release's Lib/ folder holding the given display paths."""
    lib = root / "Lib"
    for path, text in files.items():
        target = lib / path.removeprefix("Lib/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return lib
