"""Check a candidate statement against the notes before it is returned.

A candidate passes when it invents no figure, keeps every figure of the notes, is one sentence,
starts with a past-tense action verb, has a sensible length and copies no shorthand.

>>> check("p99 340ms->62ms after int8", "Reduced the ranking model's p99 latency from 340ms to 62ms with INT8 quantization.")
[]
>>> check("p99 340ms->62ms after int8", "Reduced the ranking model's p99 latency to 62ms with INT8 quantization on 8 GPUs.")
['invents the figure 8 GPUs', 'drops the figure 340ms']
"""

from __future__ import annotations

import bisect
import re

from winrewrite.figures import (
    DIGITS_RE,
    QUALIFIER,
    Change,
    digit_strings,
    extract_changes,
    extract_figures,
    invented_figures,
    missing_figures,
    same_figure,
)
from winrewrite.hedges import HEDGE_WORDS, unfounded_bounds
from winrewrite.shorthand import expand_shorthand
from winrewrite.statement import Figure

MIN_WORDS, MAX_WORDS = 12, 55  # the training statements run 15 to 41 words; the evaluation's form is 12 to 60
# Past-tense verbs that do not end in -ed; a candidate's first word must be one of these or end in -ed.
IRREGULAR_PAST = frozenset(
    "built led ran wrote drove made cut set took brought won taught found grew rebuilt began spun sped "
    "held kept oversaw rewrote undertook shot sold bought thought sought stood understood upheld withdrew "
    "met put read split shut spent sent lent bent dealt meant fed got forgave chose gave drew overcame "
    "became broke rode rose saw told shrank swung laid paid dug hit beat rethought overrode underwent outgrew".split()
)
_NOT_PAST = frozenset("need speed feed seed bed red shed breed embed proceed exceed succeed".split())
SHORTHAND = re.compile(r"->|→|=>|<-|~|\bw/|\bb/c\b|\bhrs?/wk\b|\bTODO\b|\.\.\.")
# blanks, placeholders, rules of dashes, HTML entities, markup, links
JUNK = re.compile(  # text no statement holds; the decoding constraint never writes a token that does
    r"_{2,}|-{3,}|={3,}|&[a-z]+;|&#\d+;|[$€£][A-Za-z]|[{}<>\[\]|\\^`*]|https?://|www\.|[ĠĊ▁]"  # last: tokenizer marks
)
_NEGATIVE = re.compile(r"(?:^|[\s(])[-−]\s?\Z")  # what precedes a negative figure: a minus sign, not a hyphen ('6-week')
_LEADING_AMPERSAND = re.compile(r"(?<!\w)&\w")  # 'from &simulating' ('R&D' and ' & ' are prose)
# a sign that belongs to a number or a word, standing apart: ' +%', ' ×overhead', ' _per', ' -big', 'ms%'
LOOSE_SIGN = re.compile(r"(?<!\S)[+%×_/]|(?<!\S)-[A-Za-z]|(?<=[A-Za-z])%")
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z0-9]")
SPACED_PUNCTUATION = re.compile(r"\s[.,;:!?]")  # 'cutting conversion by .': a word or a figure went missing
DANGLING_WORDS = frozenset(
    "to from at in on of and or for with by per than across into the a an its their our "
    "under about around nearly roughly approximately almost".split()  # a hedge with no figure after it
)
_DANGLING_END = re.compile(rf"\b(?:{'|'.join(DANGLING_WORDS)})\W*\Z", re.IGNORECASE)  # a sentence cannot end on these
# A name: a word with a capital letter after the first word ('Triton', 'TensorRT', 'ONNX').
WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#&.'/-]*[A-Za-z0-9+#]|[A-Za-z]")
_GENERIC_NAMES = frozenset("ml ai api apis gpu gpus cpu cpus llm llms a/b ci/cd".split())
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_GENERIC_KEYS = frozenset(_NOT_ALNUM.sub("", g) for g in _GENERIC_NAMES)
_UNIT_FAMILIES = {
    "%": "%",
    "pp": "pp",
    "percentage points": "pp",
    "percentage point": "pp",
    "points": "pp",
    "point": "pp",
    "pts": "pp",
    "pt": "pp",
    "x": "x",
    "×": "x",
    "$": "$",
}


_HALF_CHANGE = re.compile(
    rf"\bfrom\s+(?:{QUALIFIER}\s+)?[$€£]?\d[^\s]*(?:\s+[A-Za-z%/-]+){{0,3}}?\s+to\s+(?P<end>[^,;]{{0,40}})", re.IGNORECASE
)
# 'from rollover to ...': a change whose starting point (its first word) the notes never mention
_WORD_CHANGE = re.compile(r"\bfrom\s+(?:(?:the|a|an|its|their|our)\s+)?([A-Za-z][A-Za-z-]*)(?:\s+[A-Za-z-]+){0,2}?\s+to\s+", re.I)
_TO_ITSELF = re.compile(r"\bfrom\s+(?:the\s+|an?\s+)?([A-Za-z][\w-]*)\s+to\s+(?:the\s+|an?\s+)?\1\b(?![\w-])", re.IGNORECASE)
_NO_END = re.compile(r"\bfrom\b[^,;]{0,60}?\bto\s+[-–—(]")
# a verb of change and 'from' a figure, with no 'to' in the rest of the clause: 'failed requests fell from 12%.'
_FROM_ONLY = re.compile(
    r"\b(?:fell|dropped|rose|grew|went|jumped|climbed|declined|cutting|reducing|raising|improving|increasing|lowering|"
    r"lifting|shrinking|boosting|cut|reduced|raised|improved|increased|lowered|lifted|shrank|boosted)\b"
    r"[^,;.—–]{0,60}?\bfrom\s+(?:an?\s+)?(?:about\s+|roughly\s+|nearly\s+)?(?:[$€£]?\d[\d.,]*|zero\b)(?![\d.,]*[^,;—–]*?\bto\b)"
    r"[^,;—–]*?(?:[,;—–]|\.(?!\d)|\Z)",
    re.IGNORECASE,
)
_QUALIFIER = re.compile(rf"^(?:(?:{QUALIFIER}|a|an|the)\s+)+")
_TIME_WORD = re.compile(
    r"ms|msec|µs|us|ns|seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|days?|d|weeks?|wks?|w|months?|mos?|"
    r"quarters?|qtrs?|years?|yrs?",
    re.IGNORECASE,
)
_PERIOD_WORDS = r"daily|weekly|monthly|quarterly|yearly|annual(?:ly)?"  # a period as an adjective
_PERIODS = {
    "day": ("d", "day", "daily"),
    "week": ("w", "week", "wk"),
    "month": ("mo", "month"),
    "quarter": ("q", "quarter", "qtr"),
    "year": ("y", "year", "yr", "annual"),
}
_PERIOD = re.compile(
    r"^[^,;.]{0,20}?(?:/\s*|\bper\s+|\ba\s+|\bevery\s+|\beach\s+)(days?|d|weeks?|wks?|w|months?|mos?|mo|quarters?|qtrs?|q|years?|yrs?|y)\b"
    rf"|^[^,;.]{{0,20}}?\b({_PERIOD_WORDS})\b",
    re.IGNORECASE,
)
# a period anywhere after a figure, or before it in its clause: 'hours per week', '$2M a year', '/mo',
# 'weekly', 'analyst-time-per-week spend by 45 hours'
_ANY_PERIOD = re.compile(
    r"\b(?:per|a|an|every|each)[\s-]+(?:day|week|month|quarter|year|sprint)|/\s*(?:d|day|wk|week|mo|month|yr|year)\b"
    rf"|\b(?:{_PERIOD_WORDS})\b",
    re.IGNORECASE,
)
_RATIO_UNITS = frozenset({"%", "pp", "x", "$"})
# words that make the number after them a label, not a quantity: 'week 2', 'v3', 'phase 1'
_LABEL_BEFORE = re.compile(  # '#' marks a number that names a thing ('PR #4411'): not '4411 orders'
    r"(?:(?<!\w)(#)|\b(?:(day|week|wk|month|quarter|qtr|year|yr|sprint|phase|stage|step|round|iteration|version|v|gen|tier|level|wave)"
    r"|(batch)(?:\s+sizes?)?(?:\s+of)?"  # 'batch 64', 'a batch size of 64': not '64 GPUs'
    r"|(p)(?:[\s-]*values?)?\s*(?:[=<>≤≥]|of|under|below|at)?))\s?\Z",  # 'p=0.003', 'a p-value of 0.003': not 'at 0.003'
    re.IGNORECASE,
)
_LABEL_SPELLING = {"wk": "week", "qtr": "quarter", "yr": "year"}  # 'by wk 2' and 'by week 2' name the same week


def _label(m: re.Match[str] | None) -> str | None:
    """The label word a :data:`_LABEL_BEFORE` match found, spelled out ('wk' -> 'week'), or None."""
    if m is None:
        return None
    word = (m.group(1) or m.group(2) or m.group(3) or m.group(4)).lower()
    return _LABEL_SPELLING.get(word, word)


_WORDS_AFTER = re.compile(r"[\s-]*([A-Za-z]+)\b(?:[\s-]([A-Za-z]+)\b)?")  # '140 model-years', '200 model years'
# a word only code holds ('accuracy_threshold', 'k=5'): it may be copied from the notes, never made up
_CODE_WORD = re.compile(r"[^\s(),;:]*(?:[A-Za-z0-9]_[A-Za-z0-9]|=)[^\s(),;:]*")
_NEXT_WORD = re.compile(r"\s+([A-Za-z]+)")
_FRACTION_AFTER = re.compile(r"/\d")  # '10/10', '29/30': the first number of a score or a fraction
_FRACTION_BEFORE = re.compile(r"\d/\Z")  # and the second
_FUNCTION_WORDS = frozenset(
    "to from at in on of and or for vs versus with by per than over under after before across since so but "
    "then when while as the a an is was were are now "
    # units spelled out: the figure already is a percentage, points, money or a multiple
    "percent pct pts pt points point dollars dollar usd bucks times fold thousand million billion "
    "arr mrr gmv revenue rev sales spend".split()
)
_CALENDAR_UNITS = frozenset("day week month quarter year".split())  # '3-month-old', 'a 5-year trend'
_SPELLED_UNITS = frozenset("percent pct pts pt points point percentage dollars dollar usd times fold".split())


_TIME_UNITS = (
    ("ms", ("ms", "msec")),
    ("us", ("µs", "us")),
    ("ns", ("ns",)),
    ("min", ("min",)),
    ("mo", ("mo",)),
    ("s", ("s",)),
    ("h", ("h",)),
    ("d", ("d",)),
    ("w", ("w",)),
    ("q", ("q",)),
    ("y", ("y",)),
)


def _canonical_unit(unit: str | None) -> str | None:
    """'%', 'pp', 'x', '$', or a time unit ('ms', 'h', 'd', ...) for the many ways of writing each."""
    if unit is None:
        return None
    if unit in _UNIT_FAMILIES:
        return _UNIT_FAMILIES[unit]
    u = unit.lower()
    for canonical, prefixes in _TIME_UNITS:
        if u.startswith(prefixes):
            return canonical
    return u


def unit_family(unit: str | None) -> str | None:
    """The kind of quantity of a unit: '%', 'pp', 'x', '$', 'time', another unit, or None."""
    canonical = _canonical_unit(unit)
    return "time" if canonical in {c for c, _ in _TIME_UNITS} else canonical


def starts_with_action_verb(text: str) -> bool:
    """True when the first word is a past-tense verb ('Reduced', 'Built', 'Led')."""
    m = re.match(r"\s*([A-Za-z]+(?:-[A-Za-z]+)*)\b", text)
    if not m:
        return False
    word = m.group(1).lower().rsplit("-", 1)[-1]  # 'Fine-tuned' -> 'tuned'
    return word in IRREGULAR_PAST or (word.endswith("ed") and len(word) > 4 and word not in _NOT_PAST)


def shortest_for(notes: str) -> int:
    """The fewest words a statement for ``notes`` may have: ``MIN_WORDS``, or as many as notes shorter than
    that hold. Seven words of notes ('distilled 7B to 1.3B for intent classification') make an honest
    statement of eight ('Distilled 7B to 1.3B for the intent-classification model.'); twelve would need a
    claim the notes do not make.

    >>> shortest_for("distilled 7B to 1.3B for intent classification"), shortest_for("word " * 40)
    (7, 12)
    """
    return max(1, min(MIN_WORDS, len(notes.split())))


# a verb ending in 'e' with 'ed' or 'ing' glued on whole ('upgradeed', 'automateing'), and the real words so spelt
_DOUBLED_E = re.compile(r"\b[A-Za-z]*[^\Waeiou]e(?:ed|ing)\b", re.IGNORECASE)
_REAL_EE_WORDS = frozenset(
    "agreed disagreed freed guaranteed decreed refereed pedigreed proceed succeed exceed indeed need feed speed breed "
    "bleed greed seed weed reed deed heed steed creed tweed being seeing fleeing agreeing disagreeing guaranteeing "
    "freeing singeing dyeing hoeing shoeing toeing canoeing eyeing teeing refereeing overseeing foreseeing".split()
)


def form_problems(text: str, min_words: int = MIN_WORDS, signed_levels: frozenset[str] = frozenset()) -> list[str]:
    """What is wrong with the form of a statement, independent of the notes (but for ``min_words``: see
    :func:`shortest_for`, and ``signed_levels``: see :func:`signed_levels`)."""
    problems = []
    words = len(text.split())
    if not min_words <= words <= MAX_WORDS:
        problems.append(f"has {words} words (want {min_words} to {MAX_WORDS})")
    if not starts_with_action_verb(text):
        problems.append("does not start with a past-tense action verb")
    if "\n" in text or _SENTENCE_BREAK.search(text.rstrip(".")) or not text.rstrip().endswith("."):
        problems.append("is not one sentence ending in a full stop")
    if SPACED_PUNCTUATION.search(text) or _DANGLING_END.search(text):
        problems.append("leaves a gap: punctuation after a space, or a last word like 'by' or 'the'")
    junk = JUNK.search(text) or _LEADING_AMPERSAND.search(text)
    if junk:
        problems.append(f"holds {junk.group(0)!r}, which is not prose")
    loose = next((m for m in LOOSE_SIGN.finditer(text) if not _signed_level_at(text, m.start(), signed_levels)), None)
    if loose:
        problems.append(f"holds {loose.group(0).strip()!r} apart from any number or word")
    shorthand = SHORTHAND.search(text)
    if shorthand:
        problems.append(f"copies shorthand {shorthand.group(0)!r}")
    misspelt = [m.group(0) for m in _DOUBLED_E.finditer(text) if m.group(0).lower() not in _REAL_EE_WORDS]
    if misspelt:
        problems.append(f"misspells {misspelt[0]!r}")  # 'Upgradeed': the model's 'Upgrade' and 'ed'
    tokens = re.findall(r"[a-z0-9]+", text.lower())
    trigrams = [tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)]
    if len(set(trigrams)) < len(trigrams) or re.search(r"\b(\w+)(?:'s)?\s+\1s?\b", text, re.IGNORECASE):
        problems.append("repeats itself")
    return problems


ADOPTED = re.compile(r"\badopt\w*", re.IGNORECASE)
# what notes say when others took the work up ('everyone uses it now', 'payments team asked to reuse it')
_TAKEN_UP = re.compile(
    r"\b(?:adopt\w*|standard\w*|std|default|requir\w*|mandat\w*|us(?:e|es|ed|ing)|reus\w*|everyone|teams?|rolled out|"
    r"since|went in|signed off)\b",
    re.IGNORECASE,
)


def says_taken_up(notes: str) -> bool:
    """Whether ``notes`` say that others took the work up: only then may a statement say it was adopted."""
    return bool(_TAKEN_UP.search(notes))


def unsupported_adoption(notes: str, text: str) -> list[str]:
    """A claim that the work was adopted ('— adopted as the default model for the next campaign') for notes
    that never say anyone took it up: the seed statements often end so, and the model copies the habit."""
    m = ADOPTED.search(text)
    return [f"says '{m.group(0)}', but the notes do not say anyone took the work up"] if m and not says_taken_up(notes) else []


def unsupported_names(notes: str, text: str) -> list[str]:
    """Names in ``text`` (capitalized words after the first) that the notes never mention, in any case."""
    flat = flatten(notes)
    names = []
    for i, m in enumerate(WORD.finditer(text)):
        if i == 0 or text[: m.start()].rstrip(" $").endswith(tuple("0123456789")):  # '6K/month' is a figure
            continue
        names += unknown_parts(flat, m.group(0))
    return names


def flatten(notes: str) -> str:
    """The notes in lower case with letters and digits only: a name is mentioned if its letters are in here."""
    return _NOT_ALNUM.sub("", notes.lower())


def unknown_parts(flat: str, word: str, partial: bool = False) -> list[str]:
    """The capitalized parts of ``word`` (split at hyphens) that the ``flat`` notes never mention. With
    ``partial`` (a word still being written), a part that may yet become a generic name is not unknown."""
    unknown = []
    for part in (word[:-2] if word.endswith("'s") else word).rstrip(".").split("-"):
        if part.lower() in _GENERIC_NAMES or part == part.lower():
            continue
        key = _NOT_ALNUM.sub("", part.lower())
        if not key or key in flat or key.rstrip("s") in flat:
            continue
        if partial and any(g.startswith(key) for g in _GENERIC_KEYS):
            continue
        unknown.append(part)
    return unknown


def counts_something(notes: str, figure: Figure) -> bool:
    """True when a unitless figure is followed in the notes by the thing it counts ('45 analyst hours',
    '3 models'), or is either number of a score or a fraction ('rated 10/10', 'met 29/30 days'), so a '%',
    'x' or '$' on it in a statement would change what it says."""
    if figure.unit is not None:
        return False
    if _FRACTION_AFTER.match(notes, figure.end) or _FRACTION_BEFORE.search(notes[: figure.start]):
        return True
    m = _NEXT_WORD.match(notes, figure.end)
    return m is not None and m.group(1).lower() not in _FUNCTION_WORDS


def _time_units_near(text: str, figure: Figure) -> set[str | None]:
    """The time unit of a figure, or of the one or two words after it ('45 analyst hrs' -> {'h'})."""
    words = [figure.unit or "", *re.findall(r"[A-Za-z]+", text[figure.end : figure.end + 30])[:2]]
    return {_canonical_unit(w) for w in words if _TIME_WORD.fullmatch(w)}


def _drops_ratio_unit(notes: str, text: str, figure: Figure, twins: list[Figure]) -> bool:
    """'23%' or '5x spike' written as a bare '23' or '5' (not '5 times', not the start of 'from 23 to 11%'):
    a percentage, amount or multiple lost its unit. '8x A100' and 'reused 3x since' may become counts."""
    m = _NEXT_WORD.match(text, figure.end)
    if m is not None and m.group(1).lower() in _SPELLED_UNITS:
        return False
    if _METRIC_THEN_POINTS.match(text, figure.end):  # '+9 F1 points' for 'F1 +9 pts'
        return False
    if any(c.before == figure and c.after.unit for c in extract_changes(text)):
        return False
    return all(unit_must_stay(notes, g) for g in twins)


# 'from about 0.8 cents per page to 12 million pages': a change of a statement, however many words its first figure takes
_FROM_TO = re.compile(
    rf"\bfrom\s+(?:an?\s+)?(?:{QUALIFIER}\s+)?[$€£]?(?P<a>\d[\d.,]*)(?:[^\s,;]*)(?:\s+[A-Za-z%/-]+){{0,4}}?"
    rf"\s+to\s+(?:{QUALIFIER}\s+)?[$€£]?(?P<b>\d[\d.,]*)",
    re.IGNORECASE,
)


def _things_counted(notes: str, figure: Figure) -> set[str]:
    """The stems of the one or two words after a bare number of the notes that name what it counts ('12 million
    pages a year' -> {'pages'}); none for a unit, a word of time or rate, or a function word."""
    if figure.unit is not None or not re.match(r"\s+[A-Za-z]", notes[figure.end :]):
        return set()
    phrase = re.split(r"[,;:()\n]", notes[figure.end : figure.end + 30])[0]  # the count's own phrase ('3 teams, 11 people')
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", phrase)[:2]]
    skip = _FUNCTION_WORDS | _GLUE_WORDS | _RATE_WORDS
    return {stem(w) for w in words if len(w) > 2 and w not in skip and not _TIME_WORD.fullmatch(w)}


def _counts_of_two_things(
    notes: str, text: str, notes_figures: list[Figure], text_figures: list[Figure], notes_changes: list[Change]
) -> list[tuple[Figure, Figure]]:
    """Changes 'from A to B' of ``text`` whose two numbers the notes give as counts of different things and
    do not pair ('paying about 0.8 cents a page, doing 12 million pages a year' written as 'from about 0.8 cents
    per page to 12 million pages')."""
    found = []
    for m in _FROM_TO.finditer(text):
        a = next((f for f in text_figures if f.start <= m.start("a") < f.end), None)
        b = next((f for f in text_figures if f.start <= m.start("b") < f.end), None)
        if a is None or b is None or any(same_figure(a, c.before) and same_figure(b, c.after) for c in notes_changes):
            continue
        befores, afters = twins_of(a, notes_figures), twins_of(b, notes_figures)
        # the twins that count something ('3 teams', not 'wk 3')
        befores, afters = ([g for g in twins if _things_counted(notes, g)] for twins in (befores, afters))
        counted = [[_things_counted(notes, g) for g in twins] for twins in (befores, afters)]
        paired = any(_PAIRING.search(notes[min(x.end, y.end) : max(x.start, y.start)]) for x in befores for y in afters)
        if all(counted) and not paired and not set().union(*counted[0]) & set().union(*counted[1]):
            found.append((a, b))
    return found


# what joins two numbers of the notes into one change, however far apart ('12 models -> 4', '200 cold trials to 15')
_PAIRING = re.compile(r"->|→|=>|\b(?:to|from|vs|versus|instead|was|were|now|down|up)\b", re.IGNORECASE)


def _spans_of_time(figures: list[Figure]) -> bool:
    """Whether every one of ``figures`` carries a unit of time ('6 months', '31h')."""
    return all(g.unit is not None and _TIME_WORD.fullmatch(g.unit) for g in figures)


# a number that counts a unit of time a word later ('45 analyst hrs/wk'), not a rate's period ('2M images/day',
# '1 a month', '0 this quarter') nor a shorthand ('12K summaries w/')
_COUNTED_IN_TIME = re.compile(
    r"\s*(?:(?!(?:a|an|per|the|this|that|each|every|last|next)\s)[A-Za-z-]+\s+)?"
    r"(?:ms|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|mos?|quarters?|qtrs?|years?|yrs?)\b(?!/\s)",
    re.IGNORECASE,
)


def _drops_time_unit(notes: str, text: str, figure: Figure, twins: list[Figure], changes: list[Change]) -> bool:
    """A span of time of the notes ('~1 week', '31h', '~45 analyst hrs/wk') written as a bare number, with no unit
    of time after it and none taken from the end of its change ('from 6 to 10 weeks') or its range ('2-3 weeks')."""
    return (
        not _time_units_near(text, figure)
        and (_spans_of_time(twins) or all(_COUNTED_IN_TIME.match(notes, g.end) for g in twins))
        and not any(c.before == figure and c.after.unit for c in changes)
        and not _RANGE_ON.match(text, figure.end)
    )


_RANGE_ON = re.compile(r"\s*(?:-|–|to)\s*\d")
_METRIC_THEN_POINTS = re.compile(r"\s+[A-Za-z][\w@-]{0,12}\s+(?:percentage\s+)?(?:points?|pts?|pp)\b", re.IGNORECASE)


def unit_must_stay(notes: str, figure: Figure) -> bool:
    """Whether a statement that writes the number of ``figure`` (of the notes) must write its unit too: a
    percentage, points, money, or a multiple that qualifies the word after it ('5x spike', not '8x A100'
    or 'reused 3x since')."""
    family = unit_family(figure.unit)
    if family == "x":
        after = _NEXT_WORD.match(notes, figure.end)
        return after is not None and after.group(1).islower() and after.group(1) not in _FUNCTION_WORDS
    return family in _RATIO_UNITS


def _clause_start(text: str, end: int) -> int:
    """Where the clause holding position ``end`` starts: just after the last comma, semicolon or dash before it."""
    return max(text.rfind(mark, 0, end) for mark in (",", ";", "—", "–", " - ")) + 1


def _other_period(text: str, figure: Figure, period: str) -> str | None:
    """A word of another period in the clause after a figure counted per ``period`` ('$60k/yr in monthly
    hosting costs' -> 'monthly'), else None."""
    clause = re.split(r"[,;]|\s[—–-]\s|\b(?:and|with|without|that|which|while|but)\b", text[figure.end :], maxsplit=1)[0]
    near = " ".join(clause.split()[:4])  # the figure's own phrase: '/yr in monthly hosting'
    for m in re.finditer(rf"\b({_PERIOD_WORDS})\b", near, re.IGNORECASE):
        word = m.group(1).lower()
        if not any(word.startswith(spelling) for spelling in _PERIODS[period] if len(spelling) > 2):
            return m.group(1)
    return None


def _period_near(text: str, figure: Figure) -> str | None:
    """The period a rate is counted over, just after a figure ('45 analyst hrs/wk' -> 'week')."""
    m = _PERIOD.search(text[figure.end : figure.end + 30])
    if not m:
        return None
    word = (m.group(1) or m.group(2) or m.group(3) or m.group(4)).lower()
    return next(period for period, spellings in _PERIODS.items() if word.startswith(spellings))


CHANGE_WORD = re.compile(r"\b(?:to|from|vs|versus|down|up)\b")
BACKWARD_WORD = re.compile(r"\b(?:from|vs|versus|over|compared|against|instead|rather|was)\b")
CLAUSE_BREAK = re.compile(r"[;—–]|\band\b")  # what a change's two figures may not have between them


def kept_as_change(text: str, change: Change, figures: list[Figure] | None = None) -> bool:
    """Whether ``text`` states a before→after pair of the notes as one change: the two figures in one clause,
    joined by 'to', 'from', 'vs' ('from 340 ms to 85 ms', '85 ms, down from 340 ms'), with no figure between.
    A text that lacks either figure passes here (a dropped figure is another check's business). ``figures``:
    those of ``text``, if already found.

    >>> c = extract_changes("p99 340ms->85ms")[0]
    >>> kept_as_change("Cut p99 latency from 340 ms to 85 ms.", c)
    True
    >>> kept_as_change("Held p99 at 340 ms and cut the cutover to 85 ms.", c)
    False
    """
    figures = extract_figures(text) if figures is None else figures
    pairs = _written_pairs(change, figures)
    for a, b in pairs:
        first, second, joins = (a, b, CHANGE_WORD) if a.end <= b.start else (b, a, BACKWARD_WORD)
        gap = text[first.end : second.start]
        between = any(first.end <= f.start < second.start for f in figures)
        if len(gap) <= 60 and joins.search(gap) and not CLAUSE_BREAK.search(gap) and not between:
            return True
    return not pairs


def _written_pairs(change: Change, figures: list[Figure]) -> list[tuple[Figure, Figure]]:
    """Every place a text's ``figures`` write a change's first number and its second; none if either is missing."""
    befores = [f for f in figures if same_figure(f, change.before)]
    return [(a, b) for a in befores for b in figures if same_figure(b, change.after)]


# 'from 340 ms', 'from about $3k', and a chain's next step: 'from 0.61 to 0.74 to 0.79'
_FROM_BEFORE = re.compile(
    r"\b(?:from,?|to)\s+(?:(?:about|roughly|nearly|almost|over|under|a|an)\s+)?[+\-−]?[$€£]?\Z", re.IGNORECASE
)
# a verb of change right before the first number: 'compress a 340M model to a 22M one', 'cut p99 340 ms to 85 ms'
_VERB_TO = re.compile(
    r"\b(?:compress|shr[ia]nk|cut|reduc|lower|rais|gr[eo]w|scal|expand|distill|increas|decreas|lift|boost|improv|dropp)\w*"
    r"\s+(?:[\w'-]+\s+){0,3}[$€£]?\Z",
    re.IGNORECASE,
)
_ARROW = re.compile(r"->|→|=>|-->|—>")
_BACK_JOIN = re.compile(r"\b(?:from|instead of|vs|versus|compared|against|was)\b", re.IGNORECASE)


def _told_as_change(notes: str, change: Change) -> bool:
    """Whether the notes mark a pair as a change, with an arrow or 'from' ('74->91', 'from 6 to 2 days'),
    rather than a range they may also mean ('a team of 5 to 10 people', 'week 2 to 4')."""
    first, second = sorted((change.before, change.after), key=lambda f: f.start)
    return bool(_ARROW.search(notes[first.end : second.start]) or _FROM_BEFORE.search(notes[: first.start]))


def _told_from(text: str, change: Change, figures: list[Figure]) -> bool:
    """Whether ``text`` tells a change of the notes the way careful statements do (689 of 693 training
    statements): 'from 340 ms to 85 ms', right after a verb of change ('compressed a 340M model to a 22M
    one'), or the new value first, '85 ms, down from 340 ms' or '2 days instead of 2 weeks'; not 'using WAPE
    23.4% to 17.9%' or 'a 2k-to-18k pipeline'. A text that lacks either figure passes here.

    >>> c = extract_changes("p99 340ms->85ms")[0]
    >>> _told_from("Cut p99 latency from 340 ms to 85 ms.", c, extract_figures("Cut p99 latency from 340 ms to 85 ms."))
    True
    >>> _told_from("Built a 340-ms-to-85-ms serving path.", c, extract_figures("Built a 340-ms-to-85-ms serving path."))
    False
    """
    pairs = _written_pairs(change, figures)
    for a, b in pairs:
        if a.start < b.start and (_FROM_BEFORE.search(text[: a.start]) or _VERB_TO.search(text[: a.start])):
            return True
        if b.start < a.start and _BACK_JOIN.search(text[b.end : a.start]):
            return True
    return not pairs


def _kind(notes: str, notes_figures: list[Figure], figure: Figure) -> str | None:
    """The kind of quantity a figure is (:func:`unit_family`), from its own unit or else from the notes'
    ('2' for notes that say '2 qtrs' is a span of time; '0' for '0 OOM restarts' is a count)."""
    if figure.unit:
        return unit_family(figure.unit)
    twins = twins_of(figure, notes_figures)
    kinds = {unit_family(g.unit) for g in twins if g.unit}
    if not kinds and twins and all(counts_something(notes, g) for g in twins):
        return "count"
    return kinds.pop() if len(kinds) == 1 else None


def twins_of(figure: Figure, figures: list[Figure]) -> list[Figure]:
    """The figures among ``figures`` that state the same quantity as ``figure``."""
    return [g for g in figures if same_figure(figure, g)]


def code_words(notes: str, text: str) -> list[str]:
    """Words of code in ``text`` ('accuracy_threshold', 'k=5') that the notes do not hold as written."""
    return [m.group(0) for m in _CODE_WORD.finditer(text) if m.group(0).rstrip(".") not in notes]


def _time_word_after(text: str, f: Figure) -> bool:
    """Whether the word after a bare figure is a unit of time, or the one after that ('140 model-years', '200 model
    years'; not '9 per month', a rate)."""
    after = _WORDS_AFTER.match(text, f.end)
    if after is None:
        return False
    first, second = after.group(1), after.group(2) or ""
    return bool(_TIME_WORD.fullmatch(first) or (first.lower() not in _RATE_WORDS and _TIME_WORD.fullmatch(second)))


_RATE_WORDS = frozenset("per a an every each times".split())
_RATE = (
    r"(?:per|a|an|every|each)\s+(?:second|sec|minute|min|hour|hr|day|week|wk|month|year|yr)\b"
    r"|/\s*(?:s|sec|second|min|minute|h|hr|hour|d|day|w|wk|week|mo|month|y|yr|year)\b|[qr]ps\b"
)
# a rate right after a count in a statement ('140 endpoints per second', '2M images/day', '300 qps'); in the
# notes, anywhere later in its clause, in any form ('7 unannounced schema breaks a month', '$1.2M yearly', 'FY')
_RATE_AFTER = re.compile(rf"[\s-]*(?:[A-Za-z]+[\s-]*){{0,2}}?({_RATE})", re.IGNORECASE)
_RATE_IN_CLAUSE = re.compile(
    rf"[^,;.\n]{{0,50}}?({_RATE}|\b(?:{_PERIOD_WORDS}|fy|fiscal year)\b)", re.IGNORECASE
)


_BY_BEFORE = re.compile(r"\bby\s+(?:about\s+|roughly\s+|nearly\s+|over\s+|more\s+than\s+)?\Z", re.IGNORECASE)
# what makes a multiple a change ('3x faster', '10x less data', '4x speedup'), not the size of a thing ('5x spike')
_COMPARATIVE = re.compile(
    r"[a-z]+er|less|more|fewer|speed-?ups?|improvements?|reductions?|increases?|decreases?|gains?|lifts?|boosts?|"
    r"drops?|cuts?|compression|overall|throughput|capacity|qps|rps|over|vs|versus|than|on|in|at|for|from|with",
    re.IGNORECASE,
)


_AGAINST = re.compile(r"[^,;\n]*?\b(?:vs\.?|versus|over|than|compared|against|relative)\b", re.IGNORECASE)


def _sized_noun(notes: str, f: Figure) -> str | None:
    """For a multiple of the notes written before a thing it sizes ('5x spike', '5x traffic'), that thing;
    None for one that states a change ('3x faster', '10x less data', 'throughput 3.5x', 'up 3x')."""
    m = _NEXT_WORD.match(notes, f.end)
    if m is None or _COMPARATIVE.fullmatch(m.group(1)) or m.group(1).lower() in _FUNCTION_WORDS:
        return None
    if re.search(r"\b(?:by|up|down|cut|grew|rose|fell|dropped|improved|reduced|faster|cheaper)\W*\Z", notes[: f.start]):
        return None
    if _AGAINST.match(notes, f.end):  # '2.3x ROAS vs control': a multiple of the control's
        return None
    return m.group(1)


def _counted_noun(text: str, f: Figure) -> str | None:
    """The word right after a bare figure when it names what is counted ('5 stores'), else None."""
    m = _NEXT_WORD.match(text, f.end)
    if m is None or len(m.group(1)) < 3 or m.group(1).lower() in _GLUE_WORDS or _TIME_WORD.fullmatch(m.group(1)):
        return None
    return m.group(1)


# what sets a bare number against the figure before it ('18 months of data instead of 6'): it counts the same way
_INSTEAD = re.compile(r"\b(?:instead\s+of|rather\s+than|vs\.?|versus|compared\s+(?:to|with))\s*~?\s*\Z", re.IGNORECASE)


def _unit_in(notes: str, figure: Figure, figures: list[Figure]) -> str | None:
    """The unit of a figure of the notes: its own, or for a bare number set against the figure before it in its
    clause ('18 months of data instead of 6', '40ms vs 55'), that figure's."""
    if figure.unit is not None or not _INSTEAD.search(notes, 0, figure.start):
        return figure.unit
    before = [g for g in figures if g.end <= figure.start and not re.search(r"[,;]", notes[g.end : figure.start])]
    return before[-1].unit if before else None


def _bare_count(notes: str, figure: Figure, figures: list[Figure], ends: set[int]) -> bool:
    """Whether ``figure`` of the notes (of all their ``figures``) is a bare number of things ('the 10 pods'): no
    unit, no letter on it, no time word after it ('200 milliseconds'), and not where a change of the notes starts
    or ends (``ends``: '45 down to 12ms' takes the unit of 12ms)."""
    noun = _counted_noun(notes, figure)
    return (
        noun is not None
        and noun.lower() not in _FUNCTION_WORDS  # '55 before', '35 percent'
        and _unit_in(notes, figure, figures) is None
        and figure.text.replace(",", "").isdigit()
        and not _time_units_near(notes, figure)
        and not noun.lower().startswith(("milli", "micro", "nano", "sec", "min", "hour"))
        and figure.start not in ends
    )


def figure_misuse(notes: str, text: str) -> list[str]:
    """Figures used with another unit than in the notes ('42ms' written as '42%', '45 analyst hours' as
    '45%'), or a change to the same value."""
    notes_figures, text_figures = extract_figures(notes), extract_figures(text)
    all_twins = [twins_of(f, notes_figures) for f in text_figures]  # each figure's twins in the notes, found once
    notes_changes, text_changes = extract_changes(notes, notes_figures), extract_changes(text, text_figures)
    ends = {g.start for c in notes_changes for g in (c.before, c.after)}  # where a change of the notes starts or ends
    problems = []
    for f, twins in zip(text_figures, all_twins, strict=True):
        units = [(g, unit) for g in twins if (unit := _unit_in(notes, g, notes_figures))]  # '6' of 'instead of 6': months
        families = {unit_family(unit) for _, unit in units} - {None}
        if twins and f.unit and families and unit_family(f.unit) not in families:
            shown, unit = units[0]
            inherited = "" if shown.unit else f" ({unit})"  # '6 (months)'
            problems.append(f"writes {f.text} where the notes have {shown.text}{inherited}")
        elif (
            twins
            and (period := _period_near(text, f))
            and all((their_period := _period_near(notes, g)) and their_period != period for g in twins)
        ):
            problems.append(f"counts {f.text} per {period} where the notes count per {_period_near(notes, twins[0])}")
        elif twins and f.unit is None and _drops_ratio_unit(notes, text, f, twins):
            problems.append(f"writes {f.text} without the unit of {twins[0].text}")
        elif twins and f.unit is None and _drops_time_unit(notes, text, f, twins, text_changes):
            given = twins[0].text if twins[0].unit else f"{twins[0].text} {' '.join(notes[twins[0].end :].split()[:2])}"
            problems.append(f"writes {f.text} without the unit of {given}")  # '~1 week instead of ~2' as 'from 2 to 1'
        elif (
            twins
            and (near := _time_units_near(text, f))
            and all((theirs := _time_units_near(notes, g)) and not near & theirs for g in twins)
        ):
            problems.append(f"counts {f.text} in other time units than the notes")
        elif (
            twins
            and (f.unit == "$" or _time_units_near(text, f))
            and all(_period_near(notes, g) for g in twins)
            and not _ANY_PERIOD.search(text, _clause_start(text, f.start))
        ):  # '45 analyst hrs/wk saved' written as 'a 45-hour cycle'; '$3k/month' as '$3k'
            problems.append(f"writes {f.text} without the period the notes count it per ({_period_near(notes, twins[0])})")
        elif twins and (period := _period_near(text, f)) and (other := _other_period(text, f, period)):
            problems.append(f"counts {f.text} per {period} and calls it {other}")  # '$60k/yr in monthly hosting costs'
        elif twins and not families and unit_family(f.unit) in _RATIO_UNITS and all(counts_something(notes, g) for g in twins):
            problems.append(f"writes {f.text} where the notes count {notes[twins[0].start : twins[0].end + 12].strip()}...")
    for f, twins in zip(text_figures, all_twins, strict=True):  # 'week 2' of the notes is a label: not 'improved by 2'
        labels = {_label(_LABEL_BEFORE.search(notes[: g.start])) for g in twins}
        label = _label(_LABEL_BEFORE.search(text[: f.start]))
        as_span = {_canonical_unit(w) for w in labels if w and _TIME_WORD.fullmatch(w)} & _time_units_near(text, f)
        if labels and None not in labels and label not in labels and not as_span:
            words = " or ".join(sorted(str(w) for w in labels))
            problems.append(f"writes {f.text} apart from the {words} it labels in the notes")
        elif (
            (
                (f.unit is None and _time_word_after(text, f))
                or (f.unit is not None and "-" in f.text and f.unit.lower().rstrip("s") in _CALENDAR_UNITS)
            )
            and twins
            and all(g.unit is None and not _time_units_near(notes, g) for g in twins)
        ):  # '~140 prod models' written as '140 model-years'; 'broke 3 downstream models' as 'a 3-month-old issue'
            problems.append(f"counts {f.text} in time, which the notes do not")
        elif (
            f.unit is not None
            and f.unit.lower().rstrip("s") in _CALENDAR_UNITS
            and twins
            and all(g.unit is None and not _time_units_near(notes, g) and _counted_noun(notes, g) for g in twins)
        ):  # 'a pilot at 5 stores' written as 'in 5 years'
            problems.append(f"counts {f.text} in time, where the notes count {_counted_noun(notes, twins[0])}")
        elif (
            f.unit is not None
            and _TIME_WORD.fullmatch(f.unit)
            and twins
            and all(_bare_count(notes, g, notes_figures, ends) for g in twins)
        ):
            problems.append(f"writes {f.text} where the notes count {_counted_noun(notes, twins[0])}")  # '10 pods' as '10 ms'
        elif (
            f.unit is None
            and (noun := _counted_noun(text, f))
            and noun.lower() not in _FUNCTION_WORDS
            and not _time_units_near(text, f)
            and twins
            and _spans_of_time(twins)
        ):  # 'a gap flagged for 6 months' written as 'notices sent to 6 applicants'
            problems.append(f"counts {f.text} {noun} where the notes have {twins[0].text}")
        elif (
            unit_family(f.unit) == "x"
            and _BY_BEFORE.search(text, 0, f.start)
            and twins
            and all(_sized_noun(notes, g) for g in twins)
        ):  # '5x spike absorbed by autoscaler' written as 'lowering auto-scaling time by 5x'
            sized = f"{twins[0].text} {_sized_noun(notes, twins[0])}"
            problems.append(f"makes {f.text} a change, where the notes size something with it ('{sized}')")
        elif (
            (rate := _RATE_AFTER.match(text, f.end))
            and twins
            and all(_counted_noun(notes, g) and not _RATE_IN_CLAUSE.match(notes, g.end) for g in twins)
        ):  # '140 endpoints' written as '140 endpoints per second'
            problems.append(f"gives {f.text} a rate ({rate.group(1).strip()}) the notes do not")
    for f in text_figures:  # '-0.011' for notes that say '+0.011': the sign is part of the figure
        negative_in_notes = any(same_figure(f, g) and _NEGATIVE.search(notes[: g.start]) for g in notes_figures)
        if _NEGATIVE.search(text[: f.start]) and not negative_in_notes:
            problems.append(f"writes {f.text} as negative, which the notes do not")
    for f in text_figures:  # each figure says one thing: no more uses than the notes make of it
        uses = sum(same_figure(f, g) for g in text_figures)
        if uses > max(1, sum(same_figure(f, g) for g in notes_figures)):
            problems.append(f"uses {f.text} {uses} times")
            break
    flat = flatten(notes)
    for m in _WORD_CHANGE.finditer(text):
        start = _NOT_ALNUM.sub("", m.group(1).lower())
        if start not in flat and start.rstrip("s") not in flat:
            problems.append(f"states a change from '{m.group(1)}', which the notes do not mention")
    if itself := _TO_ITSELF.search(text):  # 'Migrated the API gateway from Envoy to envoy'
        problems.append(f"states a change from '{itself.group(1)}' to itself")
    if _NO_END.search(text) or _FROM_ONLY.search(text):  # 'from 97% to – gradient-boosted', 'fell from 12%.'
        problems.append("states a change with no end point")
    for m in _HALF_CHANGE.finditer(text):  # 'from 45 to under a minute': the notes gave no such end point
        end = _QUALIFIER.sub("", m.group("end"))
        word = re.match(r"[A-Za-z]+", end)
        if word and not re.search(rf"\b{word.group(0)}\b", notes, re.IGNORECASE):
            problems.append(f"states a change to '{word.group(0)}', which the notes do not give")
    for change in notes_changes:  # '340ms->85ms' stays one change, not two figures of two claims
        a, b = change.before, change.after
        comparable = unit_family(a.unit) == unit_family(b.unit) or a.unit is None or b.unit is None
        if comparable and not kept_as_change(text, change, text_figures):
            problems.append(f"splits the change from {a.text} to {b.text} in the notes")
        elif comparable and _told_as_change(notes, change) and not _told_from(text, change, text_figures):
            problems.append(f"writes the change from {a.text} to {b.text} without 'from' before it")
    for a, b in _counts_of_two_things(notes, text, notes_figures, text_figures, notes_changes):
        problems.append(f"states a change from {a.text} to {b.text}, which count different things in the notes")
    for change in extract_changes(text, text_figures):
        a, b = change.before, change.after
        kinds = [_kind(notes, notes_figures, f) for f in (a, b)]
        if a.value == b.value and _canonical_unit(a.unit) == _canonical_unit(b.unit):
            problems.append(f"states a change from {a.text} to {b.text}")
        elif (
            None not in kinds
            and kinds[0] != kinds[1]
            and not any(same_figure(a, c.before) and same_figure(b, c.after) for c in notes_changes)
        ):  # the notes' own change may be read otherwise ('4.1 down to 3.6 minutes'), a made-up one may not
            problems.append(f"states a change from {a.text} to {b.text}, which are not the same kind of quantity")
        elif (
            (a.unit is None) != (b.unit is None)
            and unit_family(a.unit or b.unit) in _RATIO_UNITS
            and kinds.count(None) == 1
            and not any(same_figure(a, c.before) and same_figure(b, c.after) for c in notes_changes)
        ):  # 'sample sizes ~40% ... in ~1 week instead of ~2' written as 'from 40% to under 2'
            problems.append(f"states a change from {a.text} to {b.text}, which the notes do not pair")
    return problems


# Quantities spelled in words, with the digit strings that say the same in the notes. 'one' and 'zero' are
# left out: 'one of the first', 'zero downtime' for 'no downtime' say nothing the notes do not.
_NUMBER_WORDS = {
    **{w: {str(i)} for i, w in enumerate("two three four five six seven eight nine ten eleven twelve".split(), start=2)},
    **{w: {str(10 * i)} for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)},
    "dozen": {"12"}, "hundred": {"100"}, "thousand": {"1000", "1,000"}, "million": set(), "billion": set(),
    "half": {"50", "2"}, "halve": {"50", "2"}, "quarter": {"25"}, "third": {"3", "33"}, "fifth": {"5", "20"},
    "tenth": {"10"}, "magnitude": {"10"},  # 'an order of magnitude'
    "twice": {"2"}, "double": {"2"}, "triple": {"3"}, "quadruple": {"4"},
}  # fmt: skip
_SPELLED = re.compile(  # 'one-third' is a third, 'hundredk' a garbled hundred; a 'third-party' tool is no quantity
    r"(?<![\d$€£]\s)(?<!\d[.,]\s)(?<![\w-])(?:(?:one|two)-)?("
    + "|".join(_NUMBER_WORDS)
    + r")(?:s|d|ed|ing|-?fold|k)?\b(?!-part)",
    re.IGNORECASE,
)
_TIME_SPANS = {  # how notes write each unit; a one-letter form only right after a number ('3s', '2 h')
    "second": r"(?<=\d)\s?s|secs?|seconds?", "minute": "mins?|minutes?", "hour": r"(?<=\d)\s?h|hrs?|hours?",
    "day": r"(?<=\d)\s?d|days?", "week": r"(?<=\d)\s?w|wks?|weeks?", "month": "mos?|months?",
    "quarter": "qtrs?|quarters?", "year": r"(?<=\d)\s?y|yrs?|years?", "decade": "decades?",
}  # fmt: skip
_TIME_SPAN = re.compile(
    r"\b(?:from|to|for|in|within|under|over|than|about|around|nearly|almost|just|roughly|of)\s+(?:(?:a|an|one|a few|several)\s+)?"
    rf"({'|'.join(_TIME_SPANS)})s?\b",
    re.IGNORECASE,
)


def _spelled_stem(word: str) -> str:
    """A pattern for a number word in any form: 'half' and 'halved', 'double' and 'doubling'."""
    return "hal[fv]" if word.startswith("hal") else word if len(word) <= 5 else word[:-1]


def holds_quantity(text: str) -> bool:
    """Whether ``text`` holds a figure or a quantity in words ('half the time', 'two teams'; 'next quarter' is a
    date)."""
    spelled = [m for m in _SPELLED.finditer(text) if not _DATE_PERIOD.search(text[: m.end()])]
    return bool(re.search(r"\d", text) or spelled)


_DATE_PERIOD = re.compile(r"\b(?:next|last|this|that|each|every|per|the|first|second)\s+(?:quarters?|half)\Z", re.IGNORECASE)


# number words that tell a result ('errors halved', 'twice as fast', 'a third less', 'tenfold'); a count in
# words is more often context ('the two paths', 'hundreds of breeds') and 'quarter' often a date
_RESULT_WORDS = frozenset("half halve twice double triple quadruple third fifth tenth magnitude".split())


def quantity_words(notes: str) -> list[tuple[str, re.Pattern[str], frozenset[str]]]:
    """The results ``notes`` give in words ('half the cost', 'twice as fast', 'tenfold'): each as written, the
    pattern that finds it again in any form ('half', 'halved'), and the digits that say the same ('2', '50')."""
    found = []
    for m in _SPELLED.finditer(notes):
        word = m.group(1).lower()
        if word not in _RESULT_WORDS and not m.group(0).lower().endswith("fold"):  # 'the two paths', 'hundreds of breeds'
            continue
        if _DATE_PERIOD.search(notes[: m.end()]):  # 'next half'
            continue
        found.append((m.group(0), re.compile(rf"\b{_spelled_stem(word)}", re.IGNORECASE), frozenset(_NUMBER_WORDS[word])))
    return found


_PERIOD_OR_MAGNITUDE = ("quarter", "half", "hundred", "thousand", "million", "billion")  # '3 million', 'this half'


def unsaid_number_words(notes: str) -> frozenset[str]:
    """The number words, in every form, that :func:`spelled_quantities` rejects in any statement for ``notes``
    ('twice', 'tripled', 'two'): the notes hold neither the word nor its digits. Decoding does not write them.
    Words that also name a period or follow a figure as its magnitude are left to the guard.

    >>> [w in unsaid_number_words("errors -40%, three teams") for w in ("tripled", "halving", "three")]
    [True, True, False]
    """
    lowered, digits = notes.lower(), digit_strings(notes)
    words: set[str] = set()
    for word, same in _NUMBER_WORDS.items():
        if word in _PERIOD_OR_MAGNITUDE or re.search(rf"\b{_spelled_stem(word)}", lowered) or digits & same:
            continue
        words.update(word + end for end in ("", "s", "d", "ed", "ing", "fold", "-fold"))
        if word.endswith("e"):
            words.add(word[:-1] + "ing")  # 'halving', 'doubling'
    return frozenset(words)


def dropped_quantities(notes: str, text: str) -> list[str]:
    """Quantities the notes write in words that ``text`` gives neither in words nor in digits: a figure the
    user gave, dropped."""
    digits = digit_strings(text)
    return [q for q, again, same in quantity_words(notes) if not again.search(text) and not digits & same]


def spelled_quantities(notes: str, text: str) -> list[str]:
    """Quantities ``text`` writes in words that the notes do not give, in words or digits: 'two teams' for
    notes with no 2 in them, 'from an hour to minutes' for notes that never count in hours or minutes. A
    number word right after a figure ('1.2 million') belongs to that figure and is checked with it."""
    lowered, digits = notes.lower(), digit_strings(notes)
    text = _PERIOD_OVER_PERIOD.sub(" ", text)  # a comparison of periods, no quantity
    found = []
    for m in _SPELLED.finditer(text):
        word = m.group(1).lower()
        if word in _TIME_SPANS and _counts_in(lowered, word) and _AFTER_FIGURE.search(text, 0, m.start()):
            continue  # '$640k a quarter' for notes that count per 'qtr': the period, no quantity
        if word in ("quarter", "half") and _PERIOD_BEFORE.search(text, 0, m.start()):
            continue  # 'per quarter', 'the following quarter', 'this half': a period
        if not re.search(rf"\b{_spelled_stem(word)}", lowered) and not digits & _NUMBER_WORDS[word]:
            found.append(m.group(0))
    for m in _TIME_SPAN.finditer(text):
        if not _counts_in(lowered, m.group(1).lower()):
            found.append(m.group(0))
    return found


_PERIOD_BEFORE = re.compile(
    r"\b(?:per|this|last|next|that|each|every|the|same|previous|following|prior|first|second|current|whole|full)\s+\Z",
    re.IGNORECASE,
)
# 'quarter over quarter', 'year-on-year': a comparison of periods
_PERIOD_OVER_PERIOD = re.compile(r"\b(quarter|half|year|month|week)[\s-]+(?:over|on)[\s-]+\1\b", re.IGNORECASE)
_AFTER_FIGURE = re.compile(r"\d\S*\s+(?:a|per|each|every)\s+\Z")  # '$640k a ': a period word follows


def _counts_in(lowered_notes: str, unit: str) -> bool:
    """Whether the notes count in ``unit`` (a key of ``_TIME_SPANS``) in any spelling: '1 hr', '45min', 'hours'."""
    return bool(re.search(rf"(?<![a-z])(?:{_TIME_SPANS[unit]})\b", lowered_notes))


_CLAUSE_END = re.compile(r"\s+[—–-]\s+|,\s+|;\s+|\s+(?:by|while|after)\s+(?=[a-z]+ing\b)")  # '... by replacing ...'
_NO_LAST_WORD = DANGLING_WORDS | {"while"}


def passing_clauses(notes: str, text: str) -> str | None:
    """The longest run of ``text``'s leading clauses, ended with a full stop, that passes :func:`check`; None
    when no such run does.

    A small model often writes a faithful statement and then a last clause that invents or garbles
    ('..., reducing chargebacks tenfold'). Cut at a clause boundary (a dash or a comma), the statement is
    still the model's own words, and it must pass every check, every figure of the notes included.

    >>> text = "Cut the ranking model's p99 latency from 340ms to 62ms with INT8 quantization, saving 8 GPUs."
    >>> passing_clauses("cut p99 340ms->62ms w/ int8", text)
    "Cut the ranking model's p99 latency from 340ms to 62ms with INT8 quantization."
    """
    for m in reversed(list(_CLAUSE_END.finditer(text))):
        head = text[: m.start()].rstrip(" ,;—–-")
        if not head or head.rsplit(maxsplit=1)[-1].lower() in _NO_LAST_WORD:
            continue
        candidate = head if head.endswith(".") else head + "."
        if not check(notes, candidate):
            return candidate
    return None


_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_RISE = re.compile(r"\b(?:rais|lift|increas|boost|grew|grow|doubl|tripl|rose\b|rising\b|rises\b)\w*", re.IGNORECASE)
_FALL = re.compile(  # not 'fell back to CPU'
    r"\b(?:reduc|cut|lower|decreas|drop|shrank|shrink|shrunk|halv|slash|(?:fell|falling|falls)\b(?!\s+back))\w*",
    re.IGNORECASE,
)
_PLUS = re.compile(r"(?:^|[\s(])(?:\+\s?|up\s+)\Z", re.IGNORECASE)  # a rise the notes mark: '+0.2', 'up 4%'
_NEUTRAL_CHANGE = re.compile(r"\b(?:improv|chang|wors|better)\w*", re.IGNORECASE)  # a change of either way ('improving ... by')
BY_END = re.compile(r"\bby\s+[$€£]?\Z", re.IGNORECASE)  # 'cut it by ': a difference follows


_OWN_VERB = re.compile(r"\b[a-z]+(?:ing|ed)\b|\b(?:cut|cuts|grew|rose|fell|saw|won|lost|kept|held|shrank|sped)\b", re.IGNORECASE)


def verb_before(text: str, start: int) -> tuple[str, bool] | None:
    """The last word of rise or fall in the clause before position ``start`` ('cutting', 'raised'), and
    whether it is a rise; None if the clause has neither. An 'and' ends a clause here too: 'cutting cost
    by 40% and improving AUC by 0.9 points' says nothing of a fall of the AUC."""
    begin = _clause_start(text, start)
    after_and = text.rfind(" and ", 0, start) + 1
    if after_and > begin and (_OWN_VERB.search(text, after_and + 4, start) or not BY_END.search(text, 0, start)):
        begin = after_and  # '... and improving AUC by 0.9 points'; 'and a bigger batch (from 256 to 1024)'
    clause = text[begin:start]  # '... raising GMV by 2.1% and returns by 0.4%': 'raising' tells both
    found = [(m.start(), m.group(0), True) for m in _RISE.finditer(clause)]
    found += [(m.start(), m.group(0), False) for m in _FALL.finditer(clause)]
    return max(found)[1:] if found else None


# words near a figure of the notes that make it a change rather than a level ('+2%', 'saved 45 hrs', '70% cheaper')
_CHANGE_MARK = re.compile(
    r"(?<![A-Za-z])[+\-−]|\b(?:up|down|fell|rose|ris\w*|increas\w*|decreas\w*|reduc\w*|cut|cuts|sav\w*|less|fewer|more|cheaper|faster|"
    r"slower|smaller|larger|lower|higher|improv\w*|gain\w*|lift\w*|drop\w*|boost\w*|by|jump\w*|grew|growth|shr[ai]n\w*|"
    r"from|to|vs|over|under|better|worse|delta|relative|off|plus|minus|added|extra|incremental|additional|back|trim\w*|"
    r"freed|reclaimed|avoided|prevented|won|uplift|kill\w*|eliminat\w*|remov\w*|halv\w*|doubl\w*|tripl\w*|slash\w*|"
    r"shav\w*|beat|beats|outperform\w*|climb\w*|spik\w*|surg\w*|declin\w*|plung\w*|lost|los[ei]\w*|sped|speed\w*|"
    r"bump\w*|gave)\b",
    re.IGNORECASE,
)


# a figure the notes give as the level a change reached: 'idle time to under 10%' (not 'up to 10%', a ceiling)
_TO_LEVEL = re.compile(
    r"(?<!\bup )\bto\s+(?:(?:just\s+)?(?:under|below|over|above|about|around|roughly|nearly|almost|less than|more than|within)"
    r"\s+|~\s*)?[$€£]?\Z",
    re.IGNORECASE,
)


def _reached_level(notes: str, figure: Figure) -> bool:
    """Whether the notes write ``figure`` as the level something was brought to ('to under 10%')."""
    return bool(_TO_LEVEL.search(notes[max(0, figure.start - 40) : figure.start]))


# verbs that move a thing somewhere, not a metric up or down: 'Migrated the suite from 45 minutes to 6 minutes'
_MOVE = re.compile(
    r"\b(?:migrat|mov|port|switch|transition|shift|convert|relocat|transferr)(?:ed|ing)\b", re.IGNORECASE
)  # not the nouns: 'inspection shifts 3 -> 1'
_FROM_END = re.compile(r"\bfrom\s+(?:[$€£~]|about\s+|around\s+)?\Z", re.IGNORECASE)


_SCALE_BEFORE = re.compile(r"(?:\bout\s+of\s*|(?<=\d)\s*/\s*)\Z", re.IGNORECASE)  # '4.4 (out of 5)', '4.6/5' (not 'w/ 18')
_SCALE_AFTER = re.compile(r"[\s-]*(?:points?|stars?)\b", re.IGNORECASE)  # 'on a 5-point scale'
_OF_BEFORE = re.compile(r"\bof(?:\s+the)?\s*\Z", re.IGNORECASE)  # '180 of the 420 features', '29 of 30 days'


def scale_tops(notes: str) -> frozenset[str]:
    """The digits of each number the notes write only as the top of a scale ('5' of '4.4 (out of 5)', '30' of
    '29/30 days'): decoding writes them only after 'out of', '/' or 'of' (:func:`scale_misuse`).

    >>> sorted(scale_tops("SLA met 29/30 days, CSAT 4.4 (out of 5), 5 regions"))
    ['30']
    """
    figures = extract_figures(notes)
    return frozenset(
        m.group(0)
        for f in figures
        if (m := DIGITS_RE.search(f.text)) and all(_SCALE_BEFORE.search(notes, 0, g.start) for g in twins_of(f, figures))
    )


def after_scale_word(text: str) -> bool:
    """Whether a number written right after ``text`` tops a scale ('out of ', '29/', '29 of ')."""
    return bool(_SCALE_BEFORE.search(text) or _OF_BEFORE.search(text))


def scale_misuse(notes: str, text: str) -> list[str]:
    """The top of a scale of the notes ('CSAT 3.9 -> 4.4 (out of 5)') written as a count of something
    ('in 5 markets'): a statement writes it as a scale too ('out of 5', '4.4/5', 'a 5-point scale')."""
    notes_figures = extract_figures(notes)
    problems = []
    for f in extract_figures(text):
        twins = twins_of(f, notes_figures)
        if not twins or not all(_SCALE_BEFORE.search(notes, 0, g.start) for g in twins):
            continue
        if not (_SCALE_BEFORE.search(text, 0, f.start) or _OF_BEFORE.search(text, 0, f.start) or _SCALE_AFTER.match(text, f.end)):
            problems.append(f"writes {f.text} apart from the scale it tops in the notes (out of {twins[0].text})")
    return problems


def moved_figures(text: str) -> list[str]:
    """A change of figures ('from 45 minutes to 6 minutes') told with a verb that moves a thing ('Migrated the
    evaluation suite from ...') and no word of rise or fall: it reads as if the thing went from one figure to
    the other."""
    changes = [(c.before.start, c.before.text, c.after.text) for c in extract_changes(text)]
    changes = [c for c in changes if _FROM_END.search(text, 0, c[0])]
    told = {start for start, _, _ in changes}
    # and a change with its metric between the figures ('from a 2.3% false-positive rate to 0.9%')
    figures = extract_figures(text)

    def figure_at(position: int, digits: str) -> str:
        return next((f.text for f in figures if f.start <= position < f.end), digits)

    changes += [
        (m.start("a"), figure_at(m.start("a"), m["a"]), figure_at(m.start("b"), m["b"]))
        for m in _FROM_TO.finditer(text)
        if m.start("a") not in told
    ]
    problems = []
    for start, before, after in changes:
        if verb_before(text, start) is not None:
            continue
        clause = text[_clause_start(text, start) : start]
        if (m := _MOVE.search(clause)) and len(clause[m.end() :].split()) <= 6:
            problems.append(f"tells the change from {before} to {after} with '{m.group(0)}'")
    return problems


# 'AUC +0.015', '-18%', 'up 4%'; not a bullet's dash ('- 40k users')
_DELTA_BEFORE = re.compile(r"(?:^|(?<=[ \t(:,;]))(?:\+\s?|[-−](?=\d)|(?:up|down)\s+(?:by\s+)?)\Z", re.IGNORECASE)
_LEVEL_BEFORE = re.compile(r"\b(?:at|to|reaching|reached|hitting|hit)\s+(?:about\s+|around\s+|nearly\s+)?[$€£]?\Z", re.IGNORECASE)


def delta_as_level(notes: str, text: str) -> list[str]:
    """A figure the notes give as a change ('AUC +0.015', 'CTR up 4%') written as the level reached ('at 0.015
    AUC', 'to 4%')."""
    notes_figures = extract_figures(notes)
    ends = {f.start for c in extract_changes(notes, notes_figures) for f in (c.before, c.after)}  # '+22% -> +6%': levels
    problems = []
    for f in extract_figures(text):
        if not _LEVEL_BEFORE.search(text, 0, f.start):
            continue
        twins = twins_of(f, notes_figures)
        if twins and all(_DELTA_BEFORE.search(notes, 0, g.start) and g.start not in ends for g in twins):
            problems.append(f"writes {f.text} as a level, which the notes give as a change")
    return problems


def comparable_values(a: Figure, b: Figure) -> tuple[float, float] | None:
    """The values of two figures in one unit ('6h' and '40min' in seconds; '74' and '91%' as they are), or
    None when their units are of different kinds ('45%' and '$180k')."""
    ua, ub = _canonical_unit(a.unit) or _canonical_unit(b.unit), _canonical_unit(b.unit) or _canonical_unit(a.unit)
    if ua != ub and not (ua in _SECONDS and ub in _SECONDS):
        return None
    return a.value * _SECONDS.get(ua or "", 1.0), b.value * _SECONDS.get(ub or "", 1.0)


def _as_levels(notes: str, twins: list[Figure]) -> bool:
    """Whether the notes give every one of ``twins`` as a level: no word or sign of change near it, or earlier in
    its clause ('Winner lifted annual conversions 11%')."""
    return all(
        not _CHANGE_MARK.search(notes[max(0, g.start - 25) : g.start] + " " + notes[g.end : g.end + 25])
        and not _CHANGE_MARK.search(re.split(r"[,;:.!?()\n]\s", notes[max(0, g.start - 50) : g.start])[-1])
        for g in twins
    )


# a word after a figure of the notes, within two words, that says which way it went ('~7% duplicate rows removed')
_RISE_AFTER = re.compile(r"(?:\s+[A-Za-z][\w-]*){0,2}?\s+(?:more|higher|added|gained)\b", re.IGNORECASE)
_FALL_AFTER = re.compile(r"(?:\s+[A-Za-z][\w-]*){0,2}?\s+(?:fewer|less|lower|removed|eliminated|dropped)\b", re.IGNORECASE)


def _marked_rise(notes: str, figure: Figure) -> bool:
    """Whether the notes mark ``figure`` as a rise: '+4%', 'up 4%', '4% more signups'."""
    return bool(_PLUS.search(notes[: figure.start]) or _RISE_AFTER.match(notes, figure.end))


def _marked_fall(notes: str, figure: Figure) -> bool:
    """Whether the notes mark ``figure`` as a fall: '-3.4%', 'down 3%', '~7% duplicate rows removed'."""
    before = notes[: figure.start]
    return bool(_NEGATIVE.search(before) or before.lower().endswith("down ") or _FALL_AFTER.match(notes, figure.end))


def direction_problems(notes: str, text: str) -> list[str]:
    """A word of rise for a change that goes down, or of fall for one that goes up ('lifting p99 latency
    from 1.2 s to 380 ms'); a fall 'by' a figure the notes give as a rise ('WER +0.2' written as 'reducing
    word error rate by 0.2'), or the reverse; a rise or fall 'by' a figure the notes give as a level, with
    no word of change near it ('FP rate 0.8%' written as 'cutting the false-positive rate by 0.8%'), or as
    the level a change reached ('idle time to under 10%', '30ms -> 12ms': not 'reducing idle time by 10%')."""
    problems = []
    figures = extract_figures(text)
    for change in extract_changes(text, figures):
        a, b = change.before, change.after
        if (values := comparable_values(a, b)) is None:
            continue
        va, vb = (-v if _NEGATIVE.search(text[: f.start]) else v for v, f in zip(values, (a, b), strict=True))
        verb = verb_before(text, a.start)
        if verb and va != vb and verb[1] != (vb > va):
            problems.append(f"says '{verb[0]}' for a change from {a.text} to {b.text}, which goes {'up' if vb > va else 'down'}")
    notes_figures = extract_figures(notes)
    reached = {c.after.start for c in extract_changes(notes, notes_figures)}  # where each change of the notes ends
    for f in figures:
        by = BY_END.search(text[: f.start])
        verb = verb_before(text, f.start) if by else None
        twins = twins_of(f, notes_figures)
        neutral = _NEUTRAL_CHANGE.search(text, _clause_start(text, f.start), f.start) if by and verb is None else None
        if neutral and twins and _as_levels(notes, twins):  # 'improving the acceptance rate by 3,500' for '~3,500 images'
            problems.append(f"says '{neutral.group(0)}' by {f.text}, which the notes give as a level, not a change")
        if verb is None and twins and (after := _WAY_AFTER.match(text, f.end)):  # '6.5% lower' for '+6.5%'
            up = not after.group(1).lower().startswith(_FALL_WORDS)
            if all(_PLUS.search(notes[: g.start]) for g in twins) and not up:
                problems.append(f"writes {f.text} {after.group(1)}, which the notes give as a rise")
            elif all(_FALL_MARK.search(notes[: g.start]) for g in twins) and up:
                problems.append(f"writes {f.text} {after.group(1)}, which the notes give as a fall")
        if verb is None or not twins:
            continue
        rises = {_marked_rise(notes, g) for g in twins}
        falls = {_marked_fall(notes, g) for g in twins}
        if f.value == 0:  # '0 skew alerts since' written as 'reducing skew alerts by 0'
            problems.append(f"says '{verb[0]}' by {f.text}, which is no change")
        elif (rises == {True} and not verb[1]) or (falls == {True} and verb[1]):
            problems.append(f"says '{verb[0]}' by {f.text}, which the notes give as a {'fall' if verb[1] else 'rise'}")
        elif _as_levels(notes, twins):
            problems.append(f"says '{verb[0]}' by {f.text}, which the notes give as a level, not a change")
        elif unit_family(f.unit) != "x" and all(g.start in reached or _reached_level(notes, g) for g in twins):
            problems.append(f"says '{verb[0]}' by {f.text}, which the notes give as the level reached, not the change")
    return problems


def verb_ways(notes: str) -> tuple[dict[str, frozenset[bool]], dict[str, frozenset[bool]]]:
    """For decoding, the ways (True: up) a verb of rise or fall may say the numbers of the notes went, as
    :func:`direction_problems` judges them, by the digits of each number: first the start of each change of
    the notes ('74' of '74->91' goes up: 'cutting ... from 74' is not written); then the numbers that may follow
    such a verb and 'by' (none for a level or a zero, one way for a signed change, both for the rest).

    >>> starts, by = verb_ways("a team of 12 engineers; p99 340ms->62ms after int8; recall +4%")
    >>> starts["340"], by["12"], by["62"], by["4"]
    (frozenset({False}), frozenset(), frozenset(), frozenset({True}))
    """
    figures = extract_figures(notes)
    changes = extract_changes(notes, figures)
    reached = {c.after.start for c in changes}
    starts: dict[str, set[bool]] = {}
    for c in changes:
        values = comparable_values(c.before, c.after)
        if values is not None and values[0] != values[1] and (m := DIGITS_RE.search(c.before.text)):
            starts.setdefault(m.group(0), set()).add(values[1] > values[0])
    by: dict[str, frozenset[bool]] = {}
    for g in figures:
        if not (m := DIGITS_RE.search(g.text)):
            continue
        twins = twins_of(g, figures)
        rises = {_marked_rise(notes, t) for t in twins}
        falls = {_marked_fall(notes, t) for t in twins}
        if g.value == 0 or _as_levels(notes, twins):
            ways: frozenset[bool] = frozenset()
        elif unit_family(g.unit) != "x" and all(t.start in reached or _reached_level(notes, t) for t in twins):
            ways = frozenset()
        else:
            ways = frozenset({True} if rises == {True} else {False} if falls == {True} else {True, False})
        by[m.group(0)] = by.get(m.group(0), frozenset()) | ways  # a number written twice: either reading
    return {d: frozenset(w) for d, w in starts.items()}, by


# a word of way right after a figure ('6.5% lower', '18% more'); the ones that fall start with _FALL_WORDS
_WAY_AFTER = re.compile(
    r"\s*(lower|less|fewer|smaller|down|drop|decline|decrease|reduction|higher|more|greater|up|increase|rise|gain)\b",
    re.IGNORECASE,
)
_FALL_MARK = re.compile(r"(?:^|[\s(])[-−]\Z|\bdown\s+\Z", re.IGNORECASE)  # '-18%', 'down 18%'; not a bullet's '- 18%'
_FALL_WORDS = ("low", "less", "few", "small", "down", "drop", "decl", "decr", "reduc")
# what notes say held: 'recall@50 flat', 'latency stayed flat', 'default rate unchanged', 'at same recall'
_HELD = re.compile(
    r"(?P<metric>[A-Za-z][\w@.-]*)\s+(?:(?:was|stayed|remained|is|held|kept)\s+)?(?:flat|unchanged|steady|stable)\b"
    r"|\bat\s+(?:the\s+)?same\s+(?P<same>[A-Za-z][\w@.-]*)"  # 'accuracy on key fields is within a point of the vendor'
    r"|(?P<near>[A-Za-z][\w@.-]*)(?:\s+on\s+(?:[\w-]+\s+){0,2}?[\w-]+)?\s+(?:is|was|stayed|remained)\s+(?:within\s+"
    r"(?:a|one|half\s+a)\s+(?:point|pt|percent)|on\s+par|comparable|about\s+the\s+same|the\s+same)\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\b(?:without|not|never|no)\s+\Z", re.IGNORECASE)
_CHANGE_VERB = rf"(?:{_RISE.pattern}|{_FALL.pattern}|\bimprov\w*)"  # 'reducing', 'raising', 'improved' ...


def held_changed(notes: str, text: str) -> list[str]:
    """A metric the notes say held ('recall@50 flat', 'at same recall') that ``text`` says was changed
    ('reducing recall@50'): a verb of change with the metric in its object, no more than three words on.

    >>> held_changed("p95 1.2s->410ms with onnx, recall@50 flat", "Cut p95 latency from 1.2s to 410ms, reducing recall@50.")
    ['says recall@50 changed, which the notes say held']
    """
    problems = []
    for m in _HELD.finditer(notes):
        metric = m.group("metric") or m.group("same") or m.group("near")
        if metric.lower() in _FUNCTION_WORDS or metric.lower() in ("it", "this", "that", "everything", "all", "were", "are"):
            continue
        name = re.escape(metric.split("@")[0])  # 'recall@50' is said 'recall' too
        object_of_change = rf"{_CHANGE_VERB}\s+(?:(?!at\b|with\b|while\b|without\b|by\b)[\w'-]+\s+){{0,3}}{name}(?:@\d+)?\b"
        said = (c for c in re.finditer(object_of_change, text, re.IGNORECASE) if not _NEGATED.search(text, 0, c.start()))
        if next(said, None) is not None:  # 'without raising false activations' says it held
            problems.append(f"says {metric} changed, which the notes say held")
    return problems


# a figure the notes give as saved or spared ('~45 analyst hrs/wk saved', 'saves about 3 hours a week', '3h/wk less
# rerunning'), within its own clause and four words of it
_SAVED_AFTER = re.compile(r"(?:[^\s,;.]+\s+){0,4}?(?:saved|saves|saving|less|fewer|freed)\b", re.IGNORECASE)
_SAVED_BEFORE = re.compile(r"\b(?:saved|saves|saving|save|freed|frees|freeing)\s+(?:[^\s,;.]+\s+){0,4}?\Z", re.IGNORECASE)
# what says so in a statement's clause: a saving, a cut, or less of something
_SAVING_WORD = re.compile(
    r"\b(?:sav(?:e|es|ed|ing)|spar(?:e|ed|ing)|free(?:d|s|ing)?|reclaim\w*|cut(?:s|ting)?|reduc\w*|lower\w*|shrink\w*|"
    r"shrunk|trim\w*|eliminat\w*|remov\w*|avoid\w*|less|fewer|down)\b",
    re.IGNORECASE,
)


def saving_dropped(notes: str, text: str) -> list[str]:
    """A figure the notes give as time or work saved that ``text`` writes with no word of saving or cutting in
    its clause: 'letting engineers run 3 hours per week on re-running experiments' for '3 hrs/week per engineer
    saved on re-running experiments' says the opposite.

    >>> saving_dropped("mlflow std, ~3 hrs/wk per eng saved on reruns", "Set up MLflow, spending about 3 hours a week on reruns.")
    ['writes 3 hours without saying that the notes save it']
    """
    notes_figures = extract_figures(notes)
    saved = [g for g in notes_figures if _SAVED_AFTER.match(notes, g.end) or _SAVED_BEFORE.search(notes, 0, g.start)]
    problems = []
    for f in extract_figures(text):
        twins = twins_of(f, notes_figures)
        if not twins or not all(g in saved for g in twins):
            continue
        start = _clause_start(text, f.start)
        ends = [i for i in (text.find(mark, f.end) for mark in (",", ";", " and ")) if i >= 0]
        if not _SAVING_WORD.search(text[start : min(ends, default=len(text))]):
            problems.append(f"writes {f.text} without saying that the notes save it")
    return problems


# metrics whose name a statement must not bring in: (as a statement names it, as notes may name it). A 270M model
# swaps one for another ('false negatives' written 'false-positive rate', 'GMV' written 'gross margin') or puts a
# name on a figure the notes leave unnamed ('thumbs-up 62% vs 48%' as 'reducing word error rate by 48%').
_METRIC_NAMES = [
    # 'false alarms' may be written so, and a precision that rose is fewer false positives
    (r"false[- ]positive", r"false[- ]?pos|\bFPR?s?\b|false (?!neg)[a-z]+|precision|\bprec\b"),
    (r"false[- ]negative", r"false[- ]?neg|\bFNR?s?\b"),
    (r"(?<!mixed )(?<!mixed-)(?<!half )(?<!numerical )\bprecision\b", r"precision|\bprec\b|\bp@\d|\bPPV\b"),
    (r"\brecall\b", r"recall|\br@\d"),
    (r"word[- ]error[- ]rate|\bWER\b", r"word[- ]error|\bWER\b"),
    (r"\b(?:w?MAPE|WAPE)\b", r"MAPE|WAPE|percentage error"),
    (r"\bRMSE\b|root[- ]mean[- ]square", r"RMSE|root[- ]mean"),
    (r"\bNDCG\b", r"NDCG|ranking quality"),
    (r"\bMRR\b|mean reciprocal rank", r"\bMRR\b|reciprocal"),
    (r"\b(?:ROC[- ])?AUC\b", r"\bAUC|\bROC\b"),
    (r"\bF1\b|\bF-score", r"\bF1|f-?score|f-?measure"),
    (r"\bBLEU\b", r"\bBLEU\b"),
    (r"\bperplexity\b", r"perplexity|\bppl\b"),
    (r"\bCTR\b|click[- ]through rate", r"\bCTR\b|click"),
    (r"gross margin", r"margin|\bGM\b"),
    (r"\bGMV\b|gross merchandise", r"\bGMV\b|merchandise"),
    # latency for notes that time nothing: '75% fewer flaky tests' is not 'cutting response latency by 75%'
    (
        r"\blatenc\w*",
        r"latenc|\bp\d{2,3}\b|respon|\d\s?(?:ms|msec|milli\w*|micro\w*|µs|us|s|secs?|seconds?|mins?|minutes?)\b|\blag|delay|wait(?:ing)?\s+time|queue|slow|"
        r"fast|speed|snapp|real[- ]?time|round[- ]trip|\bttfb\b|\blcp\b|cold[- ]start|load\s+time|page\s+load|quick|sluggish",
    ),
]
_METRIC_NAME_PATTERNS = [(re.compile(said, re.IGNORECASE), re.compile(given, re.IGNORECASE)) for said, given in _METRIC_NAMES]


def one_way(notes: str) -> bool | None:
    """True when every change of the notes goes up and nothing in them tells of a fall, False for the reverse,
    None otherwise: for one-way notes ('nDCG@10 from 0.412 to 0.468') decoding writes no verb of the other way
    ('Cut'), which the guard would reject."""
    ways = set()
    for change in extract_changes(notes, extract_figures(notes)):
        values = comparable_values(change.before, change.after)
        if values is not None and values[0] != values[1]:
            ways.add(values[1] > values[0])
    if ways == {True} and not _FALL.search(notes) and not _FALL_SIGN.search(notes):
        return True
    if ways == {False} and not _RISE.search(notes) and not _RISE_SIGN.search(notes):
        return False
    return None


# words and signs that tell of a fall, or of a rise, anywhere in notes ('cheaper', 'saved 45 hours', '-3%', '7x')
_FALL_SIGN = re.compile(
    r"\b(?:down|less|fewer|lower\w*|faster|cheaper|smaller|shorter|sav\w*|fell|declin\w*|eliminat\w*|remov\w*|"
    r"kill\w*|freed|sped|speed\w*|quicker)\b|(?<![A-Za-z\d])[-−]\s?[$€£]?\d|\d\s?x\b",
    re.IGNORECASE,
)
_RISE_SIGN = re.compile(
    r"\b(?:up|more|higher|better|bigger|larger|gain\w*|improv\w*|rose|jump\w*|climb\w*|won|added)\b"
    r"|(?<![A-Za-z\d])\+\s?[$€£]?\d|\d\s?x\b",
    re.IGNORECASE,
)
# whole verbs of rise and of fall, as decoding writes them (not 'dropout', 'cutoff', 'growth')
RISE_VERB = re.compile(
    r"(?:rais(?:e|ed|es|ing)|lift(?:ed|ing|s)?|increas(?:e|ed|es|ing)|boost(?:ed|ing|s)?|doubl(?:e|ed|ing))", re.I
)
FALL_VERB = re.compile(
    r"(?:cut(?:s|ting)?|reduc(?:e|ed|es|ing)|lower(?:ed|ing|s)?|decreas(?:e|ed|es|ing)|dropp(?:ed|ing)|shr[ai]nk(?:ing|s)?|"
    r"shrunk|halv(?:e|ed|ing)|slash(?:ed|ing)|trimm(?:ed|ing))",
    re.I,
)


def unfounded_result(notes: str, text: str) -> list[str]:
    """A result told for notes that say there is none to tell yet ('Refactored the payments service. Nothing
    measurable yet' is not '..., cutting the team's commitment to outcomes')."""
    if extract_figures(notes) or not _NO_RESULT.search(notes):
        return []
    return [f"tells a result ({m.group(0)!r}) where the notes say there is none yet" for m in _RESULT_VERB.finditer(text)][:1]


# notes that say they hold no measured result ('nothing measurable yet', "I don't have numbers", 'too early to tell')
_NO_RESULT = re.compile(
    r"\b(?:nothing\s+(?:measurable|measured|to\s+measure)|no\s+(?:hard\s+|real\s+)?(?:numbers|metrics|measurable|data)\b"
    r"|(?:don'?t|do\s+not|didn'?t)\s+have\s+(?:any\s+)?(?:numbers|metrics|data)|too\s+early\s+to\s+(?:tell|measure|say)"
    r"|(?:not|never|haven'?t|hasn'?t\s+been)\s+(?:yet\s+)?measured|no\s+impact\s+yet)",
    re.IGNORECASE,
)
# a verb of change in a statement: what it claims the work did to a measure
_RESULT_VERB = re.compile(
    r"\b(?:cutting|reducing|raising|improving|boosting|increasing|lowering|lifting|decreasing|shrinking|speeding|"
    r"halving|doubling|accelerating|slashing|trimming|saving)\b",
    re.IGNORECASE,
)


def renamed_counts(notes: str, text: str) -> list[str]:
    """A bare count of the notes written as a count of a thing the notes never name: '37 findings' as '37
    employees', '300 manual test cases -> 240 automated' as '240 testers'. The word after the count and the
    one after it, in the same clause, are tried ('14 scheduled jobs' counts the notes' jobs). So is a count
    written as a count of what the notes count with another number (:func:`_count_of_another`)."""
    notes_figures = extract_figures(notes)
    ends = {g.start for c in extract_changes(notes, notes_figures) for g in (c.before, c.after)}
    notes_words = content_words(notes)
    have = {stem(w) for w in notes_words}
    tokens = {t.lower() for t in re.findall(r"[A-Za-z]+", notes)}
    tokens |= {t[:-1] for t in tokens if len(t) in (3, 4, 5) and t.endswith("s")}  # 'FCs', 'engs'
    problems = []
    for f in extract_figures(text):
        after = _COUNTED_WORDS.match(text, f.end)
        if f.unit is not None or not f.text.replace(",", "").isdigit() or after is None:
            continue
        words = [w.lower() for w in after.groups() if w]
        if words[0] in _FUNCTION_WORDS or words[0] in _GLUE_WORDS or _TIME_WORD.fullmatch(words[0]):
            continue
        twins = twins_of(f, notes_figures)
        if not twins or not all(_bare_count(notes, g, notes_figures, ends) for g in twins):
            continue  # only a bare count of the notes is held to what it counts
        if other := _count_of_another(notes, text, f, twins, notes_figures, ends):
            problems.append(f"counts {f.text} {other[1]}, which the notes count with {other[0].text}")
            continue
        if any(w in tokens or stem(w) in have or w in _FUNCTION_WORDS or _shares_prefix(w, notes_words) for w in words):
            continue  # 'engs' for 'engineers', 'ML'
        if any("".join(w[0] for w in words[:n]) in tokens for n in (2, 3)) or (words[0] in _PEOPLE and tokens & _PEOPLE):
            continue  # '6 FCs' for '6 fulfillment centers', '12 ppl' for '12 attendees'
        near = {stem(w) for w in content_words(" ".join(text[f.end :].split()[:6]))}
        if any((noun := _counted_noun(notes, g)) and stem(noun.lower()) in near for g in twins):
            continue  # '8 sessions' written '8 internal ML reading group sessions'
        problems.append(f"counts {f.text} {words[0]}, which the notes never mention")
    return problems


def _count_of_another(
    notes: str, text: str, figure: Figure, twins: list[Figure], notes_figures: list[Figure], ends: set[int]
) -> tuple[Figure, str] | None:
    """For a count of ``text`` whose ``twins`` in the notes are bare counts of one thing ('12 runbooks'), written as a
    count of what the notes count with another number ('7 engineers' -> '12 SEV2 engineers'): that number and the word."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9]*", " ".join(text[figure.end :].split()[:2]))
    if not words:
        return None
    # the head noun: the second word after a modifier ('SEV2 engineers', 'model degradations'), else the first
    second = len(words) > 1 and words[1].lower() not in _FUNCTION_WORDS | _GLUE_WORDS
    head = words[1] if second and (not words[0].lower().endswith("s") or not words[0].isalpha()) else words[0]
    counted = stem(head.lower())
    if counted in {stem(noun.lower()) for g in twins if (noun := _counted_noun(notes, g))}:
        return None
    for g in notes_figures:
        noun = _counted_noun(notes, g)
        if g not in twins and noun is not None and stem(noun.lower()) == counted and _bare_count(notes, g, notes_figures, ends):
            return g, head
    return None


_COUNTED_WORDS = re.compile(r"\s+([A-Za-z]{3,})(?:[ -]([A-Za-z]{2,}))?(?:[ -]([A-Za-z]{2,}))?")
_PEOPLE = frozenset(
    "engineers engs eng people ppl folks attendees members reviewers staff participants colleagues teammates students "
    "mentees hires candidates analysts scientists developers devs users customers persons".split()
)


def _shares_prefix(word: str, notes_words: list[str]) -> bool:
    """Whether a word of the notes of three letters or more begins ``word``, or ``word`` begins it ('engs')."""
    return any(len(n) >= 3 and (word.startswith(n) or n.startswith(word) or word.startswith(stem(n))) for n in notes_words)


def unnamed_metrics(notes: str, text: str) -> list[str]:
    """Metrics that ``text`` names and the notes never do, in any spelling (:data:`_METRIC_NAMES`).

    >>> unnamed_metrics("churn model false negatives down by a third", "Cut the churn model's false-positive rate by a third.")
    ['names false-positive, a metric the notes do not give']
    >>> unnamed_metrics("fraud prec 74 -> 91%", "Raised the fraud model's precision from 74% to 91%.")
    []
    """
    problems = []
    for said, given in _METRIC_NAME_PATTERNS:
        if (m := said.search(text)) and not given.search(notes):
            problems.append(f"names {m.group(0)}, a metric the notes do not give")
    return problems


# a word of the category label the model has just written ('Category: leadership') that the notes never use: it
# leaks into the statement ('interviewed 30 candidates for the company's leadership team'); no human statement does so
LABEL_LEAK = re.compile(r"\bleadership\b(?! work:)", re.IGNORECASE)  # not the fallback's 'Delivered technical leadership work:'
LEADERS = re.compile(r"\bleader|\bexec", re.IGNORECASE)


def label_leak(notes: str, text: str) -> list[str]:
    """'leadership' in ``text`` for notes that never speak of leaders: the category label, not the work.

    >>> label_leak("interviewed 30 candidates, hired 3 MLEs", "Interviewed 30 candidates for the leadership team.")
    ["says 'leadership', which is the category's name, not the notes'"]
    """
    m = LABEL_LEAK.search(text)
    problems = [f"says '{m.group(0)}', which is the category's name, not the notes'"] if m and not LEADERS.search(notes) else []
    if (other := _BUSINESS_LABEL.search(text)) and not _BUSINESS_LABEL.search(notes):  # 'the business impact team'
        problems.append(f"says '{other.group(0)}', which is the category's name, not the notes'")
    return problems


_BUSINESS_LABEL = re.compile(r"\bbusiness[- ]impact\b(?! work:)", re.IGNORECASE)  # no human statement writes it


# a percentage the notes mark as a change right where it is written: '-60%', 'down 60%', '60% fewer', '70% lower'
_SIGNED_BEFORE = re.compile(r"(?:[-+−]|\b(?:down|(?<!made )up|by|cut|cuts|dropped|drops|fell|rose)\s+)\Z", re.IGNORECASE)
_SIGNED_AFTER = re.compile(r"\s*(?:fewer|less|lower|more|higher|down|up|drop|reduction|faster|slower|cheaper)\b", re.IGNORECASE)
# a verb that makes 'N% of' a change after all: 'eliminated 34% of the false positives'
_SHARE_VERB = re.compile(
    r"\b(?:eliminat|remov|sav|avoid|prevent|block|caught|catch|automat|handl|deflect|freed|free|recover|clos|resolv|fix|"
    r"kill|reclaim|shed|trimm|prun|dropp)\w*",
    re.IGNORECASE,
)


def _notesverb_before(notes: str, start: int) -> tuple[str, bool] | None:
    """:func:`_verb_before` in the notes' own line or clause ('Reduced inference cost 30%')."""
    line = notes[max(notes.rfind(c, 0, start) for c in "\n;,") + 1 : start]
    return verb_before(line, len(line))


def change_as_share(notes: str, text: str) -> list[str]:
    """A percentage the notes give as a change ('-60% labeled data', 'cold start 70% lower', 'reduced cost 30%')
    written as a share of something ('Distilled 60% of the labeled data', 'Migrated 70% of the traffic'), with no verb of change
    in its clause that would make the share the change ('eliminated 34% of the false positives' is one).

    >>> change_as_share("cold start 70% lower after torchserve", "Migrated 70% of the traffic to TorchServe.")
    ['writes 70% as a share (70% of ...), which the notes give as a change']
    >>> change_as_share("FPs -34% on ambiguous types", "Eliminated 34% of false positives on ambiguous types.")
    []
    """
    notes_figures = extract_figures(notes)
    problems = []
    for f in extract_figures(text):
        if f.unit != "%" or not re.match(r"\s+of\b", text[f.end :]):
            continue
        twins = twins_of(f, notes_figures)
        marked = all(
            _SIGNED_BEFORE.search(notes, 0, g.start) or _SIGNED_AFTER.match(notes, g.end) or _notesverb_before(notes, g.start)
            for g in twins
        )
        changed = verb_before(text, f.start) or _SHARE_VERB.search(text, _clause_start(text, f.start), f.start)
        if not twins or not marked or changed:
            continue
        problems.append(f"writes {f.text} as a share ({f.text} of ...), which the notes give as a change")
    return problems


# where a clause of notes ends: a comma, a semicolon, a line break, an ellipsis, a dash between spaces, a full stop
_NOTES_CLAUSE_END = re.compile(r"[,;\n]|\.\.\.|…|\s[—–-]\s|\.(?=\s)")
# 'cutting chargebacks by ' (with 'about', 'nearly' ... between): what precedes a figure is what it changed
_BY_BEFORE = re.compile(r"\bby\s+(?:(?:about|nearly|almost|over|roughly|more than)\s+)?[$€£]?\Z", re.IGNORECASE)
_OWN_PHRASE_START = re.compile(r"[,;(—–]|\s-\s|\b(?:and|while|with)\b", re.IGNORECASE)
_NO_SUBJECT = re.compile(r"\A(?:improv|model|rate|time|overall|total|averag)", re.IGNORECASE)


def misattributed_figures(notes: str, text: str) -> list[str]:
    """A change written 'by' a figure of the notes, to a thing the notes tie only to another figure of theirs:
    'chargebacks down 23%, manual review queue -30%' written as '... reducing chargebacks by 30%'. The thing is
    the last two content words before 'by', back to the previous figure, comma or 'and'; a word the notes also
    use without a figure, or in the figure's own clause, is never counted against it.

    >>> notes = "fraud model v3, chargebacks down 23%, manual review queue -30%"
    >>> misattributed_figures(notes, "Shipped fraud model v3, cutting chargebacks by 30% and the review queue by 23%.")
    ["ties 30% to 'chargebacks', which the notes tie to 23%", "ties 23% to 'review', which the notes tie to 30%"]
    >>> misattributed_figures(notes, "Shipped fraud model v3, cutting chargebacks by 23% and the review queue by 30%.")
    []
    """
    figures = extract_figures(notes)
    if len(figures) < 2:
        return []
    starts = [0] + [m.end() for m in _NOTES_CLAUSE_END.finditer(notes)]
    clause = [bisect.bisect_right(starts, f.start) - 1 for f in figures]
    words = [{stem(w) for w in content_words(notes[a:b])} for a, b in zip(starts, [*starts[1:], len(notes)], strict=True)]
    holders = {c: f for f, c in reversed(list(zip(figures, clause, strict=True)))}  # clause -> its first figure
    problems = []
    for f in extract_figures(text):
        by = _BY_BEFORE.search(text, 0, f.start)
        own = {clause[i] for i, g in enumerate(figures) if same_figure(f, g)}
        if by is None or not own:
            continue
        head = text[: by.start()]
        if earlier := extract_figures(head):
            head = head[earlier[-1].end :]
        head = _OWN_PHRASE_START.split(head)[-1]
        for word in content_words(head)[-2:]:
            own_stem = stem(word)
            where = {c for c, stems in enumerate(words) if own_stem in stems}
            if _NO_SUBJECT.match(word) or _RISE.match(word) or _FALL.match(word) or not where or where & own:
                continue
            if all(c in holders for c in where):
                problems.append(f"ties {f.text} to {word!r}, which the notes tie to {holders[min(where)].text}")
                break
    return problems


_CONTENT_WORD = re.compile(r"[a-z]{3,}")
_GLUE_WORDS = frozenset(
    "the and for with from into onto over under per via its our their this that these those than then was were "
    "are has had have not all any each every both more most less new same one two also which who what when "
    "where how can could would will now just some thing things stuff been being very".split()
)
THIN_NOTES_WORDS = 3  # notes with no figure and at most this many content words tell almost nothing
THIN_NOTES_ADDED = 3  # content words a statement for them may add ('the flaky test' -> 'the flaky CI test')
TERSE_NOTES_WORDS = 6  # notes with at most this many content words are terse ('killed 11 unused dashboards')
TERSE_ADDED = 6  # content words a statement for them may add ('WER' -> 'word error rate', 'the ranking model')
SHORT_ADDED = 2  # content words a statement under MIN_WORDS may add ('for intent classification' -> '... model')


def stem(word: str) -> str:
    """A word's first five letters after a plural or verb ending: 'reduced' and 'reducing' share 'reduc'."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)][:5]
    return word[:5]


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning (three letters or more, not a function word), lower case."""
    return [w for w in _CONTENT_WORD.findall(text.lower()) if w not in _GLUE_WORDS]


def is_thin(notes: str) -> bool:
    """True for notes with no figure and at most :data:`THIN_NOTES_WORDS` content words ('shipped the thing')."""
    return not extract_figures(notes) and len(content_words(notes)) <= THIN_NOTES_WORDS


def added_content_problems(notes: str, text: str) -> list[str]:
    """How many content words of its own a statement may add depends on how much the notes say:

    - thin notes (no figure, at most :data:`THIN_NOTES_WORDS` content words) give it nothing to tell:
      :data:`THIN_NOTES_ADDED` ('shipped the thing' is not '... integrated the cloud storage service ...');
    - terse notes (at most :data:`TERSE_NOTES_WORDS`) leave room to spell out an acronym and name the model,
      not for a story: :data:`TERSE_ADDED` ('killed 11 unused dashboards' is not '..., replacing them with
      AI-powered dashboards that filtered data for the first time'); its leading clauses are tried instead;
    - a statement under ``MIN_WORDS`` (which short notes allow: :func:`shortest_for`) has no room for
      context: :data:`SHORT_ADDED` ('pruned the ensemble, same accuracy, way cheaper' is not 'Pruned the
      ensemble architecture for the gradient boosting model.').
    """
    limits = []
    if is_thin(notes):
        limits.append((THIN_NOTES_ADDED, "tells more than the notes hold"))
    elif len(set(content_words(notes))) <= TERSE_NOTES_WORDS:
        limits.append((TERSE_ADDED, "adds more than terse notes hold"))
    if len(text.split()) < MIN_WORDS:
        limits.append((SHORT_ADDED, "is short and still adds what the notes do not hold"))
    added = added_words(notes, text) if limits else []
    return [f"{reason} ({', '.join(added[:5])}, ...)" for limit, reason in limits if len(added) > limit]


def added_words(notes: str, text: str) -> list[str]:
    """The content words of ``text`` whose stem the notes lack, in order, once each; a hedge on a figure ('about')
    is not content (:data:`~winrewrite.hedges.HEDGE_WORDS`)."""
    have = {stem(w) for w in content_words(notes)}
    return list(dict.fromkeys(w for w in content_words(text) if stem(w) not in have and w not in HEDGE_WORDS))


# a level with its sign, one end of a change: 'bias from +22% to +6%', 'margin -3% -> +1%'
_SIGNED = r"[+\-−][$€£]?\d[\d.,]*\s?%?"
_SIGNED_PAIR = re.compile(rf"(?<!\w)(?P<a>{_SIGNED})\s*(?:->|→|=>|\bto\b)\s*(?P<b>{_SIGNED})")


def signed_levels(notes: str) -> frozenset[str]:
    """The numbers the notes write with a '+' as the levels of a change ('bias cut from +22% to +6%': 22 and
    6): a statement may keep their sign ('from +22% to +6%'), which elsewhere is shorthand ('+2.4% CTR').

    >>> sorted(signed_levels("bias cut from +22% to +6%, CTR +2.4%"))
    ['22', '6']
    """
    return frozenset(
        DIGITS_RE.findall(end)[0] for m in _SIGNED_PAIR.finditer(notes) for end in (m["a"], m["b"]) if end[0] == "+"
    )


def _signed_level_at(text: str, at: int, levels: frozenset[str]) -> bool:
    """Whether the '+' at ``at`` signs one of ``levels`` written as a change's start or end ('from +22%')."""
    if text[at] != "+" or not levels:
        return False
    number = DIGITS_RE.match(text, at + 1 + (text[at + 1 : at + 2] in ("$", "€", "£")))
    if number is None or number[0] not in levels:
        return False
    return bool(re.search(r"\b(?:from|to)\s*\Z", text[:at]))


def check(notes: str, text: str) -> list[str]:
    """Every reason ``text`` may not be returned for ``notes``; empty when it passes. The notes are read with
    their shorthand spelled out, as the model read them ('FPs' holds 'false positives')."""
    notes = expand_shorthand(notes)
    problems = [f"invents the figure {f}" for f in invented_figures(notes, text)]
    problems += [f"writes the quantity {q!r}, which the notes do not give" for q in spelled_quantities(notes, text)]
    problems += [f"drops the figure {f.text}" for f in missing_figures(extract_figures(notes), text)]
    problems += [f"drops the quantity {q!r}" for q in dropped_quantities(notes, text)]
    problems += figure_misuse(notes, text)
    problems += direction_problems(notes, text)
    problems += moved_figures(text)
    problems += scale_misuse(notes, text)
    problems += delta_as_level(notes, text)
    problems += held_changed(notes, text)
    problems += saving_dropped(notes, text)
    problems += misattributed_figures(notes, text)
    problems += unfounded_bounds(notes, text)
    problems += change_as_share(notes, text)
    problems += unnamed_metrics(notes, text)
    problems += renamed_counts(notes, text)
    problems += unfounded_result(notes, text)
    problems += label_leak(notes, text)
    problems += [f"names {n}, which the notes do not mention" for n in unsupported_names(notes, text)]
    problems += unsupported_adoption(notes, text)
    problems += [f"writes {w!r}, which is code the notes do not hold" for w in code_words(notes, text)]
    problems += added_content_problems(notes, text)
    return problems + form_problems(text, shortest_for(notes), signed_levels(notes))
