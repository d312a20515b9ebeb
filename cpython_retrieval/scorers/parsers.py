"""Parsers for code-like answers: text in, a comparable ``Parsed`` out (or ParseFailure).

One parser per code-like ``answer_kind``; each accepts every documented way of writing its
answer (see docs/scoring.md) and reduces it to a key that is equal exactly when the meaning
is: ``ast.dump`` of each expression, names for parameters, in order for lists.
"""

from __future__ import annotations

import ast
import re

from .candidates import Parsed
from .extract import strip_bullet
from .normalize import (
    ParseFailure,
    expr_key,
    expr_text,
    looks_like_code,
    parse_expr,
    parse_module,
    split_top_level,
)

_EMPTY_LIST = re.compile(r"^\W*(?:none|nothing|empty|no\s+\w+(?:\s+\w+)?)\W*$|^\s*(?:\(\s*\)|\[\s*\])\s*$", re.I)
_DEF_LINE = re.compile(r"^\s*(?:async\s+)?def\s+\w+\s*\(", re.S)
_SIGNATURE = re.compile(r"^[\w.]+\s*\(.*\)\s*(?:->.*)?:?$", re.S)
_CLASS_LINE = re.compile(r"^\s*class\s+[\w.]+\s*\(", re.S)
_DEF_OR_CLASS = re.compile(r"^(?:async\s+def|def|class)\b")
_NAME = re.compile(r"^\*{0,2}[^\W\d]\w*$")


def _check_code(text: str, what: str) -> None:
    for line in text.split("\n"):
        if not looks_like_code(line):
            raise ParseFailure(f"looks like prose, not {what}")


def _paren_content(text: str, open_at: int) -> str:
    """Text inside the bracket opening at ``open_at`` (to the end if it never closes)."""
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] in "([{":
            depth += 1
        elif text[i] in ")]}":
            depth -= 1
            if depth == 0:
                return text[open_at + 1: i]
    return text[open_at + 1:]


def _parenthesized(text: str) -> bool:
    """The whole text is one parenthesised expression, as a tuple annotation `(str, bytes)` is written."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(text) - 1:
            return False
    return True


def _item_lines(text: str) -> list[str]:
    """Lines of a list answer, bullets and trailing commas removed."""
    return [strip_bullet(line).strip().rstrip(",").strip() for line in text.split("\n") if line.strip()]


def parse_expression(text: str) -> Parsed:
    """An annotation: ``-> X`` and ``def f(...) -> X:`` give X; ``'X'`` reads as X."""
    s = text.strip()
    if "->" in s:
        s = s.rsplit("->", 1)[1]
        s = re.sub(r":\s*(?:\.\.\.|pass)?\s*$", "", s.strip())
    if s.startswith("@"):
        s = s[1:]
    s = s.removesuffix(":").strip()  # "Optional[str]:" copied from a signature
    _check_code(s, "an expression")
    node = parse_expr(s)
    if isinstance(node, ast.Tuple) and len(node.elts) > 1 and not _parenthesized(s):
        raise ParseFailure(f"{len(node.elts)} candidate expressions")  # `int, str` offers two; `(int, str)` is one tuple
    return Parsed(expr_key(node), expr_text(node), text)


def parse_dotted_name(text: str) -> Parsed:
    """A class name, possibly dotted (``Outer.Inner``); ``class X(Base):`` gives X."""
    s = text.strip()
    m = re.match(r"^class\s+([\w.]+)", s)
    if m:
        s = m.group(1)
    s = re.sub(r"\s*:\s*$", "", s)
    _check_code(s, "a class name")
    node = parse_expr(s)
    if isinstance(node, ast.Tuple) and len(node.elts) > 1:
        raise ParseFailure(f"{len(node.elts)} candidate class names")
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        node = parse_expr(node.value)
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        node = node.func
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise ParseFailure("not a class name")
    parts.append(node.id)
    dotted = ".".join(reversed(parts))
    return Parsed(dotted, dotted, text)


def _call_parts(inner: str) -> tuple[list[ast.expr], list[ast.keyword]]:
    node = parse_expr(f"__f({inner})")
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__f"):
        raise ParseFailure("not a list of base classes")
    return list(node.args), list(node.keywords)


def parse_call_arguments(text: str) -> Parsed:
    """Bases then keywords, read as the arguments of a call: ``f(<answer>)``."""
    s = text.strip()
    if _CLASS_LINE.match(s):
        s = _paren_content(s, s.index("("))
    if _EMPTY_LIST.match(s):
        return Parsed(((), ()), "", text, (), ())
    s = ", ".join(_item_lines(s))
    if not s:
        raise ParseFailure("empty answer")
    _check_code(s, "a list of base classes")
    try:
        args, keywords = _call_parts(s)
    except ParseFailure:
        if s[0] in "([" and s[-1] in ")]":
            args, keywords = _call_parts(s[1:-1])
        else:
            raise
    if len(args) == 1 and not keywords and isinstance(args[0], (ast.List, ast.Tuple)):
        elts, args = args[0].elts, []
        for elt in elts:
            if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                more_args, more_kw = _call_parts(elt.value)
                args.extend(more_args)
                keywords.extend(more_kw)
            else:
                args.append(elt)
    items = tuple((expr_key(a), expr_text(a)) for a in args)
    kws = tuple((k.arg, expr_key(k.value), f"{k.arg}={expr_text(k.value)}" if k.arg else f"**{expr_text(k.value)}")
                for k in keywords)
    key = (tuple(i[0] for i in items), tuple((k[0], k[1]) for k in kws))
    shown = ", ".join([i[1] for i in items] + [k[2] for k in kws])
    return Parsed(key, shown, text, items, kws)


def _list_literal_items(s: str) -> list[str] | None:
    """``[a, b]`` / ``("@a", "@b")`` as item sources, or None when ``s`` is not such a literal."""
    if not (s[:1] in "([" and s[-1:] in ")]"):
        return None
    try:
        node = parse_expr(s)
    except ParseFailure:
        return None
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    out = []
    for elt in node.elts:
        if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
            out.append(elt.value)
        else:
            out.append(expr_text(elt))
    return out


def parse_expression_list(text: str) -> Parsed:
    """Decorators: one per line, or comma-separated, or a list literal; ``@`` optional."""
    lines = []
    for line in text.strip().split("\n"):
        line = strip_bullet(line).strip()
        if _DEF_OR_CLASS.match(line) and lines:
            break  # the decorated definition itself follows the decorators
        if line:
            lines.append(line)
    if len(lines) == 1 and _EMPTY_LIST.match(lines[0]):
        return Parsed((), "", text, ())
    sources = _list_literal_items(lines[0]) if len(lines) == 1 else None
    if sources is None:
        sources = []
        for line in lines:
            for piece in split_top_level(line, ","):
                sources.extend(p for p in re.split(r"\s+(?=@)", piece.strip()) if p.strip())
    if not sources:
        raise ParseFailure("empty answer")
    items = []
    for src in sources:
        src = src.strip().rstrip(",").strip()
        if src.startswith("@"):
            src = src[1:]
        _check_code(src, "a decorator")
        node = parse_expr(src)
        items.append((expr_key(node), "@" + expr_text(node)))
    return Parsed(tuple(i[0] for i in items), "\n".join(i[1] for i in items), text, tuple(items))


def parse_name_list(text: str) -> Parsed:
    """Parameter names in order; a full signature also works (defaults, annotations, ``*``, ``/`` dropped)."""
    s = text.strip()
    if _DEF_LINE.match(s) or _SIGNATURE.match(s):
        s = _paren_content(s, s.index("("))
    lines = _item_lines(s)
    s = ", ".join(lines)
    if _EMPTY_LIST.match(s):
        return Parsed((), "", text, ())
    literal = _list_literal_items(s)
    if literal is not None:
        s = ", ".join(literal)
    elif s[:1] == "(" and s[-1:] == ")":
        s = s[1:-1]
    tokens = [t.strip().strip("'\"`").strip() for t in split_top_level(s, ",")]
    tokens = [t for t in tokens if t]
    if not tokens:
        raise ParseFailure("empty answer")
    if all(_NAME.match(t) for t in tokens):
        names = tokens
    else:
        _check_code(s, "a parameter list")
        module = parse_module(f"def __f({s}): pass")
        if len(module.body) != 1 or not isinstance(module.body[0], ast.FunctionDef):
            raise ParseFailure("parameter list does not parse")
        a = module.body[0].args
        names = [p.arg for p in (*a.posonlyargs, *a.args)]
        if a.vararg:
            names.append("*" + a.vararg.arg)
        names.extend(p.arg for p in a.kwonlyargs)
        if a.kwarg:
            names.append("**" + a.kwarg.arg)
    return Parsed(tuple(names), ", ".join(names), text, tuple((n, n) for n in names))
