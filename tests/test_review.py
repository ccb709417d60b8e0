"""Review documents and notebook display."""

from __future__ import annotations

from winrewrite import Statement, Statements, review_document, review_html
from winrewrite.figures import extract_figures

NOTES = "p99 340ms -> 62ms <script>"


def _statement(text: str, category: str, strength: str, suggestions: list[str] | None = None) -> Statement:
    return Statement(
        text=text,
        category=category,
        subcategory={"model_performance": "Latency & Cost Optimization", "leadership": "Mentorship & Standards"}[category],
        strength=strength,
        suggestions=suggestions or [],
        notes=NOTES,
        figures=extract_figures(NOTES),
    )


STATEMENTS = [
    _statement("Mentored engineers through their first deployments.", "leadership", "better", ["Count the people."]),
    _statement("Reduced p99 latency from 340ms to 62ms.", "model_performance", "strong"),
    _statement("Improved latency.", "model_performance", "weak"),
]


def test_markdown_grouped_by_competency_strongest_first_tips_last() -> None:
    doc = review_document(STATEMENTS, title="H2 2026")
    lines = doc.splitlines()
    assert lines[0] == "# H2 2026"
    perf, lead, tips = (
        lines.index(h)
        for h in ("## Model Performance & Optimization", "## Technical Leadership & Collaboration", "## To strengthen")
    )
    assert perf < lead < tips  # the six competencies keep their fixed order
    assert doc.index("Reduced p99") < doc.index("Improved latency")
    assert "Count the people." in doc[doc.index("## To strengthen") :]


def test_html_escapes_and_highlights() -> None:
    card = STATEMENTS[1]._repr_html_()
    assert "<mark>340ms</mark>" in card and "<mark>62ms</mark>" in card
    assert "<script>" not in card and "&lt;script&gt;" in card
    assert Statements(STATEMENTS)._repr_html_().count('<div style="border') == 3
    assert "<h2>Technical Leadership &amp; Collaboration</h2>" in review_html(STATEMENTS)
