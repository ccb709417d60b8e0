"""The held-out split: by example (never by notes version), with a fixed seed and 2 examples per category."""

from __future__ import annotations

import random

from winrewrite.categories import Category
from winrewrite.data import Example

HELD_OUT_PER_CATEGORY = 2
SEED = 13


def split(
    examples: list[Example], seed: int = SEED, per_category: int = HELD_OUT_PER_CATEGORY
) -> tuple[list[Example], list[Example]]:
    """Return (train, held_out). The same seed always gives the same split."""
    rng = random.Random(seed)
    held: set[str] = set()
    for category in Category:
        ids = sorted(e.id for e in examples if e.category == category)
        held.update(rng.sample(ids, per_category))
    return [e for e in examples if e.id not in held], [e for e in examples if e.id in held]
