"""A review-ready document from many statements: grouped by competency, strongest first.

>>> from winrewrite.statement import Statement
>>> s = Statement(text="Reduced p99 latency from 340ms to 62ms.", category="model_performance",
...               subcategory="Latency & Cost Optimization", strength="strong")
>>> print(review_document([s], title="H2 review").splitlines()[0])
# H2 review
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from winrewrite.categories import Category
from winrewrite.statement import Statement

_RANK = {"strong": 0, "better": 1, "weak": 2}


def _grouped(statements: Sequence[Statement]) -> list[tuple[Category, list[Statement]]]:
    groups = []
    for category in Category:
        chosen = [s for s in statements if s.category == category]
        if chosen:
            groups.append((category, sorted(chosen, key=lambda s: _RANK[s.strength])))
    return groups


def _suggestions(statements: Sequence[Statement]) -> list[tuple[str, str]]:
    return [(s.text, tip) for s in statements for tip in s.suggestions]


def review_document(statements: Sequence[Statement], title: str = "Accomplishments") -> str:
    """Markdown: one section per competency, strongest statements first, suggestions gathered at the end."""
    lines = [f"# {title}", ""]
    for category, chosen in _grouped(statements):
        lines += [f"## {category.title}", ""]
        lines += [f"- {s.text} _({s.subcategory}; {s.strength})_" for s in chosen]
        lines.append("")
    tips = _suggestions(statements)
    if tips:
        lines += ["## To strengthen", ""]
        lines += [f"- **{text[:60]}{'…' if len(text) > 60 else ''}**: {tip}" for text, tip in tips]
        lines.append("")
    return "\n".join(lines)


def review_html(statements: Sequence[Statement], title: str = "Accomplishments") -> str:
    """The same document as :func:`review_document`, as a self-contained HTML fragment."""
    e = html.escape
    parts = [f"<h1>{e(title)}</h1>"]
    for category, chosen in _grouped(statements):
        items = "".join(f"<li>{e(s.text)} <em>({e(s.subcategory)}; {s.strength})</em></li>" for s in chosen)
        parts.append(f"<h2>{e(category.title)}</h2><ul>{items}</ul>")
    tips = _suggestions(statements)
    if tips:
        items = "".join(f"<li><strong>{e(text[:60])}</strong>: {e(tip)}</li>" for text, tip in tips)
        parts.append(f"<h2>To strengthen</h2><ul>{items}</ul>")
    return "\n".join(parts)
