"""Figure-swap augmentation: the same figures replaced consistently in notes and statement.

The model sees each accomplishment with numbers it has never seen, so the only way to get them right
is to copy them from the notes instead of remembering them.
"""

from __future__ import annotations

import random
import re

from winrewrite.figures import extract_changes, extract_figures


def _new_number(old: str, rng: random.Random, percent: bool) -> str:
    """A different number of the same shape: same digit count, decimal places and separators."""
    for _ in range(20):
        new = "".join(str(rng.randint(1 if i == 0 and c != "0" else 0, 9)) if c.isdigit() else c for i, c in enumerate(old))
        if new != old and not (percent and float(new.replace(",", "")) > 100):
            return new
    return old


def swap_figures(notes: str, statement: str, rng: random.Random) -> tuple[str, str] | None:
    """Replace every figure that notes and statement both write the same way; None if there is none.

    Figures glued to names (p99, A100, Q3) are left alone, and a before→after pair keeps its direction.
    """
    figures = extract_figures(statement)
    numbers = {re.search(r"\d+(?:[.,]\d+)*", f.text).group(0): f.unit == "%" for f in figures}  # type: ignore[union-attr]
    note_numbers = {m.group(0) for m in re.finditer(r"\d+(?:[.,]\d+)*", notes)}
    mapping = {old: _new_number(old, rng, pct) for old, pct in numbers.items() if old in note_numbers}
    mapping = {k: v for k, v in mapping.items() if k != v}
    for change in extract_changes(statement, figures):  # keep 'from 74 to 91' an increase
        a, b = (re.search(r"\d+(?:[.,]\d+)*", f.text).group(0) for f in (change.before, change.after))  # type: ignore[union-attr]
        if a in mapping and b in mapping:
            fa, fb = float(mapping[a].replace(",", "")), float(mapping[b].replace(",", ""))
            if (float(a.replace(",", "")) < float(b.replace(",", ""))) != (fa < fb):
                mapping[a], mapping[b] = mapping[b], mapping[a]
    if not mapping or len(set(mapping.values())) < len(mapping):
        return None

    def replace(text: str) -> str:
        pattern = r"(?<![\w@.,])(" + "|".join(map(re.escape, sorted(mapping, key=len, reverse=True))) + r")(?![.,]?\d)"
        return re.sub(pattern, lambda m: mapping[m.group(1)], text)

    return replace(notes), replace(statement)
