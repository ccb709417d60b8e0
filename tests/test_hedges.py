"""Hedges on figures ('~45 hrs', 'under 2 min') are put back when a statement drops them."""

from __future__ import annotations

import pytest

from winrewrite.figures import extract_figures
from winrewrite.guard import check
from winrewrite.hedges import hedge_of, keep_hedges, unfounded_bounds, unhedged


@pytest.mark.parametrize(
    ("notes", "word"),
    [
        ("~45 analyst hrs/wk saved", "about"),
        ("it was taking like 9 hours", "about"),
        ("saves roughly $90k a year", "roughly"),
        ("approx. 3x faster", "about"),
        ("20ish teams onboarded", "about"),
        ("nearly 2 weeks earlier", "nearly"),
        ("now under 2 min", "under"),
        ("more than 300 models moved", "more than"),
        ("agent time-to-answer <45s", "under"),
        ("load factor held >85%", "more than"),
        ("sub-100ms scoring", "under"),
        ("300+ models moved", "more than"),
        ("precision 74 -> 91", None),
        ("precision 74->91", None),
        ("got it up to 18K examples", None),  # a rise, not a bound
    ],
)
def test_the_notes_hedge_is_read_from_the_words_before_or_after_a_figure(notes: str, word: str | None) -> None:
    assert hedge_of(notes, extract_figures(notes)[0]) == word


def test_a_dropped_hedge_is_put_back_before_the_figure_and_its_currency_sign() -> None:
    notes = "killed 14 idle A100 nodes w/ autoscaler, ~$41k/mo saved, p95 under 2 min"
    text = "Killed 14 idle A100 nodes with an autoscaler, saving $41k a month and keeping p95 at 2 minutes."
    assert [f.text for f in unhedged(notes, text)] == ["$41k", "2 minutes"]
    fixed = keep_hedges(notes, text)
    assert fixed == "Killed 14 idle A100 nodes with an autoscaler, saving about $41k a month and keeping p95 at under 2 minutes."
    assert unhedged(notes, fixed) == []
    assert check(notes, fixed) == check(notes, text)


def test_a_hedge_the_statement_already_has_is_left_alone() -> None:
    notes = "~45 analyst hrs/wk saved after moving the fraud model to focal loss"
    for text in (
        "Saved nearly 45 analyst hours a week by moving the fraud model to focal loss.",
        "Saved roughly 45 analyst hours a week by moving the fraud model to focal loss.",
    ):
        assert keep_hedges(notes, text) == text


def test_after_an_article_an_approximate_figure_takes_roughly() -> None:
    notes = "new ranker: ~4.6% lift in CTR in the 2 week A/B"
    text = "Shipped a new ranker with a 4.6% lift in CTR over a 2-week A/B test."
    assert keep_hedges(notes, text) == "Shipped a new ranker with a roughly 4.6% lift in CTR over a 2-week A/B test."


def test_a_figure_the_notes_give_both_hedged_and_exact_is_left_as_written() -> None:
    notes = "~3 hrs saved per week on triage, 3 hrs of onboarding docs written"
    text = "Saved 3 hours a week on triage and wrote 3 hours of onboarding docs for the team."
    assert unhedged(notes, text) == []
    assert keep_hedges(notes, text) == text


def test_exact_figures_are_never_hedged() -> None:
    notes = "moved fraud model to focal loss, precision 74->91 at same recall"
    text = "Moved the fraud model to focal loss, raising precision from 74 to 91 at the same recall."
    assert keep_hedges(notes, text) == text


def test_a_bound_the_notes_do_not_give_is_a_problem() -> None:
    notes = "bin-packing + idle reaper: GPU bill was $30k/mo, now around $18k; p95 <400ms"
    assert unfounded_bounds(notes, "Cut the GPU bill from $30k to under $18k a month, holding p95 under 400ms.") == [
        "writes 'under $18k', which the notes give as around $18k"
    ]
    assert unfounded_bounds(notes, "Cut the GPU bill from $30k to about $18k a month, holding p95 under 400ms.") == []
    assert unfounded_bounds("migrated 300 models", "Migrated more than 300 models.") == [
        "writes 'more than 300', which the notes give as exactly 300"
    ]
    assert unfounded_bounds("coverage 12% -> 68%, 2 qtrs", "Raised coverage from 12% to 68% over 2 quarters.") == []
    assert unfounded_bounds("over 40% of releases failed", "Cut release failures from more than 40% to 3%.") == []
