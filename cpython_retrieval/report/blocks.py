"""A report as a list of blocks, rendered to Markdown or to one self-contained HTML page."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[object]]


@dataclass(frozen=True)
class Image:
    path: Path  # written next to the report
    alt: str


def fmt(value: object) -> str:
    """Table cells: percentages as such, empty for missing values, never a misleading 0."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2e}" if 0 < abs(value) < 0.001 else f"{value:.3f}"  # a tiny p-value is not 0.000
    return str(value)


def to_markdown(blocks) -> str:
    out = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append(f"{'#' * b.level} {b.text}")
        elif isinstance(b, Paragraph):
            out.append(b.text)
        elif isinstance(b, Table):
            lines = ["| " + " | ".join(b.headers) + " |", "|" + "---|" * len(b.headers)]
            lines += ["| " + " | ".join(fmt(c).replace("|", "\\|").replace("\n", "\\n") for c in row) + " |" for row in b.rows]
            out.append("\n".join(lines))
        elif isinstance(b, Image):
            out.append(f"![{b.alt}]({b.path.name})")
    return "\n\n".join(out) + "\n"


def _inline_html(text: str) -> str:
    """The two inline marks the report's paragraphs use: **bold** and `code`."""
    escaped = html.escape(text)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", escaped)


_NUMBER = re.compile(r"^\[?[-+]?(\d|\.\d)")


def _numeric_columns(table: Table) -> list[bool]:
    """A column is right-aligned when every non-empty cell is a number or starts like one (`0.950 [..]`, `[-0.1, 0.2]`, `12/18`);
    text columns (models, types, answers) stay left-aligned."""
    out = []
    for i in range(len(table.headers)):
        cells = [row[i] for row in table.rows if i < len(row) and fmt(row[i]) != ""]
        out.append(bool(cells) and all(isinstance(c, (int, float)) and not isinstance(c, bool) or
                                       isinstance(c, str) and _NUMBER.match(c) for c in cells))
    return out


def to_html(blocks, title: str) -> str:
    body = []
    for b in blocks:
        if isinstance(b, Heading):
            body.append(f"<h{b.level}>{html.escape(b.text)}</h{b.level}>")
        elif isinstance(b, Paragraph):
            body.append(f"<p>{_inline_html(b.text)}</p>")
        elif isinstance(b, Table):
            numeric = _numeric_columns(b)
            head = "".join(f"<th{' class=num' if numeric[i] else ''}>{html.escape(h)}</th>" for i, h in enumerate(b.headers))
            rows = "".join("<tr>" + "".join(f"<td{' class=num' if numeric[i] else ''}>{html.escape(fmt(c))}</td>"
                                            for i, c in enumerate(row)) + "</tr>" for row in b.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(b, Image):
            data = base64.b64encode(b.path.read_bytes()).decode()
            body.append(f'<img alt="{html.escape(b.alt)}" src="data:image/png;base64,{data}">')
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
             ".num{text-align:right;font-variant-numeric:tabular-nums}"
             "th{background:#f3f3f3}img{max-width:100%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")
