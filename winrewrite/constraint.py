"""Decoding under a figure constraint: a digit may only start or continue a figure of the notes.

The Gemma tokenizer writes every digit as its own token, so the numbers a statement may contain form a
small trie over the digit strings of the notes ('340', '62', '4,800'). At each step the processor
reads the number being written at the end of the text so far and masks every digit token that would
leave the trie, every token that mixes digits with other characters, and every token that would end an
unfinished number.

>>> from transformers import AutoTokenizer  # doctest: +SKIP
>>> FigureConstraint(AutoTokenizer.from_pretrained(path), "p99 340ms->62ms", prompt_length=12)  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import torch
from transformers import LogitsProcessor

from winrewrite.figures import DIGITS_RE, QUALIFIER, digit_strings, extract_changes, extract_figures
from winrewrite.guard import counts_something, unit_family

_TRAILING_NUMBER = re.compile(r"(\d+(?:[.,]\d+)*)([.,]?)\Z")  # \Z: "$" would also match before a final newline
_DIGIT_POINT = re.compile(r"\d\.\Z")
# 'from 70% to ', 'from 2 days to ': the number that follows must be a fitting end point for that start
_FROM = re.compile(r"\bfrom\s+[$€£]?\Z", re.IGNORECASE)
_FROM_TO = re.compile(rf"\bfrom\s+[$€£]?(\d+(?:[.,]\d+)*)\S*(?:\s+\S+){{0,2}}?\s+to\s+(?:{QUALIFIER}\s+)?[$€£]?\Z", re.IGNORECASE)


@dataclass(frozen=True)
class TokenTable:
    """What the constraint needs to know about a vocabulary."""

    strings: tuple[str, ...]  # each token as text, SentencePiece's '▁' read as a space
    digit_ids: dict[str, int]  # '0'..'9' -> the token that is exactly that digit
    separator_ids: dict[str, int]  # '.' and ',' -> their tokens
    banned_ids: torch.Tensor  # tokens holding a digit but not exactly one ASCII digit
    end_ids: torch.Tensor  # tokens that could end a sentence ('.', '!', '?', a line break)
    ratio_ids: torch.Tensor  # tokens that would make the number before them a percentage or a multiple
    currency_ids: dict[str, torch.Tensor]  # '$', '€', '£' -> the tokens holding that sign


@lru_cache(maxsize=4)
def token_table(tokenizer: object) -> TokenTable:
    """Scan the vocabulary once per tokenizer."""
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
    return TokenTable(
        strings,
        digit_ids,
        separator_ids,
        torch.tensor(sorted(set(banned)), dtype=torch.long),
        torch.tensor(ends, dtype=torch.long),
        torch.tensor(ratios, dtype=torch.long),
        {c: torch.tensor([i for i, s in enumerate(strings) if c in s], dtype=torch.long) for c in "$€£"},
    )


class FigureConstraint(LogitsProcessor):
    """A ``LogitsProcessor`` that lets the model write only numbers that appear in the notes, each no
    more often than the notes do.

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
        for f, digits in figures:
            self.families.setdefault(digits, set()).add(unit_family(f.unit))
        counting = [(digits, counts_something(notes, f)) for f, digits in figures]
        self.counts = {d for d, _ in counting} - {d for d, c in counting if not c}  # '45 analyst hrs': never 45%
        self.ends: dict[str, set[str]] = {}  # a change's start -> its end points in the notes ('74->91')
        for c in extract_changes(notes, [f for f, _ in figures]):
            if (a := DIGITS_RE.search(c.before.text)) and (b := DIGITS_RE.search(c.after.text)):
                self.ends.setdefault(a.group(0), set()).add(b.group(0))
        self.in_changes = set(self.ends).union(*self.ends.values())  # every number of a change in the notes
        self.prompt_length = prompt_length
        self.required = {digits for _, digits in figures} if require_all else set()
        self.stop_ids = sorted(stop_ids)
        self.no_money = [c for c in "$€£" if c not in notes]  # a currency sign the notes never use is not written

    @staticmethod
    def _next_chars(partial: str, left: frozenset[str]) -> set[str]:
        return {a[len(partial)] for a in left if len(a) > len(partial) and a.startswith(partial)}

    def _fits(self, before: str, number: str) -> bool:
        """Whether ``number`` may follow ``before``: after 'from X ... to ' only a fitting end point of X
        (:meth:`_ends_with`); after 'from ' only a number that has one."""
        if m := _FROM_TO.search(before):
            return self._ends_with(m.group(1), number)
        if _FROM.search(before):
            return any(self._ends_with(number, other) for other in self.allowed if other != number)
        return True

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
        m = _TRAILING_NUMBER.search(text)
        done = text[: m.start()] if m else text
        used = Counter(n.group(0) for n in DIGITS_RE.finditer(done))
        left = frozenset(a for a in self.allowed if used[a] < self.budget[a] and self._fits(done, a))
        if not m and text.endswith(("$", "€", "£")):  # a currency sign: a number must follow ('$M' is no amount)
            return self._next_chars("", left), False
        if not m:  # not inside a number: a digit may only start a figure of the notes
            return self._next_chars("", left), True
        number, separator = m.groups()
        if separator:  # '4.' is either the end of a sentence after '4' or the start of '4.8'
            return self._next_chars(number + separator, left), number in left
        return self._next_chars(number, left), number in left

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        scores = scores.clone()
        t = self.table
        banned = t.banned_ids.to(scores.device)
        banned = torch.cat([banned, *(t.currency_ids[c].to(scores.device) for c in self.no_money)])
        banned = banned[banned < scores.shape[-1]]
        scores[:, banned] = -float("inf")
        for row in range(input_ids.shape[0]):
            text = "".join(t.strings[i] for i in input_ids[row, self.prompt_length :].tolist())
            chars, free = self.allowed_next(text)
            keep = [
                t.digit_ids[c] if c.isdigit() else t.separator_ids[c] for c in chars if c in t.digit_ids or c in t.separator_ids
            ]
            missing = bool(self.required) and not self.required <= digit_strings(text)
            if missing and _DIGIT_POINT.search(text):  # '4.' may only go on to '4.8' while a figure is missing
                free = False
            if free:
                blocked = [i for d, i in t.digit_ids.items() if d not in chars]
                scores[row, blocked] = -float("inf")
                if (m := _TRAILING_NUMBER.search(text)) and m.group(1) in self.counts and not m.group(2):
                    scores[row, t.ratio_ids[t.ratio_ids < scores.shape[-1]].to(scores.device)] = -float("inf")
                if not chars:  # no number may start here, so no currency sign either
                    for ids in t.currency_ids.values():
                        scores[row, ids[ids < scores.shape[-1]].to(scores.device)] = -float("inf")
                if missing:  # a figure is still missing: the statement may neither stop nor end its sentence
                    kept = scores[row, keep].clone()
                    scores[row, self.stop_ids] = -float("inf")
                    scores[row, t.end_ids[t.end_ids < scores.shape[-1]].to(scores.device)] = -float("inf")
                    scores[row, keep] = kept
            else:  # an unfinished number: only its continuations may follow (if none can, the statement ends)
                keep = keep or self.stop_ids
                kept = scores[row, keep].clone()
                scores[row, :] = -float("inf")
                scores[row, keep] = kept
        return scores
