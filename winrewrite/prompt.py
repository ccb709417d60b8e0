"""The one prompt builder, shared by training (``finetune/``) and inference (:class:`~winrewrite.Rewriter`).

A training sequence and an inference call see exactly the same text::

    {INSTRUCTION}
    Notes: {cleaned notes}
    Category: {category id}
    Subcategory: {subcategory}
    Statement: {statement}<eos>

The model scores the category and subcategory lines (so they are learned, not keyword rules), then
writes the statement.

>>> print(category_prompt("- shipped it\\n- p99 340ms->62ms"))
Rewrite the raw notes as one accomplishment statement.
Notes: shipped it; p99 340ms->62ms
Category:
"""

from __future__ import annotations

import re

from winrewrite.categories import Category
from winrewrite.figures import strip_list_markers
from winrewrite.shorthand import expand_shorthand

INSTRUCTION = "Rewrite the raw notes as one accomplishment statement."
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)]|#+)\s+", re.MULTILINE)
# HTML tags, markdown's bold, code and emphasis ('_spam_', '*new*'; not the '_' of 'user_events')
_MARKUP = re.compile(
    r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>\n]{0,80})?/?>|\*\*|__|`|(?<![\w*])[*_](?=[A-Za-z])|(?<=[A-Za-z.!?])[*_](?![\w*])"
)
# Emoji, pictographs and chat shortcodes (':tada:') carry no content for a statement, but people use them as
# punctuation ('v3 live 🔥 catching more fraud', 'before they shipped 🙌 it auto-posts'): a run ends a clause, as
# a line break does, except at the start or right after the first word ('Deployed 🚀 the tremor model').
_SYMBOLS = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]+|(?<![\\w:]):[a-z][a-z0-9_+-]*:(?![\\w:])")


_MAGNITUDE = re.compile(r"[kKmMbB](?![A-Za-z])")


def _markup_gap(m: re.Match[str]) -> str:
    """What markup leaves: a space, not nothing ("4`0" must not become "40"), and a comma between a number
    and a lone magnitude letter, which would scale it ("1`B" is not "1 B", a billion)."""
    text = m.string
    return ", " if text[m.start() - 1 : m.start()].isdigit() and _MAGNITUDE.match(text, m.end()) else " "


def clean_notes(notes: str) -> str:
    """One line: bullets and line breaks become '; ', a list's numbering ('(1) ran ... (2) fixed') goes, HTML
    tags, markdown emphasis and emoji go, shorthand words are spelled out
    (:func:`~winrewrite.shorthand.expand_shorthand`), runs of spaces become one. Figures are untouched (their
    spans refer to the notes as the user wrote them)."""
    notes = _MARKUP.sub(_markup_gap, notes)
    notes = _SYMBOLS.sub(lambda m: "\n" if len(notes[: m.start()].split()) > 1 else " ", notes)
    lines = [line.strip() for line in _BULLET.sub("", strip_list_markers(notes)).splitlines()]
    return re.sub(r"[ \t]+", " ", expand_shorthand("; ".join(line for line in lines if line))).strip()


def category_prompt(notes: str) -> str:
    """The prompt up to the category label."""
    return f"{INSTRUCTION}\nNotes: {clean_notes(notes)}\nCategory:"


def category_label(category: Category) -> str:
    """What follows ``Category:`` for this category, up to the subcategory label."""
    return f" {category.value}\nSubcategory:"


def subcategory_label(subcategory: str) -> str:
    """What follows ``Subcategory:``, up to the statement."""
    return f" {subcategory}\nStatement:"


def statement_completion(statement: str) -> str:
    """What follows ``Statement:`` (the end-of-sequence token is added by the tokenizer's caller)."""
    return f" {statement}"


def encode(tokenizer: object, text: str) -> list[int]:
    """Token ids of one prompt piece, without special tokens: pieces are encoded one by one, the same
    way in training and inference, so a label's tokens never depend on what precedes it."""
    ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
    return ids


def instruction_length(tokenizer: object) -> int:
    """How many tokens (``<bos>`` and the instruction) open every prompt: the part that says nothing about the notes."""
    return int(getattr(tokenizer, "bos_token_id", None) is not None) + len(encode(tokenizer, INSTRUCTION))


def prompt_ids(tokenizer: object, notes: str) -> list[int]:
    """``<bos>`` and the category prompt for ``notes``."""
    bos = getattr(tokenizer, "bos_token_id", None)
    return ([bos] if bos is not None else []) + encode(tokenizer, category_prompt(notes))
