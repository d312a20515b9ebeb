"""An answer checker written independently of the package's extractor (plain `ast`, no shared code).

It re-derives a row's answer from the context text alone, so the tests do not check the
extractor against itself.
"""

from __future__ import annotations

import ast
import functools
import re

HEADER = re.compile(r"^# ===== File: (\S+) =====\n", re.MULTILINE)


def split_files(context: str) -> dict[str, str]:
    matches = list(HEADER.finditer(context))
    files = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(context)
        text = context[m.end() : end]
        assert text.endswith("\n\n") or text.endswith("\n")
        files[m.group(1)] = text[:-1]  # drop the blank separator line
    return files


def _walk_defs(body, prefix=""):
    """(qualname, node) for classes/functions not inside functions, including conditional ones."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
        elif isinstance(node, ast.ClassDef):
            yield prefix + node.name, node
            yield from _walk_defs(node.body, prefix + node.name + ".")
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                for child in getattr(node, field, []) or []:
                    if isinstance(child, (ast.excepthandler, ast.match_case)):
                        yield from _walk_defs(child.body, prefix)
                    elif isinstance(child, ast.stmt):
                        yield from _walk_defs([child], prefix)


class NewerSyntax(Exception):
    """A file the running interpreter's `ast` cannot parse (newer syntax): the caller skips the row, saying so."""


def parse(text: str) -> ast.Module:
    """The file's tree (cached: a context's files are read for every row; the trees are never modified)."""
    tree = _parse(text)
    if isinstance(tree, NewerSyntax):
        raise tree
    return tree


@functools.lru_cache(maxsize=2048)
def _parse(text: str):
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        return NewerSyntax(str(exc))


def _find(files: dict[str, str], symbol: str, path: str | None):
    """The one definition of `symbol` (in `path` if given); files of newer syntax are passed over unless named."""
    hits, unread = [], []
    for p, text in files.items():
        if path and p != path:
            continue
        try:
            tree = parse(text)
        except NewerSyntax:
            if path:
                raise
            unread.append(p)
            continue
        hits += [(p, text, n) for q, n in _walk_defs(tree.body) if q == symbol]
    if not hits and unread:
        raise NewerSyntax(f"{symbol} may be in {len(unread)} file(s) this interpreter cannot parse")
    assert len(hits) == 1, f"{symbol} found {len(hits)} times"
    return hits[0]


def rederive(row: dict, context: str) -> str:
    files = split_files(context)
    qtype, symbol = row["question_type"], row["symbol"]
    named = re.search(r"defined in `([^`]+)`", row["question"])
    path = named.group(1) if named else None
    if qtype == "module_function_count":
        tree = parse(files[symbol])
        return str(sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in tree.body))
    if qtype == "method_owner":
        tree = parse(files[row["source_file"]])
        owners = [q.rsplit(".", 1)[0] for q, n in _walk_defs(tree.body)
                  if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and q.endswith("." + symbol)
                  and isinstance(dict(_walk_defs(tree.body)).get(q.rsplit(".", 1)[0]), ast.ClassDef)]
        assert len(owners) == 1, owners
        return owners[0]
    if qtype == "subclass_count":
        return str(sum(1 for text in files.values() for node in ast.walk(parse(text))
                       if isinstance(node, ast.ClassDef) and any(ast.unparse(b) == symbol for b in node.bases)))
    if qtype == "base_class_location":
        _, _, node = _find(files, symbol, path)
        first = node.bases[0]
        name = first.attr if isinstance(first, ast.Attribute) else first.id
        homes = [p for p, text in files.items() for n in parse(text).body if isinstance(n, ast.ClassDef) and n.name == name]
        assert len(homes) == 1, homes
        return homes[0]
    if qtype in ("class_location", "absent_symbol"):
        found = [p for p, text in files.items() for q, n in _walk_defs(parse(text).body) if q == symbol and isinstance(n, ast.ClassDef)]
        return found[0] if len(found) == 1 else ("NOT PRESENT" if not found else "AMBIGUOUS")
    p, text, node = _find(files, symbol, path)
    segment = lambda n: ast.get_source_segment(text, n)  # noqa: E731
    if qtype == "return_annotation":
        return segment(node.returns)
    if qtype == "decorators":
        return "\n".join("@" + segment(d) for d in node.decorator_list)
    if qtype == "docstring_first_line":
        return next(line.strip() for line in ast.get_docstring(node).split("\n") if line.strip())
    if qtype == "parameters":
        a = node.args
        names = [x.arg for x in a.posonlyargs + a.args]
        names += [f"*{a.vararg.arg}"] if a.vararg else []
        names += [x.arg for x in a.kwonlyargs]
        names += [f"**{a.kwarg.arg}"] if a.kwarg else []
        return ", ".join(names)
    if qtype == "base_classes":
        return ", ".join([segment(b) for b in node.bases] + [segment(k) for k in node.keywords])
    raise AssertionError(qtype)
