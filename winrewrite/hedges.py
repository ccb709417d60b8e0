"""Hedges on figures: a figure the notes give as approximate or as a bound ('~45 hrs', 'like 9 hours',
'under 2 min') stays so in the statement, which would otherwise claim more precision than the notes have.

The model drops most such hedges (it wrote 21 of 26 hedged figures of the evaluation's notes without one), so
before the guard reads a candidate :func:`keep_hedges` puts the notes' hedge back in front of each figure that
lost it and turns a bound the notes do not give into what they give, and keeps the edit only when the guard
finds no new problem with the result. The guard rejects a bound left that the notes do not give
(:func:`unfounded_bounds`).

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
_BOUNDS |= {"more than": "more than", "at least": "at least", "above": "above"}
_BOUNDS |= {"<": "under", "<=": "at most", "≤": "at most", "sub": "under", ">": "more than", ">=": "at least", "≥": "at least"}
_HEDGE_WORDS = "|".join(re.escape(w) for w in sorted({**_APPROXIMATE, **_BOUNDS}, key=len, reverse=True) if w[0].isalpha())
_NOTES_HEDGE = re.compile(  # '>' of an arrow ('74->91') is no bound
    rf"(?:(?<![\w.])(?P<word>{_HEDGE_WORDS})\s*|(?P<sign>[~≈≤≥]|<=?|(?<![-=])>=?)\s*|(?<![\w.])(?P<sub>sub)[\s-]?)"
    r"[$€£]?\Z",
    re.IGNORECASE,
)
_PLUS_AFTER = re.compile(r"\+(?![\w$€£])")  # '300+ models'
# the words of a bound, by its direction: a statement may write one only where the notes give that bound
_UPPER = frozenset({"under", "below", "less than", "fewer than", "at most"})
_LOWER = frozenset({"more than", "at least", "above"})
_BOUND_IN_TEXT = re.compile(
    r"(?<![\w.])(?P<word>under|below|less\s+than|fewer\s+than|at\s+most|more\s+than|at\s+least|above)\s+[$€£]?\Z",
    re.IGNORECASE,
)
# a bound or a span ('over 3 weeks'), in notes ('over ~40%') or a statement: never put back
_OVER = re.compile(r"(?<![\w.])(?P<word>over)\s+(?:[~≈]\s*)?[$€£]?\Z", re.IGNORECASE)
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
        said = " ".join((m.group("word") or m.group("sign") or m.group("sub")).lower().split())
        return _APPROXIMATE.get(said) or _BOUNDS.get(said)
    if _ISH.match(notes, figure.end):
        return "about"
    if _PLUS_AFTER.match(notes, figure.end):
        return "more than"
    return None


def _unfounded(notes: str, text: str) -> list[tuple[re.Match[str], str, Figure, set[str | None]]]:
    """Each bound of ``text`` the notes do not give: its match, its words (lower case, single spaces), its figure,
    and the notes' hedges on that figure. 'over' counts only before a figure the notes give as approximate and
    never write 'over' before ('over 45 analyst hours' for '~45 analyst hrs/wk saved' is a bound or a span, and
    neither says 'about')."""
    notes_figures = extract_figures(notes)
    found = []
    for f in extract_figures(text):
        m = _BOUND_IN_TEXT.search(text, 0, f.start) or _OVER.search(text, 0, f.start)
        if m is None:
            continue
        word = " ".join(m.group("word").lower().split())
        twins = [g for g in notes_figures if same_figure(f, g)]
        said = {hedge_of(notes, g) for g in twins}
        over = {"more than" for g in twins if _OVER.search(notes, 0, g.start)}  # 'over 40%': a bound in the notes
        if word == "over":
            if twins and not over and said and said <= set(_APPROXIMATE.values()):
                found.append((m, word, f, said))
        elif twins and not (said | over) & (_UPPER if word in _UPPER else _LOWER):
            found.append((m, word, f, said))
    return found


def unfounded_bounds(notes: str, text: str) -> list[str]:
    """Bounds ``text`` puts on figures that the notes do not give: 'under $18k' for notes that say 'around $18k'
    or just '$18k', 'more than 300' for '300', and 'over 45' for '~45' ('over' is otherwise left alone: 'over 2
    quarters' is a span).

    >>> unfounded_bounds("GPU bill now around $18k a month, was $30k", "Cut the GPU bill from $30k to under $18k a month.")
    ["writes 'under $18k', which the notes give as around $18k"]
    """
    problems = []
    for _, word, f, said in _unfounded(notes, text):
        given = " or ".join(sorted(f"{h} {f.text}" for h in said if h)) or f"exactly {f.text}"
        problems.append(f"writes '{word} {f.text}', which the notes give as {given}")
    return problems


def _correct_bounds(notes: str, text: str) -> str:
    """``text`` with each bound the notes do not give made what they give: the notes' approximate hedge in its
    place ('under $18k' for 'around $18k' -> 'around $18k'), or no word for a figure they give as exact."""
    for m, bound, _, said in reversed(_unfounded(notes, text)):
        if bound == "over":  # a span or a bound: 'about' in its place could break the sentence ('rose over 3 weeks')
            continue
        if said == {None}:
            text = text[: m.start()] + text[m.start("word") + len(m.group("word")) :].lstrip()
        elif len(said) == 1 and (word := said.pop()) in _APPROXIMATE.values():
            text = text[: m.start("word")] + str(word) + text[m.end("word") :]
    return text


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
    becomes 'about 45 hours'), and each bound the notes do not give made what they give ('to under $18k' for
    'around $18k' becomes 'to around $18k'). The edit is kept only if the guard finds no problem with it that
    ``text`` does not already have.

    >>> keep_hedges("bill was $30k/mo, now around $18k", "Cut the GPU bill from $30k a month to under $18k.")
    'Cut the GPU bill from $30k a month to around $18k.'
    """
    from winrewrite.guard import check

    edited = _correct_bounds(notes, text)
    lost = unhedged(notes, edited)
    if not lost and edited == text:
        return text
    notes_figures = extract_figures(notes)
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
