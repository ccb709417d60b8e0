"""Notes that tell several wins: split into one notes per win, written apart, joined into one sentence."""

from __future__ import annotations

import pytest

from winrewrite.guard import check
from winrewrite.topics import join_statements, mixes_topics, split_topics

MIXED = (
    "shipped the spam classifier for comments (precision 0.88 -> 0.94 at same recall) and, unrelated, "
    "wrote the on-call runbook for 4 teams"
)


@pytest.mark.parametrize(
    ("notes", "wins"),
    [
        (
            MIXED,
            [
                "shipped the spam classifier for comments (precision 0.88 -> 0.94 at same recall)",
                "wrote the on-call runbook for 4 teams",
            ],
        ),
        (
            "two things: (1) ran the hiring loop for 2 MLE roles, both accepted. (2) separately, switched embedding refresh "
            "to incremental, ~70% less GPU time",
            [
                "ran the hiring loop for 2 MLE roles, both accepted.",
                "switched embedding refresh to incremental, ~70% less GPU time",
            ],
        ),
        (  # a label after the first win's last stop opens the second
            "Q3: added CUPED to the A/B platform, sample sizes ~40% smaller. Q4, unrelated: mentored two analysts into ML roles",
            ["Q3: added CUPED to the A/B platform, sample sizes ~40% smaller.", "Q4: mentored two analysts into ML roles"],
        ),
        ("cut p99 from 340ms to 62ms, also wrote the runbook", ["cut p99 from 340ms to 62ms, also wrote the runbook"]),
        ("rewrote the ranker and, unrelated, docs", ["rewrote the ranker and, unrelated, docs"]),  # 'docs' is no win of its own
    ],
)
def test_notes_are_split_where_they_say_a_new_win_begins(notes: str, wins: list[str]) -> None:
    assert split_topics(notes) == wins
    assert mixes_topics(notes) == ("unrelated" in notes or "things" in notes)


def test_statements_join_into_one_sentence() -> None:
    assert join_statements(["Cut p99 by 80%.", "Wrote the runbook.", "ONNX export landed."]) == (
        "Cut p99 by 80%, wrote the runbook and ONNX export landed."
    )
    assert join_statements(["Cut p99 by 80%.", "Wrote the runbook."]) == "Cut p99 by 80% and wrote the runbook."


def test_two_wins_get_a_statement_each_joined_or_else_are_written_whole(tiny_rewriter, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The model pass (``_settle``, replaced by written statements: what is tested is the splitting and joining)
    sees each win on its own; their statements are joined and checked against the whole notes. A win the model
    could not write sends the whole notes through the model pass again, as any other notes."""
    wins = split_topics(MIXED)
    written = {
        wins[0]: "Shipped the spam classifier for comments, raising precision from 0.88 to 0.94 at the same recall.",
        wins[1]: "Wrote the on-call runbook for 4 teams.",
    }
    calls: list[list[str]] = []

    def settle(notes, heads, chosen, prefilled=None):  # type: ignore[no-untyped-def]
        calls.append(list(notes))
        return [(written[n], "model", []) if n in written else ("Wrote it whole.", "fallback", ["x"]) for n in notes]

    monkeypatch.setattr(tiny_rewriter, "_settle", settle)
    s = tiny_rewriter.rewrite(MIXED)
    assert calls == [wins] and s.source == "model"
    assert s.text == (
        "Shipped the spam classifier for comments, raising precision from 0.88 to 0.94 at the same recall, "
        "and wrote the on-call runbook for 4 teams."
    )
    assert check(MIXED, s.text) == []
    assert tiny_rewriter.classify([MIXED]) == [(s.category, s.subcategory)]  # labelled as the whole notes
    del written[wins[1]]
    calls.clear()
    assert tiny_rewriter.rewrite(MIXED).text == "Wrote it whole." and calls == [wins, [MIXED]]
