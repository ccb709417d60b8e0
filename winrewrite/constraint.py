"""Decoding under a figure constraint: a digit may only start or continue a figure of the notes.

The Gemma tokenizer writes every digit as its own token, so the numbers a statement may contain form a
small trie over the digit strings of the notes ('340', '62', '4,800'). At each step the processor
reads the number being written at the end of the text so far and masks every digit token that would
leave the trie, every token that mixes digits with other characters, and every token that would end an
unfinished number. The same step rule (:class:`Step`) keeps the statement open until every figure is in
and a full stop ends it, never ends a sentence on a word like 'by', never repeats a run of three word
tokens, and lets a capitalized word grow only into a name the notes mention.

>>> from transformers import AutoTokenizer  # doctest: +SKIP
>>> FigureConstraint(AutoTokenizer.from_pretrained(path), "p99 340ms->62ms", prompt_length=12)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, NamedTuple

import torch

from winrewrite.figures import DIGITS_RE, QUALIFIER, digit_strings, extract_changes, extract_figures, fixed_scale
from winrewrite.guard import (
    ADOPTED,
    BACKWARD_WORD,
    BY_END,
    CHANGE_WORD,
    CLAUSE_BREAK,
    DANGLING_WORDS,
    FALL_VERB,
    JUNK,
    LABEL_LEAK,
    LEADERS,
    LOOSE_SIGN,
    RISE_VERB,
    SHORTHAND,
    SPACED_PUNCTUATION,
    WORD,
    after_scale_word,
    counts_something,
    flatten,
    one_way,
    quantity_words,
    says_taken_up,
    scale_tops,
    unit_family,
    unit_must_stay,
    unknown_parts,
    unsaid_number_words,
    verb_before,
    verb_ways,
)

logger = logging.getLogger(__name__)
_TRAILING_NUMBER = re.compile(r"(\d+(?:[.,]\d+)*)([.,]?)\Z")  # \Z: "$" would also match before a final newline
_WIDEST = 16384  # the most top tokens a row's choice is looked for among before the whole row is masked
_SPECIAL = re.compile(r"<[^<>]*>")  # '<eos>', '<end_of_turn>': not text
_DIGIT_POINT = re.compile(r"\d\.\Z")
_LETTER = re.compile(r"[A-Za-z]")
_LAST_WORD = re.compile(r"(?<!\w)[A-Za-z]+\Z")  # a whole word of letters at the very end ('the', the 's' of "team's")
# 'from 70% to ', 'from 2 days to ': the number that follows must be a fitting end point for that start
_FROM = re.compile(r"\bfrom\s+[$€£]?\Z", re.IGNORECASE)
_LAST_NUMBER = re.compile(r"(\d+(?:[.,]\d+)*)\D*\Z")  # the last number of a text, and what follows it
_CHANGE_GAP = 60  # the most characters the guard allows between a change's two figures
# how a magnitude may be written right after its number ('3' of '$3k' goes on as '3k', '3K' or '3 thousand')
_SCALE_WORDS = {1e3: ("k", "K", " thousand"), 1e6: ("M", "m", "MM", " million"), 1e9: ("B", "b", "bn", " billion")}
# how a number may go on to its unit, for the units a statement must keep (guard.unit_must_stay; money's sign comes first)
_UNIT_WORDS = {
    "%": ("%", " percent"),
    "pp": ("pp", " pp", "pts", " pts", " points", " percentage"),
    "x": ("x", "×", " times", "-fold"),
}
_TOKEN_SETS: dict[tuple[int, tuple[str, ...]], frozenset[int]] = {}  # (table, what) -> tokens, found once per process
_GUARD_WORD = re.compile(r"[a-z0-9]+")  # a word as the guard counts words for its repeat rule
# the characters of a name that stand right before its number in the notes ('DATA-' of 'DATA-918', 'NDCG@', 'v')
_NAME_HEAD = re.compile(r"[\w@#-]*\Z")
_IN_NAME = re.compile(r"(?:[\w@]|[A-Z]{2}-)\Z")  # where a number is part of a name, not a figure (figures.FIGURE_RE)
_FROM_TO = re.compile(rf"\bfrom\s+[$€£]?(\d+(?:[.,]\d+)*)\S*(?:\s+\S+){{0,2}}?\s+to\s+(?:{QUALIFIER}\s+)?[$€£]?\Z", re.IGNORECASE)


@dataclass(frozen=True)
class TokenTable:
    """What the constraint needs to know about a vocabulary."""

    strings: tuple[str, ...]  # each token as text, SentencePiece's '▁' read as a space
    digit_ids: dict[str, int]  # '0'..'9' -> the token that is exactly that digit
    separator_ids: dict[str, int]  # '.' and ',' -> their tokens
    banned_ids: torch.Tensor  # tokens holding a digit but not exactly one ASCII digit, or text that is not prose
    end_ids: torch.Tensor  # tokens that could end a sentence ('.', '!', '?', a line break)
    ratio_ids: torch.Tensor  # tokens that would make the number before them a percentage or a multiple
    currency_ids: dict[str, torch.Tensor]  # '$', '€', '£' -> the tokens holding that sign
    end_set: frozenset[int] = frozenset()  # the same ids as sets, for one token at a time
    ratio_set: frozenset[int] = frozenset()
    currency_set: frozenset[int] = frozenset()
    word_ids: frozenset[int] = frozenset()  # tokens holding a letter
    upper_ids: tuple[int, ...] = ()  # tokens holding a capital letter (they may start a name)
    glued_ids: frozenset[int] = frozenset()  # tokens that do not start with a space (they continue a word)
    plain: bytes = b""  # 1 for a token of no digit, separator, sentence end, sign, capital or blank: mostly words
    unspaced_ids: torch.Tensor = torch.empty(0, dtype=torch.long)  # tokens that never follow a space (see _scan)
    unspaced_set: frozenset[int] = frozenset()
    whole_words: WholeWords | None = None  # see whole_word_tokens


@lru_cache(maxsize=4)
def token_table(tokenizer: object) -> TokenTable:
    """Scan the vocabulary once per tokenizer.

    The scan takes about 0.6 s for Gemma's 262k tokens. A tokenizer read from a file (the embedded model's,
    :class:`~winrewrite.tokenizer.Tokenizer`) keeps the result in a file beside it, named by a hash of the
    tokenizer file and of the rules that make the table (this module and the guard's): a later process reads
    it back in a fraction of that time, and any change to either gives a new name.
    """
    source = getattr(tokenizer, "source", None)
    stored = _table_file(source) if isinstance(source, Path) else None
    if stored is not None:
        try:
            return _read_table(stored)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # none yet, or damaged: scan again and rewrite it
    table = _scan(tokenizer)
    if stored is not None:
        _write_table(table, stored)
    return table


_TABLE_FORMAT = 3


def _table_file(source: Path) -> Path | None:
    """Where the table of the tokenizer read from ``source`` is kept; None when ``source`` cannot be read."""
    from winrewrite import guard

    try:
        stat = source.stat()
        rules = Path(__file__).read_bytes() + Path(guard.__file__).read_bytes()
    except OSError:
        return None
    key = hashlib.sha256(f"{_TABLE_FORMAT} {source.name} {stat.st_size} {stat.st_mtime_ns}".encode() + rules)
    return source.with_name(f"token-table-{key.hexdigest()[:16]}.json")


def _read_table(path: Path) -> TokenTable:
    return _build_table(**json.loads(path.read_text(encoding="utf-8")))


def _build_table(
    strings: list[str],
    digit_ids: dict[str, int],
    separator_ids: dict[str, int],
    banned: list[int],
    ends: list[int],
    ratios: list[int],
    currency: dict[str, list[int]],
    words: list[int],
    upper: list[int],
    glued: list[int],
    plain: str,
    unspaced: list[int],
    whole_words: dict[str, Any],
) -> TokenTable:
    """A table from its lists of ids (as :func:`_scan` finds them and :func:`_write_table` stores them)."""
    tensor = partial(torch.tensor, dtype=torch.long)
    return TokenTable(
        tuple(strings), digit_ids, separator_ids, tensor(sorted(set(banned))), tensor(ends), tensor(ratios),
        {c: tensor(ids) for c, ids in currency.items()}, frozenset(ends), frozenset(ratios),
        frozenset(i for ids in currency.values() for i in ids), frozenset(words), tuple(upper), frozenset(glued),
        bytes.fromhex(plain), tensor(unspaced), frozenset(unspaced),
        WholeWords(whole_words),
    )  # fmt: skip


def _pack_words(words: dict[str, tuple[list[int], list[int]]]) -> dict[str, Any]:
    """:attr:`TokenTable.whole_words` as a few flat lists: JSON reads them about 3x faster than a dict of lists."""
    spaced, glued = [ids for ids, _ in words.values()], [ids for _, ids in words.values()]
    return {
        "words": " ".join(words), "spaced": [i for ids in spaced for i in ids], "spaced_counts": [len(ids) for ids in spaced],
        "glued": [i for ids in glued for i in ids], "glued_counts": [len(ids) for ids in glued],
    }  # fmt: skip


class WholeWords:
    """:func:`whole_word_tokens`: each word (lower case) -> (the tokens that write it after a space or a sign, those
    that write it glued), looked up in the flat lists of :func:`_pack_words` (a dict of Gemma's 86k words' lists
    would take about 0.6 s to build at each start; this takes a few ms).

    >>> words = WholeWords(_pack_words({"option": ([5, 9], [7])}))
    >>> "option" in words, words["option"]
    (True, ([5, 9], [7]))
    """

    def __init__(self, packed: dict[str, Any]) -> None:
        words = packed["words"].split(" ") if packed["words"] else []
        self.packed = packed
        self._index = dict(zip(words, range(len(words)), strict=True))
        self._spaced_at = [0, *itertools.accumulate(packed["spaced_counts"])]
        self._glued_at = [0, *itertools.accumulate(packed["glued_counts"])]

    def __contains__(self, word: object) -> bool:
        return word in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WholeWords) and self.packed == other.packed

    def __getitem__(self, word: str) -> tuple[list[int], list[int]]:
        i = self._index[word]
        spaced, glued = self.packed["spaced"], self.packed["glued"]
        return spaced[self._spaced_at[i] : self._spaced_at[i + 1]], glued[self._glued_at[i] : self._glued_at[i + 1]]


def _write_table(table: TokenTable, path: Path) -> None:
    """Write ``table`` beside its tokenizer (then rename, so a reader never sees half of it) and remove the
    tables of earlier tokenizer files or rules; a folder that cannot be written only costs the scan next time."""
    d = {
        "strings": table.strings, "digit_ids": table.digit_ids, "separator_ids": table.separator_ids,
        "banned": table.banned_ids.tolist(), "ends": table.end_ids.tolist(), "ratios": table.ratio_ids.tolist(),
        "currency": {c: ids.tolist() for c, ids in table.currency_ids.items()}, "words": sorted(table.word_ids),
        "upper": table.upper_ids, "glued": sorted(table.glued_ids), "plain": table.plain.hex(),
        "unspaced": table.unspaced_ids.tolist(), "whole_words": whole_word_tokens(table).packed,
    }  # fmt: skip
    partial_file = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial_file.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
        os.replace(partial_file, path)
        for old in path.parent.glob("token-table-*.json"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as e:
        logger.info("could not keep the token table in %s (%s)", path, e)
        partial_file.unlink(missing_ok=True)


def _scan(tokenizer: object) -> TokenTable:
    """The table of ``tokenizer``, from its vocabulary."""
    size = len(tokenizer)  # type: ignore[arg-type]
    raw = tokenizer.convert_ids_to_tokens(list(range(size)))  # type: ignore[attr-defined]
    strings = tuple((t or "").replace("▁", " ").replace("Ġ", " ") for t in raw)
    # set lookups per token instead of a character loop: 262k tokens take ~0.1 s, not ~1.3 s
    numeric = frozenset(c for c in set("".join(strings)) if c.isdigit() or c.isnumeric())
    sentence_ends = frozenset(".!?\n")
    digit_ids: dict[str, int] = {}
    separator_ids: dict[str, int] = {}
    banned = []
    ends = []
    ratios = [i for i, s in enumerate(strings) if s.startswith(("x", "×")) or s.lstrip().lower().startswith(("%", "percent"))]
    for i, s in enumerate(strings):
        if not sentence_ends.isdisjoint(s):
            ends.append(i)
        if len(s) == 1 and s in "0123456789":
            if s in digit_ids:  # a second token for the same digit: one spelling per digit is enough
                banned.append(i)
            digit_ids.setdefault(s, i)
        elif s in (".", ","):
            separator_ids.setdefault(s, i)
        elif not numeric.isdisjoint(s) or "__" in s:  # digits glued to text, or a blank to fill in
            banned.append(i)
        elif (JUNK.search(s) or SHORTHAND.search(s) or SPACED_PUNCTUATION.match(s)) and not _SPECIAL.fullmatch(s):
            banned.append(i)  # '-----', '^', 'http://', '->', '~' (not '<eos>'): the guard rejects any text holding it
    currency = {c: [i for i, s in enumerate(strings) if c in s] for c in "$€£"}
    upper = tuple(i for i, s in enumerate(strings) if s != s.lower())
    # Tokens that never follow a space: one that starts with a letter continues a word, and after a space it
    # starts a broken one (' uckoo') where the tokenizer would have written a token with the space ('▁u'), so
    # it is ruled out for the letters the tokenizer has such a token for; and a sign that belongs to a number
    # or a word (' +%', ' ×overhead', ' _per', ' -big', ' /'); and punctuation ('by .').
    spaced = {s[1] for s in strings if len(s) > 1 and s[0] == " " and s[1].isalpha()}
    unspaced = [
        i for i, s in enumerate(strings) if s[:1] in spaced or LOOSE_SIGN.match(" " + s, 1) or SPACED_PUNCTUATION.match(" " + s)
    ]
    words = [i for i, s in enumerate(strings) if any(c.isalpha() for c in s)]
    whole_words: dict[str, tuple[list[int], list[int]]] = {}
    for i in words:
        word = strings[i].lstrip(" -/(\"'").lower()
        if word.isalpha() and word.isascii():
            whole_words.setdefault(word, ([], []))[0 if word != strings[i].lower() else 1].append(i)
    plain = bytearray(b"\x01") * size
    for i in set(banned).union(digit_ids.values(), separator_ids.values(), ends, ratios, upper, *currency.values()):
        plain[i] = 0
    return _build_table(
        list(strings), digit_ids, separator_ids, banned, ends, ratios, currency,
        words=words, upper=list(upper), glued=[i for i, s in enumerate(strings) if s and not s[0].isspace()],
        plain=bytes(plain).hex(), unspaced=unspaced, whole_words=_pack_words(whole_words),
    )  # fmt: skip


@dataclass(frozen=True)
class Step:
    """What may follow one partial statement (:meth:`FigureConstraint.step`)."""

    only: frozenset[int] | None  # inside an unfinished number: nothing but these tokens
    blocked: frozenset[int]  # digit tokens that continue no figure of the notes
    keep: frozenset[int]  # the digits and separators that do
    no_ratio: bool  # the number just written counts something: no '%' or 'x'
    no_currency: bool  # no number may start here, so no currency sign either
    missing: bool  # a figure is still missing: no stop, no sentence end
    open_sentence: bool = False  # the text does not end in a full stop: no stop yet
    dangling: bool = False  # the text ends on a word like 'by' or 'the': no sentence end yet
    repeats: frozenset[int] = frozenset()  # words that would repeat a three-word run of the text
    doubled: str = ""  # ' under' after 'under', 'under' after 'under ': the same word may not follow (lower case)
    names: NameContext | None = None  # where a capitalized word may only grow into a name of the notes
    after_space: bool = False  # the text ends in a space: no word fragment (' uckoo') or loose sign (' +%') may follow


def suffix_tokens(table: TokenTable, words: tuple[str, ...]) -> frozenset[int]:
    """The tokens that write one of ``words`` (a magnitude, a unit) right after a number: the word, then
    nothing or no letter ('k', 'k,' but not 'kg')."""
    key = (id(table), words)
    if key not in _TOKEN_SETS:
        _TOKEN_SETS[key] = frozenset(
            i
            for i, s in enumerate(table.strings)
            if s.startswith(words) and any(s.startswith(w) and not s[len(w) : len(w) + 1].isalpha() for w in words)
        )
    return _TOKEN_SETS[key]


def whole_word_tokens(table: TokenTable) -> WholeWords:
    """Each word (lower case) -> the tokens that write exactly it after a space or a sign (' option', '-house'),
    and those that write it glued ('option'): how a word that would repeat a three-word run is ruled out.
    Found by the vocabulary scan and kept in the table's file (a Python pass over Gemma's 262k tokens takes
    about 0.8 s)."""
    return table.whole_words or WholeWords(_pack_words({}))


def number_word_tokens(table: TokenTable, words: frozenset[str]) -> frozenset[int]:
    """The tokens that write one of ``words`` whole after a space or a sign (' twice', ' tripled'): number words
    the notes give no ground for (:func:`~winrewrite.guard.unsaid_number_words`)."""
    whole = whole_word_tokens(table)
    return frozenset(i for w in words if w in whole for i in whole[w][0])


def clause_break_tokens(table: TokenTable) -> frozenset[int]:
    """The tokens that hold a clause break (' and', ';', a dash): what a change's two figures may not have between them."""
    key = (id(table), ("clause break",))
    if key not in _TOKEN_SETS:
        marks = ("and", ";", "—", "–")  # a quick test first: the pattern is searched in few of the 262k tokens
        _TOKEN_SETS[key] = frozenset(
            i for i, s in enumerate(table.strings) if any(m in s for m in marks) and CLAUSE_BREAK.search(s)
        )
    return _TOKEN_SETS[key]


def adoption_tokens(table: TokenTable) -> frozenset[int]:
    """The tokens that write a word of adoption (' adopted', 'Adoption'): for notes that never say anyone took
    the work up (:func:`~winrewrite.guard.says_taken_up`) they are not written, as the guard would reject the text."""
    key = (id(table), ("adoption",))
    if key not in _TOKEN_SETS:
        _TOKEN_SETS[key] = frozenset(i for i, s in enumerate(table.strings) if "dopt" in s and ADOPTED.match(s.strip()))
    return _TOKEN_SETS[key]


def label_leak_tokens(table: TokenTable) -> frozenset[int]:
    """The tokens that write 'leadership', the category label's word: for notes that never speak of leaders
    (:func:`~winrewrite.guard.label_leak`) they are not written, as the guard would reject the text."""
    key = (id(table), ("leadership",))
    if key not in _TOKEN_SETS:
        _TOKEN_SETS[key] = frozenset(
            i for i, s in enumerate(table.strings) if "eadership" in s and LABEL_LEAK.fullmatch(s.strip())
        )
    return _TOKEN_SETS[key]


def direction_tokens(table: TokenTable, rise: bool) -> frozenset[int]:
    """The tokens that write a whole verb of rise (' raising', 'Boosted') or of fall (' cutting', 'Reduced'): for
    notes whose changes all go the other way (:func:`~winrewrite.guard.one_way`) they are not written, as the
    guard would reject the text."""
    key = (id(table), ("rise" if rise else "fall",))
    if key not in _TOKEN_SETS:
        verb = RISE_VERB if rise else FALL_VERB
        _TOKEN_SETS[key] = frozenset(i for i, s in enumerate(table.strings) if verb.fullmatch(s.strip()))
    return _TOKEN_SETS[key]


def _broken(gap: str) -> bool:
    """Whether a change of the notes can no longer be written whole after ``gap`` followed one of its numbers:
    too long, or holding a clause break (the guard would reject the text)."""
    return len(gap) > _CHANGE_GAP or bool(CLAUSE_BREAK.search(gap))


class PlainRow(NamedTuple):  # a tuple: made once per row and step, where a dataclass costs several times more
    """One text as the quick test of :meth:`FigureConstraint.plainly_permits` reads it."""

    repeats: frozenset[int]  # word tokens that would repeat a three-word run
    doubled: str  # what would write the last word again
    after_space: bool  # the text ends in a space
    in_change: bool  # a change of the notes is open: no clause break
    glued_capital: bool  # the text ends inside a capitalized word: a token that continues it may be no name


@dataclass(frozen=True)
class NameContext:
    """The word being written and what stands before it, for the guard's rule on names (``unknown_parts``)."""

    word: str  # the text since the last space ('' right after a space)
    word_first: bool  # that word is the statement's first (a capital is no name there)
    word_after_figure: bool  # it follows a number ('6K')
    next_first: bool  # the same two for a word that a token starting with a space would begin
    next_after_figure: bool


def _doubled(text: str) -> str:
    """What would write the text's last word again: ' under' after 'under', 'under' after 'under '."""
    stripped = text.rstrip(" ")
    m = _LAST_WORD.search(stripped[-64:])
    if not m:
        return ""
    return m.group(0).lower() if stripped != text else " " + m.group(0).lower()


def _name_context(text: str) -> NameContext:
    word = text.rsplit(None, 1)[-1] if text[-1:] and not text[-1].isspace() else ""
    before = text[: len(text) - len(word)]
    return NameContext(
        word=word,
        word_first=not _LETTER.search(before),
        word_after_figure=before.rstrip(" $")[-1:].isdigit(),
        next_first=not _LETTER.search(text),
        next_after_figure=text.rstrip(" $")[-1:].isdigit(),
    )


class FigureConstraint:
    """A logits processor that lets the model write only numbers that appear in the notes, each no
    more often than the notes do. It is called as transformers calls one (it can go in a
    ``LogitsProcessorList`` for ``generate``), without importing transformers for its base class.

    Args:
        tokenizer: the model's tokenizer.
        notes: the user's notes; every digit run in them ('340', '99' of 'p99', '4,800') may be written,
            as many times as it occurs there.
        prompt_length: number of prompt tokens (after left padding) before the generated text starts.
        stop_ids: with ``require_all``, the tokens that end a statement.
        require_all: forbid ``stop_ids``, and any token that would end the sentence, until every figure
            of the notes has been written.
    """

    def __init__(
        self,
        tokenizer: object,
        notes: str,
        prompt_length: int,
        stop_ids: Iterable[int] = (),
        require_all: bool = False,
    ) -> None:
        self.table = token_table(tokenizer)
        self.budget = Counter(m.group(0) for m in DIGITS_RE.finditer(notes))
        self.allowed = frozenset(self.budget)
        figures = [(f, m.group(0)) for f in extract_figures(notes) if (m := DIGITS_RE.search(f.text))]  # with digits
        self.families: dict[str, set[str | None]] = {}  # digit string -> the kinds of quantity it has in the notes
        scales: dict[str, set[float | None]] = {}  # digit string -> the magnitudes the notes write it with
        units: dict[str, set[str | None]] = {}  # digit string -> the units a statement must keep with it (or None)
        for f, digits in figures:
            self.families.setdefault(digits, set()).add(unit_family(f.unit))
            scales.setdefault(digits, set()).add(fixed_scale(f))
            units.setdefault(digits, set()).add(unit_family(f.unit) if unit_must_stay(notes, f) else None)
        counting = [(digits, counts_something(notes, f)) for f, digits in figures]
        self.counts = {d for d, _ in counting} - {d for d, c in counting if not c}  # '45 analyst hrs': never 45%
        self.ends: dict[str, set[str]] = {}  # a change's start -> its end points in the notes ('74->91')
        joined: dict[tuple[str, bool], list[str]] = {}  # the same both ways, for changes the guard keeps whole
        for c in extract_changes(notes, [f for f, _ in figures]):
            if (a := DIGITS_RE.search(c.before.text)) and (b := DIGITS_RE.search(c.after.text)):
                self.ends.setdefault(a.group(0), set()).add(b.group(0))
                if c.before.unit is None or c.after.unit is None or unit_family(c.before.unit) == unit_family(c.after.unit):
                    joined.setdefault((a.group(0), True), []).append(b.group(0))
                    joined.setdefault((b.group(0), False), []).append(a.group(0))
        self.in_changes = set(self.ends).union(*self.ends.values())  # every number of a change in the notes
        # the ways a verb may say a number went: after 'cutting ... from' only a falling change's start, after
        # 'cutting ... by' no level and no rise (guard.direction_problems)
        self.way_from, self.way_by = verb_ways(notes)
        # a number the notes write only inside a name ('DATA-918', 'NDCG@10', 'v7') -> the heads it has there: it
        # is written only after one of them, never as a figure ('the data-918 pipeline', 'NDCG from 10 to 4.2%')
        in_figures = {digits for _, digits in figures}
        heads: dict[str, set[str]] = {}
        for m in DIGITS_RE.finditer(notes):
            if m.group(0) not in in_figures:
                head = _NAME_HEAD.search(notes, 0, m.start())
                heads.setdefault(m.group(0), set()).add(head.group(0).lower() if head else "")
        self.name_heads = {d: frozenset(h for h in hs if h) for d, hs in heads.items()}
        self.scale_tops = scale_tops(notes)  # '30' of '29/30 days': only after 'out of', '/' or 'of'
        # a number the notes write only as the start (True) or only as the end (False) of a change the guard
        # keeps whole ('74->91', not '45% -> $180k') -> the other numbers of its changes
        self.partners = {
            a: (frozenset(others), start) for (a, start), others in joined.items() if len(others) == self.budget[a]
        }
        self.money = frozenset(d for d, kinds in self.families.items() if kinds == {"$"})  # '$3.2M': written after its sign
        # a number the notes always write with one magnitude ('$3k') is never written without it; nor one
        # whose unit must stay ('23%', '5x spike'), unless it is part of a change ('from 23 to 11%')
        fixed = {d: scale for d, s in scales.items() if len(s) == 1 and (scale := next(iter(s))) is not None}
        suffixes = {d: _SCALE_WORDS.get(scale, ()) for d, scale in fixed.items()}
        for d, kinds in units.items():
            kind = next(iter(kinds))
            if len(kinds) == 1 and kind in _UNIT_WORDS and d not in self.in_changes and d not in suffixes:
                suffixes[d] = _UNIT_WORDS[kind]
        self.scaled = {d: tokens for d, words in suffixes.items() if (tokens := suffix_tokens(self.table, words))}
        self.prompt_length = prompt_length
        self.required = {digits for _, digits in figures} if require_all else set()
        # quantities the notes write in words ('errors cut in half'): required too, in any form ('halved')
        self.required_words = [again for _, again, _ in quantity_words(notes)] if require_all else []
        self.stop_ids = sorted(stop_ids)
        self.no_money = [c for c in "$€£" if c not in notes]  # a currency sign the notes never use is not written
        t = self.table
        # words the notes give no ground for
        way = one_way(notes)
        self._unsaid = (
            (frozenset() if says_taken_up(notes) else adoption_tokens(t))
            | (frozenset() if LEADERS.search(notes) else label_leak_tokens(t))
            | (frozenset() if way is None else direction_tokens(t, rise=not way))
            | number_word_tokens(t, unsaid_number_words(notes))
        )
        unsaid = torch.tensor(sorted(self._unsaid), dtype=torch.long)
        self._banned_ids = torch.cat([t.banned_ids, *(t.currency_ids[c] for c in self.no_money), unsaid])
        self._banned = frozenset(self._banned_ids.tolist())
        self._stops = frozenset(self.stop_ids)
        self._flat = flatten(notes)
        self._chunks: dict[tuple[bool, bool, str], bool] = {}
        self._unknown_starts: dict[tuple[bool, bool], list[int]] = {}

    @staticmethod
    def _next_chars(partial: str, left: frozenset[str]) -> set[str]:
        return {a[len(partial)] for a in left if len(a) > len(partial) and a.startswith(partial)}

    def _fitting(self, before: str) -> frozenset[str]:
        """The numbers of the notes that may follow ``before``: after 'from X ... to ' only a fitting end
        point of X (:meth:`_ends_with`); after 'from ' only a number that has one; inside a change of the
        notes (:meth:`_open_change`) only its other number, once a word joins them; after 'by ' no number
        of such a change (both are levels, not the difference); else any."""
        if m := _FROM_TO.search(before):
            return frozenset(a for a in self.allowed if self._ends_with(m.group(1), a))
        if _FROM.search(before):
            starts = (a for a in self.allowed if any(self._ends_with(a, b) for b in self.allowed if b != a))
            if verb := verb_before(before, len(before)):  # 'cutting ... from ': a change that goes down
                starts = (a for a in starts if verb[1] in self.way_from.get(a, (verb[1],)))
            return frozenset(starts)
        if (ends := self._open_change(before)) is not None:
            return ends
        if BY_END.search(before):  # '6 wks -> 3 wks' is never 'cut by 3 weeks'
            amounts = self.allowed - self.partners.keys()
            if verb := verb_before(before, len(before)):  # 'cutting ... by ': no level, no rise
                amounts = frozenset(a for a in amounts if verb[1] in self.way_by.get(a, (True, False)))
            return amounts
        return self.allowed

    def _placed(self, number: str, before: str) -> bool:
        """Whether ``number`` may start after ``before``: a figure of the notes may, but for the top of a scale
        ('30' of '29/30 days'), only after 'out of', '/' or 'of'; a number the notes write only inside a name,
        only right after that name's head ('DATA-', 'NDCG@')."""
        if number in self.scale_tops:
            return after_scale_word(before)
        heads = self.name_heads.get(number)
        if heads is None:
            return True
        low = before[-16:].lower()
        return bool(_IN_NAME.search(before)) and any(low.endswith(h) for h in heads)

    def _open_change(self, before: str) -> frozenset[str] | None:
        """After one number of a change of the notes ('2K' of '2K -> 18K', or '18K' written first; see
        ``partners``) and before the other: the guard wants the two in one clause, joined by a word ('2K
        to 18K', '2K examples up to 18K', '18K, up from 2K'; not '2K and 18K', nor another figure between).
        So: no number until such a word, then only the other one. None when no change is open, or when it
        is broken (:meth:`_pending_change`)."""
        pending = self._pending_change(before)
        if pending is None or _broken(pending[2]):
            return None
        others, forward, gap = pending
        return others if (CHANGE_WORD if forward else BACKWARD_WORD).search(gap) else frozenset()

    def _pending_change(self, before: str) -> tuple[frozenset[str], bool, str] | None:
        """When the last number of ``before`` is one of a change of the notes whose other number has not come:
        the other numbers, whether it was the start, and the text since its figure."""
        if not self.partners:
            return None
        tail = before[-200:]
        last = _LAST_NUMBER.search(tail)
        if last is None or last.group(1) not in self.partners:
            return None
        others, forward = self.partners[last.group(1)]
        written = Counter(n.group(0) for n in DIGITS_RE.finditer(before))
        if any(written[other] >= written[last.group(1)] for other in others):
            return None
        # the gap is counted from the end of the number's figure, as the guard counts it ('6 weeks| instead of')
        end = next((f.end for f in extract_figures(tail) if f.start <= last.start(1) < f.end), last.end(1))
        return others, forward, tail[end:].rstrip("$€£")

    def _ends_with(self, start: str, number: str) -> bool:
        """Whether a change from ``start`` may end at ``number``: the end the notes give it, or (if the notes
        pair ``start`` with nothing) a number of the same kind of quantity that is not part of another change."""
        if start in self.ends:
            return number in self.ends[start]
        if start in self.in_changes or number in self.in_changes:
            return False  # a number of another change in the notes
        kinds, other = self.families.get(start, {None}), self.families.get(number, {None})
        return None in kinds or None in other or bool(kinds & other)

    def allowed_next(self, text: str) -> tuple[set[str], bool]:
        """For generated ``text``: the characters a number may continue with, and whether a token
        that is not part of the number may come next."""
        chars, free, _ = self._next(text)
        return chars, free

    def _next(self, text: str) -> tuple[set[str], bool, bool]:
        """:meth:`allowed_next`, and whether a currency sign may come next: outside a number, when a number of
        the notes is left to follow it; after a number, only while that number may go on."""
        m = _TRAILING_NUMBER.search(text)
        done = text[: m.start()] if m else text
        used = Counter(n.group(0) for n in DIGITS_RE.finditer(done))
        left = frozenset(a for a in self._fitting(done) if used[a] < self.budget[a] and self._placed(a, done))
        if not m and text.endswith(("$", "€", "£")):  # a currency sign: a number must follow ('$M' is no amount)
            return self._next_chars("", left), False, False
        if not m:  # not inside a number: a digit may only start a figure of the notes, an amount only after its sign
            return self._next_chars("", left - self.money), True, bool(left)
        number, separator = m.groups()
        chars = self._next_chars(number + separator, left)  # '4.' is either the end of a sentence or the start of '4.8'
        return chars, number in left, bool(chars)

    def step(self, text: str, ids: Sequence[int] = ()) -> Step:
        """The rule for the token after generated ``text`` (whose token ``ids``, if given, rule out a word
        that would repeat a run of three words of the text)."""
        t = self.table
        chars, free, signed = self._next(text)
        numeric = {**t.digit_ids, **t.separator_ids}
        keep = frozenset(numeric[c] for c in chars if c in numeric)
        missing = (bool(self.required) and not self.required <= digit_strings(text)) or any(
            not again.search(text) for again in self.required_words
        )
        if missing and _DIGIT_POINT.search(text):  # '4.' may only go on to '4.8' while a figure is missing
            free = False
        m = _TRAILING_NUMBER.search(text)
        if m and m.group(1) in self.scaled:  # '$3' of '$3k': its magnitude next, or more digits ('3.' goes on to '3.2')
            if not m.group(2):
                return Step(keep | self.scaled[m.group(1)], frozenset(), keep, False, False, False)
            free = False
        if not free:  # an unfinished number: only its continuations may follow (if none can, the statement ends)
            return Step(keep or frozenset(self.stop_ids), frozenset(), keep, False, False, False)
        blocked = frozenset(i for d, i in t.digit_ids.items() if d not in chars)
        if (pending := self._pending_change(text)) is not None:  # '2K' of '2K -> 18K': no ' and' before '18K'
            if _broken(pending[2]):  # the change can no longer be written whole: the candidate ends (the guard rejects it)
                return Step(frozenset(self.stop_ids), frozenset(), frozenset(), False, False, False)
            blocked |= clause_break_tokens(t)
        return Step(
            only=None,
            blocked=blocked,
            keep=keep,
            no_ratio=bool(m and m.group(1) in self.counts and not m.group(2)),
            no_currency=not signed,  # a sign needs a number to follow
            missing=missing,
            open_sentence=not text.rstrip().rstrip("\"')]”’").endswith((".", "!", "?")),
            dangling=text[-1:].isalpha() and text.rsplit(maxsplit=1)[-1].lower() in DANGLING_WORDS,
            repeats=self._repeats(ids) | self._repeated_words(text),
            doubled=_doubled(text),
            names=_name_context(text),
            after_space=text.endswith(" "),
        )

    def step_after(self, ids: Sequence[int]) -> Step:
        """The rule for the token after the generated token ``ids`` (:meth:`step` of their text)."""
        return self.step(self.text_of(ids), ids)

    def dead_end(self, ids: Sequence[int]) -> bool:
        """Whether the statement ``ids`` may only stop, unfinished: a number that no figure of the notes
        continues, or a change of the notes broken apart. The guard rejects such a text; a search drops it."""
        return bool(self._stops) and self.step_after(ids).only == self._stops

    def text_of(self, ids: Sequence[int]) -> str:
        """The text of the token ``ids``."""
        return "".join(self.table.strings[i] for i in ids)

    def _names_ok(self, names: NameContext, token: int) -> bool:
        """Whether ``token`` keeps every capitalized word after the first on its way to a name of the notes."""
        piece = self.table.strings[token]
        if not piece:  # an empty token adds nothing
            return True
        if names.word and not piece[:1].isspace():
            return self._chunk_ok(names.word_first, names.word_after_figure, names.word + piece)
        return self._chunk_ok(names.next_first, names.next_after_figure, piece.lstrip())

    def _chunk_ok(self, first: bool, after_figure: bool, chunk: str) -> bool:
        if chunk == chunk.lower():  # no capital: no name
            return True
        key = (first, after_figure, chunk)
        if key not in self._chunks:
            ok, seen_word = True, not first
            for m in WORD.finditer(chunk):
                lead = chunk[: m.start()].rstrip(" $")
                exempt = not seen_word or (lead[-1:].isdigit() if lead else after_figure)  # first word; '6K'
                seen_word = True
                if not exempt and unknown_parts(self._flat, m.group(0), partial=True):
                    ok = False
                    break
            self._chunks[key] = ok
        return self._chunks[key]

    def _unknown_names(self, names: NameContext) -> list[int]:
        """Every token that :meth:`_names_ok` rules out (for the full mask). Tokens that start a word are
        checked once per kind of position; tokens that continue a word, once per word."""
        t = self.table
        start = (names.next_first, names.next_after_figure)
        if start not in self._unknown_starts:  # every token, as the start of a new word
            probe = NameContext("", *start, *start)
            self._unknown_starts[start] = [i for i in t.upper_ids if not self._names_ok(probe, i)]
        if not names.word:
            return self._unknown_starts[start]
        starting = [i for i in self._unknown_starts[start] if i not in t.glued_ids]
        glued = t.glued_ids if names.word != names.word.lower() else t.glued_ids.intersection(t.upper_ids)
        return starting + [i for i in glued if not self._names_ok(names, i)]

    def _repeats(self, ids: Sequence[int]) -> frozenset[int]:
        """Word tokens that would make the last two tokens and themselves a run of three word tokens
        that the text already holds (the guard rejects a repeated three-word run)."""
        words = self.table.word_ids
        if len(ids) < 3 or ids[-1] not in words or ids[-2] not in words:
            return frozenset()
        last = (ids[-2], ids[-1])
        return frozenset(c for a, b, c in zip(ids, ids[1:], ids[2:], strict=False) if (a, b) == last and c in words)

    def _repeated_words(self, text: str) -> frozenset[int]:
        """Tokens that would write, as the next word, the third word of a run of three words the text already
        holds after its last two, as the guard counts words (letters and digits; 'an in-house option' repeats
        'in house option' however it is spelt or tokenized)."""
        words = _GUARD_WORD.findall(text[-400:].lower())
        if len(words) < 3:
            return frozenset()
        last = (words[-2], words[-1])
        thirds = {c for a, b, c in zip(words, words[1:], words[2:], strict=False) if (a, b) == last}
        if not thirds:
            return frozenset()
        table = whole_word_tokens(self.table)
        glued_too = not text[-1:].isalnum()  # after a space or a sign, a glued token starts a new word as well
        return frozenset(i for w in thirds if w in table for i in table[w][0] + (table[w][1] if glued_too else []))

    def _plainly_permitted(self, text: str, generated: Sequence[int], token: int) -> bool:
        """A quick sufficient test: True only where ``permits(step(text, generated), token)`` is, for a
        token that no rule but the repeat and name rules can concern (``plain``), after a text that
        ends in no number or sign, and not glued to a capitalized word, nor a clause break inside a change."""
        if not self.table.plain[token] or token in self._stops:  # the cheapest test first
            return False
        row = self.plain_row(text, generated)
        return row is not None and self.plainly_permits(row, token)

    def plain_row(self, text: str, generated: Sequence[int]) -> PlainRow | None:
        """What :meth:`plainly_permits` needs to know about the text ``text`` (of token ids ``generated``), read
        once for all the tokens that may follow it; None where no token passes the quick test (after a number
        or a sign, or once a change of the notes can no longer be written whole)."""
        last = text[-1:]
        if last.isdigit() or last in ("$", "€", "£") or (last in (".", ",") and text[-2:-1].isdigit()):
            return None
        pending = self._pending_change(text)
        if pending is not None and _broken(pending[2]):
            return None
        glued_capital = bool(last) and not last.isspace() and (word := text.rsplit(None, 1)[-1]) != word.lower()
        repeats = self._repeats(generated) | self._repeated_words(text)
        return PlainRow(repeats, _doubled(text), last == " ", pending is not None, glued_capital)

    def plainly_permits(self, row: PlainRow, token: int) -> bool:
        """The quick test of :meth:`_plainly_permitted` for one token after the text ``row`` was read from."""
        t = self.table
        if not t.plain[token] or token in self._stops or token in self._unsaid or (row.after_space and token in t.unspaced_set):
            return False
        if row.in_change and token in clause_break_tokens(t):
            return False
        if row.glued_capital and not t.strings[token][:1].isspace():
            return False
        return token not in row.repeats and not self._doubles(row.doubled, token)

    def _doubles(self, doubled: str, token: int) -> bool:
        """Whether ``token`` writes the last word again, or its plural (``Step.doubled``; the guard rejects a doubled
        word: 'feature features')."""
        return bool(doubled) and self.table.strings[token].lower() in (doubled, doubled + "s")

    def permits(self, step: Step, token: int) -> bool:
        """Whether ``token`` may follow under ``step`` (exactly what :meth:`mask` leaves finite)."""
        if step.only is not None:
            return token in step.only
        t = self.table
        if token in self._banned or token in step.blocked:
            return False
        if (step.no_ratio and token in t.ratio_set) or (step.no_currency and token in t.currency_set) or token in step.repeats:
            return False
        if self._doubles(step.doubled, token) or (step.after_space and token in t.unspaced_set):
            return False
        if token in self._stops and (step.missing or step.open_sentence):
            return False
        if step.names is not None and not self._names_ok(step.names, token):
            return False
        return not ((step.missing or step.dangling) and token not in step.keep and token in t.end_set)

    def best_allowed(
        self, text: str, ids: list[int], values: list[float], scores: torch.Tensor, generated: Sequence[int] = ()
    ) -> int:
        """The token greedy decoding picks after ``text``: the best allowed one, the lowest id among equal
        scores (as ``argmax``). ``ids`` and ``values`` are the row's highest scores, best first (see :meth:`best`);
        ``generated`` holds the token ids of ``text`` (see :meth:`step`).
        """
        if len(ids) > 1 and values[0] > values[1] and self._plainly_permitted(text, generated, ids[0]):
            return ids[0]  # most steps: the best token is a word that no rule can touch here
        step = self.step(text, generated)
        picked = self.best(step, scores, 1, ids, values)
        return min(picked) if picked else int(self.mask(step, scores).argmax())

    def best(self, step: Step, scores: torch.Tensor, count: int, ids: list[int], values: list[float]) -> list[int] | None:
        """The ``count`` best tokens that ``step`` permits in the row ``scores`` [vocab], with every token tied
        with the last of them: exactly the best ones the full :meth:`mask` would leave.

        They are looked for among the row's highest scores ``ids``/``values`` (best first); while those
        cannot decide (too few permitted, or a tie reaching the cut), among 16 times as many, up to
        ``_WIDEST``. None when even those cannot: the caller then masks the whole row.
        """
        vocab = scores.shape[-1]
        while True:
            picked = self._pick(step, ids, values, count, whole=len(ids) >= vocab)
            if picked is not None or len(ids) >= min(vocab, _WIDEST):
                return picked
            top = scores.topk(min(vocab, _WIDEST, len(ids) * 16))
            ids, values = top.indices.tolist(), top.values.tolist()

    def _pick(self, step: Step, ids: list[int], values: list[float], count: int, whole: bool) -> list[int] | None:
        picked: list[int] = []
        last = float("inf")
        for token, value in zip(ids, values, strict=True):
            if value == -float("inf"):  # so is everything after it: the full mask keeps these at -inf too
                return picked or None
            if len(picked) >= count and value < last:
                return picked
            if self.permits(step, token):
                picked.append(token)
                last = value
        return picked if whole else None

    def mask(self, step: Step, scores: torch.Tensor) -> torch.Tensor:
        """``scores`` of one row [vocab] with every token that ``step`` forbids set to -inf (a new tensor)."""
        out = torch.full_like(scores, -float("inf"))
        if step.only is not None:
            only = torch.tensor(sorted(step.only), dtype=torch.long, device=scores.device)
            out[only] = scores[only]
            return out
        t = self.table
        out.copy_(scores)
        banned = [self._banned_ids.to(scores.device), torch.tensor(sorted(step.blocked), dtype=torch.long, device=scores.device)]
        if step.no_ratio:
            banned.append(t.ratio_ids.to(scores.device))
        if step.no_currency:
            banned.extend(ids.to(scores.device) for ids in t.currency_ids.values())
        if step.repeats:
            banned.append(torch.tensor(sorted(step.repeats), dtype=torch.long, device=scores.device))
        if step.after_space:
            banned.append(t.unspaced_ids.to(scores.device))
        if step.doubled:
            doubles = [i for i in t.word_ids if self._doubles(step.doubled, i)]
            banned.append(torch.tensor(doubles, dtype=torch.long, device=scores.device))
        if step.names is not None:
            banned.append(torch.tensor(self._unknown_names(step.names), dtype=torch.long, device=scores.device))
        if step.missing or step.open_sentence:
            banned.append(torch.tensor(self.stop_ids, dtype=torch.long, device=scores.device))
        if step.missing or step.dangling:
            banned.append(t.end_ids.to(scores.device))
        ids = torch.cat(banned)
        out[ids[ids < out.shape[-1]]] = -float("inf")
        if step.missing or step.dangling:  # a digit or decimal point going on to a figure is no end
            names = step.names
            restore = sorted(k for k in step.keep if names is None or self._names_ok(names, k))
            if restore:
                keep = torch.tensor(restore, dtype=torch.long, device=scores.device)
                out[keep] = scores[keep]
        return out

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        """Every row of ``scores`` masked exactly (the reference; decoding uses :meth:`best_allowed` and
        :func:`winrewrite.beams.constrain`)."""
        out = torch.empty_like(scores)
        for row in range(input_ids.shape[0]):
            out[row] = self.mask(self.step_after(input_ids[row, self.prompt_length :].tolist()), scores[row])
        return out
