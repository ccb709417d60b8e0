"""HTML for Jupyter: a statement with its category, strength and the figures highlighted in the notes."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winrewrite.statement import Statement

_COLOURS = {"strong": "#1a7f37", "better": "#9a6700", "weak": "#cf222e"}


def highlighted_notes(statement: Statement) -> str:
    """The notes as HTML, each figure the statement used wrapped in ``<mark>``."""
    notes, out, pos = statement.notes, [], 0
    for f in sorted(statement.figures, key=lambda f: f.start):
        if f.start < pos or f.end > len(notes):
            continue
        out += [html.escape(notes[pos : f.start]), f"<mark>{html.escape(notes[f.start : f.end])}</mark>"]
        pos = f.end
    out.append(html.escape(notes[pos:]))
    return "".join(out)


def statement_html(statement: Statement) -> str:
    """One statement as an HTML card."""
    colour = _COLOURS[statement.strength]
    tips = "".join(f"<li>{html.escape(t)}</li>" for t in statement.suggestions)
    badge = " · <em>fallback</em>" if statement.source == "fallback" else ""
    return (
        '<div style="border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;margin:4px 0">'
        f'<div style="font-size:1.05em">{html.escape(statement.text)}</div>'
        f'<div style="color:#57606a;font-size:0.9em">{html.escape(statement.category.title)} › '
        f"{html.escape(statement.subcategory)} · "
        f'<span style="color:{colour};font-weight:600">{statement.strength}</span>{badge}</div>'
        + (f'<div style="font-size:0.85em;margin-top:4px">Notes: {highlighted_notes(statement)}</div>' if statement.notes else "")
        + (f'<ul style="font-size:0.85em;margin:4px 0">{tips}</ul>' if tips else "")
        + "</div>"
    )


def statements_html(statements: Sequence[Statement]) -> str:
    """Several statements, one card each."""
    return "\n".join(statement_html(s) for s in statements)
