"""Notes that tell more than one win: telling them apart, and joining the statements written for each.

People jot two unrelated wins in one note ('shipped the spam classifier and, unrelated, cleaned up our
terraform'). The model, asked for one statement, ties them together ('cut the renewal cost from 6.8 to 5.1
minutes'). :class:`~winrewrite.Rewriter` therefore gives it each win on its own (:func:`split_topics`) and joins
the statements it writes (:func:`join_statements`) into one sentence, which the guard then checks against the
whole notes.

>>> split_topics("shipped the spam classifier (precision 0.88 -> 0.94) and, unrelated, cleaned up our terraform")
['shipped the spam classifier (precision 0.88 -> 0.94)', 'cleaned up our terraform']
>>> join_statements(["Shipped the spam classifier.", "Cleaned up the Terraform config."])
'Shipped the spam classifier and cleaned up the Terraform config.'
"""

from __future__ import annotations

import re

from winrewrite.figures import list_marker_spans

# mixed notes join their topics with a word that tells a reader nothing ('ALSO unrelated:', 'separately,')
# where it opens a clause: 'model separately, and I set up' keeps its word
UNRELATED = re.compile(
    r"(?:(?P<joined>\band,\s*)|(?<=[,;:.)])\s*|^)(?:also\s+)?"
    r"(?:totally\s+different\s+thing|(?:totally\s+|completely\s+)?unrelated|separately)\s*[:,]\s*",
    re.IGNORECASE,
)
_TOPICS = re.compile(r"\b(?:two|three|2|3)\s+(?:things|wins)\s*[:,-]\s*", re.IGNORECASE)  # 'two things: (1) ... (2) ...'
_MIN_WORDS = 3  # a part shorter than this is no win of its own ('Q4,')
_LABEL_AFTER_STOP = re.compile(r"[.!?;]\s+([^\s,:;]+(?:\s+[^\s,:;]+)?)[\s,:;-]*\Z")  # one or two words after the last stop
_LOOSE_END = re.compile(r"[\s,;:(\-–—]+\Z")
_LOOSE_START = re.compile(r"\A[\s,;:)\-–—]+")


def mixes_topics(notes: str) -> bool:
    """Whether the notes say they hold more than one win ('two things:', 'ALSO unrelated:', 'separately,').

    >>> mixes_topics("shipped the spam classifier and, unrelated, cleaned up our terraform")
    True
    """
    return bool(_TOPICS.search(notes) or UNRELATED.search(notes))


def split_topics(notes: str) -> list[str]:
    """The wins of notes that say they tell several, each as notes of its own, without the words that set them
    apart; ``[notes]`` when they do not say so, or when a part would be too short to be a win."""
    if not mixes_topics(notes):
        return [notes]
    cuts = [m.span() for m in UNRELATED.finditer(notes)]
    if opener := _TOPICS.search(notes):  # 'two things: (1) ... (2) ...': the numbering parts them too
        cuts += [opener.span(), *((a + opener.end(), b + opener.end()) for a, b in list_marker_spans(notes[opener.end() :]))]
    parts, start = [], 0
    for a, b in sorted(set(cuts)):
        parts.append(notes[start:a])
        start = max(start, b)
    parts.append(notes[start:])
    for i in range(len(parts) - 1):  # '... instead of ~2. Q4, unrelated: mentored ...': 'Q4' opens the next win
        if label := _LABEL_AFTER_STOP.search(parts[i]):
            parts[i], parts[i + 1] = parts[i][: label.start(1)], label.group(1) + ": " + parts[i + 1]
    parts = [_LOOSE_START.sub("", _LOOSE_END.sub("", p)) for p in parts]
    parts = [p for p in parts if p]
    if len(parts) < 2 or any(len(p.split()) < _MIN_WORDS for p in parts):
        return [notes]
    return parts


def join_statements(texts: list[str]) -> str:
    """One sentence of several statements, each opening with its past-tense verb: 'A and b', 'A, b and c', and
    'A, and b' where A has commas of its own ('Added X, cutting Y, and negotiated Z')."""
    clauses = [t.strip().rstrip(".") for t in texts]
    clauses[1:] = [c[:1].lower() + c[1:] if c[1:2].islower() else c for c in clauses[1:]]  # 'Cleaned', not 'ONNX'
    if len(clauses) == 1:
        return clauses[0] + "."
    last = ", and " if any("," in c for c in clauses[:-1]) else " and "
    return ", ".join(clauses[:-1]) + last + clauses[-1] + "."
