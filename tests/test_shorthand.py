"""Shorthand words are spelled out before the model reads the notes; figures and their units never change."""

from __future__ import annotations

import pytest

from winrewrite.figures import extract_figures
from winrewrite.guard import added_content_problems, check
from winrewrite.prompt import category_prompt, clean_notes
from winrewrite.shorthand import SHORTHAND_WORDS, expand_shorthand


@pytest.mark.parametrize(
    ("notes", "spelled"),
    [
        ("contrastive embs: +28% relevance on labeled eval", "contrastive embeddings: +28% relevance on labeled evaluation"),
        ("NER calib, FPs -34%", "NER calibration, false positives -34%"),
        ("Calib fix on risk scores", "Calibration fix on risk scores"),
        ("EVAL harness runs nightly", "evaluation harness runs nightly"),
        ("new reco model in prod", "new recommendation model in production"),
    ],
)
def test_shorthand_words_are_spelled_out(notes: str, spelled: str) -> None:
    assert expand_shorthand(notes) == spelled


@pytest.mark.parametrize(
    "notes",
    [
        "fp16 weights, 3h/wk/engineer saved",  # a word joined to a digit or a slash is a unit or a name
        "feat(ranker): new loss",  # a commit type
        "joined on product_id and val_loss went down",  # identifiers
        "std dev down, ex ante check",  # two common readings: left as written
        "trained in sim, thanks Val for the user seg",  # simulation or similarity; a name; segment or segmentation
    ],
)
def test_units_identifiers_and_ambiguous_words_are_left_as_written(notes: str) -> None:
    assert expand_shorthand(notes) == notes


def test_figures_are_the_same_before_and_after() -> None:
    notes = "aug pipeline 2k->18k ex, rare-intent acc 54->79, perf ~3x, FPs -34%, $1.2M/yr infra"
    before = [(f.value, f.unit) for f in extract_figures(notes)]
    after = [(f.value, f.unit) for f in extract_figures(expand_shorthand(notes))]
    assert before == after and before


def test_every_spelling_is_plain_words() -> None:
    for short, full in SHORTHAND_WORDS.items():
        assert short.isalpha() and short.islower() and all(w.isalpha() for w in full.split()), short


def test_the_prompt_and_the_guard_read_the_notes_spelled_out() -> None:
    notes = "NER calib + fallback routing, FPs -34%"
    assert "calibration" in clean_notes(notes) and "false positives" in category_prompt(notes)
    statement = "Added confidence calibration and fallback routing to the NER model, cutting false positives by 34%."
    assert added_content_problems(notes, statement) == []  # 'calibration' and 'false positives' are in the notes
    assert check(notes, statement) == []


def test_est_and_approx_lose_their_dot_but_other_words_keep_a_sentence_end() -> None:
    assert expand_shorthand("est. +$1.1M GMV/quarter, done by 9am EST") == "estimated +$1.1M GMV/quarter, done by 9am EST"
    assert expand_shorthand("approx. 3x faster") == "approximately 3x faster"
    assert expand_shorthand("recs. recall@20 0.31->0.37") == "recommendations. recall@20 0.31->0.37"
    assert expand_shorthand("est. The rollout") == "estimated. The rollout"


def test_map_told_with_a_change_is_the_detection_metric() -> None:
    assert expand_shorthand("picked convnext, map up 7 pts") == "picked convnext, mAP up 7 pts"
    assert expand_shorthand("map@50 0.41 -> 0.48") == "mAP@50 0.41 -> 0.48"
    plain = "built a map of the stores, heat map from the vendor"
    assert expand_shorthand(plain) == plain
