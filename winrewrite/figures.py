"""Find the figures in a piece of text: numbers with their units, money, multipliers and changes.

>>> [f.text for f in extract_figures("p99 340ms->62ms, saved ~$4.8k/mo")]
['340ms', '62ms', '$4.8k']
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from winrewrite.statement import Figure

_MAGNITUDES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9}
_UNITS = (
    r"%|x|×|pp|pts?|percentage points?|points?|ms|msec|µs|us|ns|seconds?|secs?|s|minutes?|mins?|"
    r"hours?|hrs?|h|days?|d|weeks?|wks?|months?|mos?|quarters?|qtrs?|years?|yrs?|"
    r"GB|MB|TB|KB|GiB|MiB|TiB|gpus?|GPUs?|qps|QPS|rps|req/s|requests?/s"
)
# the point that opens a number written without its leading zero ('AUC .71'; not 'v.2' or 'gaps...5')
LEADING_POINT = re.compile(r"(?<![\w.,])\.(?=\d)")
# A figure is a number that is not glued to an identifier such as p99, A100, F1, Q3, NDCG@10, or a ticket's
# or a model's name ('INFRA-412', 'ML-2231', 'GPT-4'; 'sub-200ms' is a figure).
FIGURE_RE = re.compile(
    r"(?<![\w@])(?<!\d[.,])(?<![A-Z]{2}-)"  # not the tail of an identifier or of another number
    r"(?P<cur>[$€£])?\s?"
    rf"(?P<num>\d+(?:[.,]\d+)*|{LEADING_POINT.pattern}\d+)"  # '.71' is 0.71
    r"(?:(?P<mag>\s?(?:k|K|m|M|MM|b|B|bn|thousand|million|billion))(?![A-Za-z]))?"
    rf"(?:[\s-]?(?P<unit>{_UNITS})(?![A-Za-z]))?"  # '4 hours', '4-hour'
)
# A list's numbering is no figure: '(1) ran the loop (2) fixed ...' after a line start or a clause's end, and
# '1) ...' or '1. ...' opening a line; a letter follows ('(2) separately', not '3x (2) faster')
LIST_MARKER = re.compile(r"(?:^|(?<=[\n:;,.])|(?<=[\n:;,.]\s))\s*(?:\(\d\)|(?<![^\n])\s*[-*]?\s*\d[.)])(?=\s+[A-Za-z])")
# numbering inside one line of notes that opens with '1.' ('1. rebuilt the generator 2. recall@100 0.38 -> 0.52')
_INLINE_NUMBER = re.compile(r"(?<=\s)(\d)[.)](?=\s+[A-Za-z])")
_OPENS_LIST = re.compile(r"\s*1[.)]\s+[A-Za-z]")


def list_marker_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` numbers a list (:data:`LIST_MARKER`, and '2.', '3.' ... in order inside notes that open
    with '1.'): numbering, not figures.

    >>> text = "1. two-tower model 2. recall 0.38 -> 0.52"
    >>> [text[a:b] for a, b in list_marker_spans(text)]
    ['1.', '2.']
    """
    spans = [m.span() for m in LIST_MARKER.finditer(text)]
    if _OPENS_LIST.match(text):
        expected = 2
        for m in _INLINE_NUMBER.finditer(text):
            if int(m.group(1)) == expected:
                spans.append(m.span())
                expected += 1
    return sorted(set(spans))


def strip_list_markers(text: str) -> str:
    """``text`` without its list numbering (:func:`list_marker_spans`)."""
    for start, end in reversed(list_marker_spans(text)):
        before = text[:start]
        inline = bool(before.strip()) and not before.rstrip(" \t").endswith(("\n", ":", ";", ",", ".", "("))
        text = before.rstrip() + ", " + text[end:].lstrip() if inline else before + " " + text[end:]
    return text


# a link ('.../2024-q2-lag', whose numbers name a page), up to a closing bracket or the punctuation after it
URL = re.compile(r"\b(?:https?://|www\.)[^\s)\]]*[^\s)\].,;:]", re.IGNORECASE)
_AMBIGUOUS_MAGNITUDE = re.compile(r"^[^$€£]*\d\s?m\Z")  # '55m', '55 m': millions or minutes
_TIME_UNIT = re.compile(r"ms|msec|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|d|days?", re.IGNORECASE)
# Every run of digits, with the separators inside it: what the decoder may write.
DIGITS_RE = re.compile(r"\d+(?:[.,]\d+)*")
QUALIFIER = r"(?:under|below|above|over|about|around|nearly|almost|just|roughly|(?:less|more|fewer) than)"
_CHANGE_RE = re.compile(
    rf"(?:(?:\s+(?:per|a)\s+|\s*/\s*)[A-Za-z]+)?\s*"
    rf"(?:->|→|=>|-->|—>|(?:down |up )?to(?: {QUALIFIER})?(?: an?(?= ))?)\s*(?:[~+−-]\s*)?",
    re.IGNORECASE,
)  # '2.1 per hour to 0.4 per hour' is a change too, and so are '~4,000 to ~1,500', '+22% to +6%', '5 to a 12-person team'
# what a figure counts, and per what, then an arrow: '300 pages/week -> 40', '2K examples -> 18K'
_COUNTED_ARROW = re.compile(r"\s*\w{1,12}(?:\s*/\s*[A-Za-z]+|\s+(?:per|a)\s+[A-Za-z]+)?\s*(?:->|→)\s*")
# the new value first, then the old one: '300 stores (was 40)', '18K, up from 2K'
# the old value, a few words on what it measured, then the new one: '45 min lag in the feature pipeline, now under 2 min'
_NOW_RE = re.compile(rf"(?:\s+[A-Za-z][\w/-]*){{0,8}}\s*[,;]\s*now\s+(?:{QUALIFIER}\s+|~\s*)?", re.IGNORECASE)
_UNIT_SPELLINGS = {"minutes": "min", "minute": "min", "mins": "min", "hours": "h", "hour": "h", "hrs": "h", "hr": "h"}


def _kinds_differ(a: Figure, b: Figure) -> bool:
    """Whether two figures with units are of different kinds: a percentage or money and anything else."""
    if not a.unit or not b.unit:
        return False
    return (a.unit == "%") != (b.unit == "%") or (a.unit == "$") != (b.unit == "$")


def _same_unit(a: str | None, b: str | None) -> bool:
    """'45 min' and '2 minutes' are in the same unit; '340ms' and '2 min' are not, nor are two bare numbers."""
    if not a or not b:
        return False
    return _UNIT_SPELLINGS.get(a.lower(), a.lower()) == _UNIT_SPELLINGS.get(b.lower(), b.lower())


_BACK_RE = re.compile(
    rf"\s*(?:[A-Za-z]+\s*)?(?:\(\s*|[,;]\s*)(?:was|were|up from|down from)\s+(?:{QUALIFIER}\s*|~\s*)?", re.IGNORECASE
)


def _number(raw: str) -> float:
    """Parse '4,800' as 4800 and '1.5' as 1.5; a comma is a thousands separator only before 3 digits."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", raw):
        raw = raw.replace(",", "")
    else:
        raw = raw.replace(",", ".", 1).replace(",", "")
    try:
        return float(raw)
    except ValueError:  # '1.2.3' and the like: compare by text only
        return float("nan")


def extract_figures(text: str) -> list[Figure]:
    """Return the figures of ``text`` in order, each with its character span.

    >>> extract_figures("cut cost by $4,800/month")[0].value
    4800.0
    """
    figures = []
    markers = list_marker_spans(text) + [m.span() for m in URL.finditer(text)]
    for m in FIGURE_RE.finditer(text):
        if any(a <= m.start() < b for a, b in markers):
            continue
        mag = (m.group("mag") or "").strip()
        unit = m.group("unit")
        number = _number(m.group("num"))
        scale = _MAGNITUDES.get(mag.lower(), 1.0)
        if m.group("cur") and mag.lower() == "m":
            scale = 1e6
        figures.append(
            Figure(
                text=m.group(0).strip(),
                start=m.start() + (len(m.group(0)) - len(m.group(0).lstrip())),
                end=m.end(),
                number=number,
                value=number * scale,
                unit=("$" if m.group("cur") else None) or (unit.strip() if unit else None),
            )
        )
    return _compound_durations(text, _minutes_in_time_changes(text, figures))


# a duration in hours and minutes ('1h40m', '1h 40m', '2 hrs 30 min'): its minutes are a figure of their own
_COMPOUND = re.compile(r"(?<![\w.])\d+\s?(?:h|hrs?|hours?)\s?(?P<min>\d{1,2}\s?(?:m|mins?|minutes?))(?![A-Za-z])")


def _compound_durations(text: str, figures: list[Figure]) -> list[Figure]:
    """The minutes of a duration in hours and minutes, which the number pattern misses ('1h40m') or reads as
    millions ('1h 40m'), as a figure in minutes: a statement keeps them ('1 hour 40 minutes')."""
    out = list(figures)
    for m in _COMPOUND.finditer(text):
        start, end = m.span("min")
        number = float(re.match(r"\d+", m.group("min")).group(0))  # type: ignore[union-attr]
        minutes = Figure(text=m.group("min"), start=start, end=end, number=number, value=number, unit="min")
        out = [f for f in out if not start <= f.start < end] + [minutes]
    return sorted(out, key=lambda f: f.start)


def _minutes_in_time_changes(text: str, figures: list[Figure]) -> list[Figure]:
    """A bare 'm' is minutes, not millions, when the figure it changes from or to is a time ('3h -> 25m')."""
    out = list(figures)
    for i, f in enumerate(figures):
        if not _AMBIGUOUS_MAGNITUDE.search(f.text) or f.unit:
            continue
        for j in (i - 1, i + 1):
            if not 0 <= j < len(figures) or not _TIME_UNIT.fullmatch(figures[j].unit or ""):
                continue
            a, b = sorted((f, figures[j]), key=lambda g: g.start)
            if _CHANGE_RE.fullmatch(text[a.end : b.start]):
                out[i] = f.model_copy(update={"value": f.number, "unit": "min"})
                break
    return out


def digit_strings(text: str) -> set[str]:
    """Every digit run in ``text`` ('4,800', '99' in 'p99'): the numbers a statement may copy."""
    return {m.group(0) for m in DIGITS_RE.finditer(text)}


def same_figure(a: Figure, b: Figure) -> bool:
    """True when two figures state the same quantity ('4.8k' and '$4,800'; '55m' and '55 minutes'),
    but not '$3k' and '$3M', nor '$3k' and '$3': a magnitude is part of the figure, except a bare 'm', which
    may be minutes. Numbers that do not parse ('1.2.3', a version) are the same only when their digits are."""
    if math.isnan(a.value) or math.isnan(b.value):
        return DIGITS_RE.findall(a.text) == DIGITS_RE.findall(b.text)
    if _close(a.value, b.value):
        return True
    scaled = [f for f in (a, b) if not _close(f.number, f.value)]
    # '55m' may be minutes, not millions: only a bare lower-case 'm' leaves the magnitude open ('$3k' is not '$3')
    return _close(a.number, b.number) and len(scaled) == 1 and fixed_scale(scaled[0]) is None


def fixed_scale(figure: Figure) -> float | None:
    """The magnitude a figure's number is written with ('$3k' -> 1e3, '1.3B' -> 1e9), or None when it has
    none, or only a bare 'm' ('55m' may be minutes)."""
    if math.isnan(figure.value) or _close(figure.number, figure.value) or _AMBIGUOUS_MAGNITUDE.search(figure.text):
        return None
    return float(10 ** round(math.log10(figure.value / figure.number)))  # exact 1e3, 1e6, 1e9 for any number


def _close(x: float, y: float) -> bool:
    return x == y or abs(x - y) <= 1e-9 * max(abs(x), abs(y))


@dataclass(frozen=True)
class Change:
    """A before→after pair found in the notes, such as '74->91' or 'from 6 hours to 40 minutes'."""

    before: Figure
    after: Figure


def extract_changes(text: str, figures: list[Figure] | None = None) -> list[Change]:
    """Pair figures joined by an arrow or 'to' ('74->91', 'from 23% to 11%'), or written new value first
    ('300 stores (was 40)', '18K, up from 2K').

    >>> [(c.before.text, c.after.text) for c in extract_changes("MAPE 23% -> 11%, covers 300 stores (was 40)")]
    [('23%', '11%'), ('40', '300')]
    """
    figures = extract_figures(text) if figures is None else figures
    changes = []
    for a, b in zip(figures, figures[1:], strict=False):
        gap = text[a.end : b.start]
        if _CHANGE_RE.fullmatch(gap) or _COUNTED_ARROW.fullmatch(gap):
            changes.append(Change(a, b))
        elif _NOW_RE.fullmatch(gap) and _same_unit(a.unit, b.unit):  # '45 min lag ..., now under 2 min'
            changes.append(Change(a, b))
        elif _BACK_RE.fullmatch(gap) and text[a.start - 1 : a.start] != "/" and not _kinds_differ(a, b):
            changes.append(Change(b, a))  # not '4.1/5.0 (was 3.2)', nor '95% of tables under 1h lag, was 60%'
    return changes


def missing_figures(notes_figures: list[Figure], text: str) -> list[Figure]:
    """The figures of the notes that ``text`` does not state."""
    found = extract_figures(text)
    return [f for f in notes_figures if not any(same_figure(f, g) for g in found)]


def invented_figures(notes: str, text: str) -> list[str]:
    """The numbers in ``text`` that the notes do not hold, in any format.

    >>> invented_figures("latency 340ms -> 62ms", "Cut latency from 340 ms to 60 ms on 8 A100s.")
    ['60 ms', '8', '100']
    """
    notes_figures = extract_figures(notes)
    allowed = digit_strings(notes)
    figures = extract_figures(text)
    invented = [f.text for f in figures if not any(same_figure(f, g) for g in notes_figures)]
    # Digits glued to words ('A100', 'p99') are not figures, but they must come from the notes too.
    for m in DIGITS_RE.finditer(text):
        inside = any(f.start <= m.start() < f.end for f in figures)
        if not inside and m.group(0) not in allowed:
            invented.append(m.group(0))
    return invented
