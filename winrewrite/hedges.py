"""Hedges on figures: a figure the notes give as approximate or as a bound ('~45 hrs', 'like 9 hours',
'under 2 min') stays so in the statement, which would otherwise claim more precision than the notes have.

The model drops most such hedges (it wrote 21 of 26 hedged figures of the evaluation's notes without one), so
after the model has written a statement :func:`keep_hedges` puts the notes' hedge back in front of each figure
that lost it, and keeps the edit only when the guard finds no new problem with the result.

>>> keep_hedges("~45 analyst hrs/wk saved after the focal-loss fix", "Saved 45 analyst hours a week with focal loss.")
'Saved about 45 analyst hours a week with focal loss.'
"""

from __future__ import annotations

import logging
import re

from winrewrite.figures import extract_figures, same_figure
from winrewrite.statement import Figure

logger = logging.getLogger(__name__)
_DIGITS = re.compile(r"\d+")

# what the notes write right before an approximate figure, or a bound on one; written as the word in the value
_APPROXIMATE = {"~": "about", "≈": "about", "about": "about", "around": "around", "roughly": "roughly"}
_APPROXIMATE |= {"approx": "about", "approx.": "about", "approximately": "approximately", "circa": "about"}
_APPROXIMATE |= {"like": "about", "some": "about", "maybe": "about", "probably": "about"}
_APPROXIMATE |= {"nearly": "nearly", "almost": "almost"}
# ('up to' is left out: 'got it up to 18K' is a rise, not a bound; 'over 3 weeks' is a span)
_BOUNDS = {"under": "under", "below": "under", "less than": "less than", "fewer than": "fewer than"}
_BOUNDS |= {"more than": "more than", "at least": "at least"}
_HEDGE_WORDS = "|".join(re.escape(w) for w in sorted({**_APPROXIMATE, **_BOUNDS}, key=len, reverse=True) if w[0].isalpha())
_NOTES_HEDGE = re.compile(rf"(?:(?<![\w.])(?P<word>{_HEDGE_WORDS})\s*|(?P<sign>[~≈])\s*)[$€£]?\Z", re.IGNORECASE)
_ISH = re.compile(r"-?ish\b", re.IGNORECASE)  # '20ish teams'
# what already qualifies a figure in a statement: any hedge or bound, 'just', 'over', 'close to'
_QUALIFIED = re.compile(
    rf"(?:(?<![\w.])(?:{_HEDGE_WORDS}|just|over|above|close\s+to|as\s+(?:much|many|few|little)\s+as)\s+|[~≈]\s*)[$€£]?\Z",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"(?<![\w-])(?:a|an)\s+[$€£]?\Z", re.IGNORECASE)
_CURRENCY = "$€£"
# the words a statement writes a hedge with: saying what the notes say, not content of its own
HEDGE_WORDS = frozenset(w for words in (*_APPROXIMATE.values(), *_BOUNDS.values()) for w in words.split())


def hedge_of(notes: str, figure: Figure) -> str | None:
    """The word a statement should put before ``figure`` of ``notes`` to say what they say about its precision
    ('about' for '~45', 'under' for 'under 2 min'), or None when the notes give it as exact."""
    if (m := _NOTES_HEDGE.search(notes, 0, figure.start)) is not None:
        said = (m.group("word") or m.group("sign")).lower()
        said = " ".join(said.split())
        return _APPROXIMATE.get(said) or _BOUNDS.get(said)
    if _ISH.match(notes, figure.end):
        return "about"
    return None


def _hedges(notes: str, figures: list[Figure], figure: Figure) -> str | None:
    """The one hedge every figure of the notes that states the same quantity as ``figure`` carries, else None
    (no twin, an exact twin, or twins with different hedges: the statement may mean either)."""
    words = {hedge_of(notes, g) for g in figures if same_figure(figure, g)}
    return words.pop() if len(words) == 1 else None


def unhedged(notes: str, text: str) -> list[Figure]:
    """Figures of ``text`` that the notes hedge ('~45', 'under 2 min') and that ``text`` states with no hedge.

    >>> [f.text for f in unhedged("about 30% fewer pages, 12 teams", "Cut pages by 30% for 12 teams.")]
    ['30%']
    """
    notes_figures = extract_figures(notes)
    return [f for f in extract_figures(text) if _hedges(notes, notes_figures, f) and not _QUALIFIED.search(text, 0, f.start)]


def _insert(text: str, figure: Figure, word: str) -> str:
    """``text`` with ``word`` before ``figure`` (and before its currency sign); after 'a' or 'an' an approximate
    figure takes 'roughly' ('a roughly 70% lift'), and a bound is not put there."""
    start = figure.start - 1 if figure.start > 0 and text[figure.start - 1] in _CURRENCY else figure.start
    if (article := _ARTICLE.search(text, 0, figure.start)) is not None:
        if word in _BOUNDS.values():
            return text
        return f"{text[: article.start()]}{'A' if text[article.start()].isupper() else 'a'} roughly {text[start:]}"
    return f"{text[:start]}{word} {text[start:]}"


def keep_hedges(notes: str, text: str) -> str:
    """``text`` with the notes' hedge put back before each figure that lost it ('~45 hrs' written as '45 hours'
    becomes 'about 45 hours'). The edit is kept only if the guard finds no problem with it that ``text`` does not
    already have."""
    from winrewrite.guard import check

    lost = unhedged(notes, text)
    if not lost:
        return text
    notes_figures = extract_figures(notes)
    edited = text
    for f in sorted(lost, key=lambda f: f.start, reverse=True):  # from the end, so earlier offsets still hold
        word = _hedges(notes, notes_figures, f)
        if word is not None:
            edited = _insert(edited, f, word)
    if edited == text:
        return text
    before = {_DIGITS.sub("#", p) for p in check(notes, text)}  # 'has 56 words' is the same problem as 'has 55 words'
    if new := [p for p in check(notes, edited) if _DIGITS.sub("#", p) not in before]:
        logger.debug("hedges not put back (%s): %s", "; ".join(new), edited)
        return text
    logger.debug("hedges put back: %s", edited)
    return edited
