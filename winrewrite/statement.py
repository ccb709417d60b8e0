"""The pydantic contract that ``rewrite`` returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from winrewrite.categories import Category

Strength = Literal["weak", "better", "strong"]
Source = Literal["model", "fallback"]


class Figure(BaseModel):
    """A number found in the notes, with the characters it came from (``notes[start:end] == text``)."""

    text: str = Field(description="The figure as written, e.g. '$4.8k' or '340ms'.")
    start: int = Field(ge=0, description="Offset of the first character in the notes.")
    end: int = Field(ge=0, description="Offset one past the last character in the notes.")
    number: float = Field(description="The number as written, e.g. 4.8 for '$4.8k'.")
    value: float = Field(description="The number with its magnitude applied, e.g. 4800.0 for '$4.8k'.")
    unit: str | None = Field(default=None, description="'%', 'x', 'ms', '$', ... when one is attached.")


class Statement(BaseModel):
    """One accomplishment statement: [Action] + [Specific work] + [Measurable result].

    >>> s = Statement(text="Cut p99 latency from 340ms to 62ms.", category=Category.MODEL_PERFORMANCE,
    ...               subcategory="Latency & Cost Optimization", strength="strong")
    >>> s.category.value
    'model_performance'
    """

    text: str = Field(description="The polished statement, one sentence.")
    category: Category
    category_scores: dict[Category, float] = Field(default_factory=dict, description="Probability of each of the six categories.")
    subcategory: str
    figures: list[Figure] = Field(default_factory=list, description="The figures of the notes that the text uses.")
    strength: Strength
    suggestions: list[str] = Field(default_factory=list)
    source: Source = Field(default="model", description="'fallback' when the model's candidates all failed the guard.")
    notes: str = Field(default="", description="The notes the statement was written from (after any truncation).")
    warnings: list[str] = Field(default_factory=list, description="What was done to the input, e.g. truncation.")

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        from winrewrite.display import statement_html

        return statement_html(self)


class Statements(list[Statement]):
    """A list of statements that renders as HTML cards in Jupyter (what ``rewrite_many`` returns)."""

    def _repr_html_(self) -> str:
        from winrewrite.display import statements_html

        return statements_html(self)
