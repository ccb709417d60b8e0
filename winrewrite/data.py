"""The training data: seed statements paired with raw notes (``data/examples.jsonl``), and notes labelled
with a category only (``data/category_notes.jsonl``, for the category head).

>>> examples = load_examples("data/examples.jsonl")  # doctest: +SKIP
>>> examples[0].notes[0].style  # doctest: +SKIP
'terse'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError, model_validator

from winrewrite.categories import Category
from winrewrite.errors import DataError

NotesStyle = Literal["terse", "dictated", "bullets", "partial", "chat", "commit", "context"]
_Record = TypeVar("_Record", "Example", "LabelledNotes")
NOTES_STYLES: tuple[NotesStyle, ...] = ("terse", "dictated", "bullets", "partial")  # every example has these four
# Optional styles of the examples written for training: a Slack or stand-up message, a commit or ticket text,
# and long notes that open with the background before the work.
WORKPLACE_STYLES: tuple[NotesStyle, ...] = ("chat", "commit", "context")


class Notes(BaseModel):
    """One raw-notes version of an accomplishment, in one writing style."""

    style: NotesStyle
    text: str = Field(min_length=1)


class Example(BaseModel):
    """A seed accomplishment with the raw notes someone might have written before it existed."""

    id: str = Field(pattern=r"^[a-z_]+-[a-z]+-\d{2}$", description="e.g. 'model_performance-accuracy-01'")
    category: Category
    subcategory: str
    statement: str = Field(min_length=1)
    notes: list[Notes] = Field(min_length=4)
    vague_notes: str = Field(min_length=1, description="The same win told without any figure.")
    vague_statement: str = Field(min_length=1, description="A statement for the vague notes, with no figure.")

    @model_validator(mode="after")
    def _check(self) -> Example:
        if self.subcategory not in self.category.subcategories:
            raise ValueError(f"{self.subcategory!r} is not a subcategory of {self.category.value}")
        if not self.id.startswith(self.category.value + "-"):
            raise ValueError(f"id {self.id!r} does not start with its category {self.category.value!r}")
        missing = set(NOTES_STYLES) - {n.style for n in self.notes}
        if missing:
            raise ValueError(f"{self.id}: no notes in style(s) {sorted(missing)}")
        for field in ("vague_notes", "vague_statement"):
            if any(c.isdigit() for c in getattr(self, field)):
                raise ValueError(f"{self.id}: {field} must not hold a digit")
        return self


class LabelledNotes(BaseModel):
    """Raw notes with the category and subcategory they belong to, and no statement."""

    id: str = Field(pattern=r"^[a-z_]+-\d{2,3}$", description="e.g. 'leadership-07'")
    category: Category
    subcategory: str
    notes: str = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> LabelledNotes:
        if self.subcategory not in self.category.subcategories:
            raise ValueError(f"{self.subcategory!r} is not a subcategory of {self.category.value}")
        return self


def load_examples(path: str | Path) -> list[Example]:
    """Read and validate a JSON-lines file of :class:`Example`; ids must be unique."""
    return _load(path, Example)


def load_labelled_notes(path: str | Path) -> list[LabelledNotes]:
    """Read and validate a JSON-lines file of :class:`LabelledNotes`; ids must be unique."""
    return _load(path, LabelledNotes)


def _load(path: str | Path, kind: type[_Record]) -> list[_Record]:
    examples: list[_Record] = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                examples.append(kind.model_validate(json.loads(line)))
            except (ValidationError, json.JSONDecodeError) as e:
                raise DataError(f"{path}:{lineno}: {e}") from e
    ids = [e.id for e in examples]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise DataError(f"{path}: duplicate ids {duplicates}")
    return examples
