"""data/examples.jsonl: valid, complete, and faithful to the seed and to its own figures."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from winrewrite.categories import Category
from winrewrite.data import NOTES_STYLES, load_examples
from winrewrite.errors import DataError
from winrewrite.figures import extract_figures, invented_figures, missing_figures

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = load_examples(ROOT / "data" / "examples.jsonl")
SEED_DIR = ROOT.parent / "shared" / "seed"


def test_all_68_with_unique_ids() -> None:
    assert len(EXAMPLES) == 68
    assert len({e.id for e in EXAMPLES}) == 68


def test_every_category_has_both_subcategories() -> None:
    for category in Category:
        assert {e.subcategory for e in EXAMPLES if e.category == category} == set(category.subcategories)


def test_every_notes_style_everywhere() -> None:
    for e in EXAMPLES:
        assert set(NOTES_STYLES) <= {n.style for n in e.notes}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_every_figure_in_every_notes_version_and_nothing_more(example) -> None:  # type: ignore[no-untyped-def]
    statement_figures = extract_figures(example.statement)
    for notes in example.notes:
        assert missing_figures(statement_figures, notes.text) == [], notes.text
        assert invented_figures(notes.text, example.statement) == [], notes.text
        assert missing_figures(extract_figures(notes.text), example.statement) == [], notes.text
        assert 5 <= len(notes.text.split()) <= 90


def test_vague_versions_hold_no_digit() -> None:
    for e in EXAMPLES:
        assert not re.search(r"\d", e.vague_notes + e.vague_statement), e.id


def test_notes_are_not_the_statement_with_words_deleted() -> None:
    for e in EXAMPLES:
        for n in e.notes:
            assert n.text.lower() not in e.statement.lower(), e.id


def test_counts_per_style() -> None:
    counts = Counter(n.style for e in EXAMPLES for n in e.notes)
    assert sum(counts.values()) == sum(len(e.notes) for e in EXAMPLES) and min(counts.values()) >= 68


def test_bad_file_gives_a_data_error(tmp_path: Path) -> None:
    row = json.loads((ROOT / "data" / "examples.jsonl").read_text().splitlines()[0])
    (tmp_path / "dup.jsonl").write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(DataError, match="duplicate"):
        load_examples(tmp_path / "dup.jsonl")
    row["vague_statement"] = "Cut cost by 40%."
    (tmp_path / "digit.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(DataError, match="digit"):
        load_examples(tmp_path / "digit.jsonl")


@pytest.mark.skipif(not SEED_DIR.is_dir(), reason="the seed article is not beside this checkout")
def test_statements_are_the_seed_verbatim_with_its_sections() -> None:
    text = "\n".join(p.read_text() for p in sorted(SEED_DIR.glob("*.txt")))
    titles = {c.title + " Accomplishments": c for c in Category}
    subs = {s for c in Category for s in c.subcategories}
    category = sub = None
    seen = []
    for line in text.splitlines():
        line = line.strip()
        if line in titles:
            category = titles[line]
        elif line in subs:
            sub = line
        elif m := re.match(r'^\d+\.\s+"(.*)"$', line):
            seen.append((category, sub, m.group(1)))
    assert sorted(seen, key=str) == sorted(((e.category, e.subcategory, e.statement) for e in EXAMPLES), key=str)


def test_labelled_notes_are_valid_balanced_and_unique_across_files() -> None:
    from winrewrite.data import load_labelled_notes

    files = sorted((ROOT / "data").glob("category_notes*.jsonl"))
    assert files
    rows = [n for f in files for n in load_labelled_notes(f)]
    ids = [n.id for n in rows]
    assert len(ids) == len(set(ids))
    per_category = Counter(n.category for n in rows)
    assert set(per_category) == set(Category) and max(per_category.values()) == min(per_category.values())
    seed_notes = {v.text for e in EXAMPLES for v in e.notes}
    assert not seed_notes & {n.notes for n in rows}  # new notes, not copies of the seed's


def test_a_labelled_note_with_a_foreign_subcategory_is_a_data_error(tmp_path: Path) -> None:
    from winrewrite.data import load_labelled_notes

    bad = tmp_path / "notes.jsonl"
    row = {"id": "leadership-01", "category": "leadership", "subcategory": "Feature Engineering", "notes": "x"}
    bad.write_text(json.dumps(row))
    with pytest.raises(DataError, match="not a subcategory"):
        load_labelled_notes(bad)


WORKPLACE = load_examples(ROOT / "data" / "extra_examples_2.jsonl")


def test_workplace_examples_cover_every_subcategory_in_every_style() -> None:
    from winrewrite.data import WORKPLACE_STYLES

    assert len({e.id for e in WORKPLACE}) == len(WORKPLACE) >= 100
    per_subcategory = Counter((e.category, e.subcategory) for e in WORKPLACE)
    assert len(per_subcategory) == 12 and min(per_subcategory.values()) >= 8
    for e in WORKPLACE:
        assert set(NOTES_STYLES + WORKPLACE_STYLES) == {n.style for n in e.notes}, e.id


@pytest.mark.parametrize("example", WORKPLACE, ids=lambda e: e.id)
def test_workplace_statements_pass_the_guard_for_every_notes_version(example) -> None:  # type: ignore[no-untyped-def]
    from winrewrite.guard import check

    for notes in [*(n.text for n in example.notes), example.vague_notes]:
        statement = example.statement if notes != example.vague_notes else example.vague_statement
        assert check(notes, statement) == [], notes
        assert missing_figures(extract_figures(notes), statement) == [], notes
        assert notes.lower() not in statement.lower()


def test_fresh_notes_for_evaluation_are_varied_and_never_trained_on() -> None:
    """data/fresh_notes.jsonl is read by `make evaluate` only: no training glob reaches it, and no note of it is
    a copy of a training note."""
    from fnmatch import fnmatch

    from finetune.train import TrainConfig

    rows = [json.loads(line) for line in (ROOT / "data" / "fresh_notes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len({r["id"] for r in rows}) == len(rows) >= 50
    assert len({r["style"] for r in rows}) >= 8 and all(r["notes"].strip() for r in rows)
    config = TrainConfig()
    for pattern in (config.data, config.extra, config.labelled):
        assert pattern is None or not fnmatch("data/fresh_notes.jsonl", pattern)
    training = {v.text for path in (ROOT / "data").glob("*examples*.jsonl") for e in load_examples(path) for v in e.notes}
    assert not training & {r["notes"] for r in rows}
