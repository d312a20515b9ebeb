"""Which files of the corpus a file's imports point to, and which package it belongs to: read from the text.

Tiers are filled by coherent groups (`contexts.offer_sequence`) so that a class's base or an imported name is
often defined in another file of the same context. Only the order files are offered in depends on these links,
never an answer, so a rough reading is enough: `import a.b` and `from [.]m import x, y` statements that start at
column 0 (module level; one inside a triple-quoted string adds a harmless extra link), parenthesised name lists
included, resolved to `Lib/a/b.py` or `Lib/a/b/__init__.py` (and `from pkg import sub` to the submodule `sub`).
"""

from __future__ import annotations

import re

_FROM = re.compile(r"^from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)", re.MULTILINE)
_IMPORT = re.compile(r"^import[ \t]+([^\n#;]+)", re.MULTILINE)


def group_of(display_path: str) -> str:
    """The top-level package a file belongs to (`Lib/email/mime/text.py` -> `email`), or the module's own path."""
    parts = display_path.removeprefix("Lib/").split("/")
    return parts[0] if len(parts) > 1 else display_path


def _module_files(module: str, known) -> list[str]:
    if not module:
        return []
    relative = module.replace(".", "/")
    return [p for p in (f"Lib/{relative}.py", f"Lib/{relative}/__init__.py") if p in known]


def _anchor(display_path: str, level: int, module: str) -> str | None:
    """The absolute module a `from` import names (relative imports against the importing file's package)."""
    if level == 0:
        return module
    package = display_path.removeprefix("Lib/").split("/")[:-1]
    if level - 1 > len(package):
        return None
    return ".".join([*package[: len(package) - (level - 1)], *([module] if module else [])])


def import_links(display_path: str, text: str, known) -> list[str]:
    """Files of `known` (display paths) that the file's module-level imports name, in the order first named."""
    found: list[str] = []
    for match in _FROM.finditer(text):
        dots, module, names = match.groups()
        base = _anchor(display_path, len(dots), module)
        if base is None:
            continue
        found += _module_files(base, known)
        for item in re.sub(r"#[^\n]*", "", names).strip("()").split(","):
            name = item.split()[0] if item.split() else ""
            if name.isidentifier():
                found += _module_files(f"{base}.{name}" if base else name, known)
    for match in _IMPORT.finditer(text):
        for item in match.group(1).split(","):
            module = item.split(" as ")[0].strip()
            found += _module_files(module, known)
    return [p for p in dict.fromkeys(found) if p != display_path]
