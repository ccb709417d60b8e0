"""Check a candidate statement against the notes before it is returned.

A candidate passes when it invents no figure, keeps every figure of the notes, is one sentence,
starts with a past-tense action verb, has a sensible length and copies no shorthand.

>>> check("p99 340ms->62ms after int8", "Reduced p99 latency from 340ms to 62ms with INT8 quantization.")
[]
>>> check("p99 340ms->62ms after int8", "Reduced p99 latency to 62ms with INT8 quantization on 8 GPUs.")
['invents the figure 8 GPUs', 'drops the figure 340ms']
"""

from __future__ import annotations

import re

from winrewrite.figures import extract_figures, invented_figures, missing_figures

MIN_WORDS, MAX_WORDS = 8, 70
# Past-tense verbs that do not end in -ed; a candidate's first word must be one of these or end in -ed.
IRREGULAR_PAST = frozenset(
    "built led ran wrote drove made cut set took brought won taught found grew rebuilt began spun sped "
    "held kept oversaw rewrote undertook shot sold bought thought sought stood understood upheld withdrew "
    "met put read split shut spent sent lent bent dealt meant fed got forgave chose gave drew overcame "
    "became broke rode rose saw told shrank swung laid paid".split()
)
_NOT_PAST = frozenset("need speed feed seed bed red shed breed embed proceed exceed succeed".split())
_SHORTHAND = re.compile(r"->|→|=>|<-|~|\bw/|\bb/c\b|\bhrs?/wk\b|\bTODO\b|\.\.\.")
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")


def starts_with_action_verb(text: str) -> bool:
    """True when the first word is a past-tense verb ('Reduced', 'Built', 'Led')."""
    m = re.match(r"\s*([A-Za-z]+(?:-[A-Za-z]+)*)\b", text)
    if not m:
        return False
    word = m.group(1).lower().rsplit("-", 1)[-1]  # 'Fine-tuned' -> 'tuned' 
    return word in IRREGULAR_PAST or (word.endswith("ed") and len(word) > 4 and word not in _NOT_PAST)


def form_problems(text: str) -> list[str]:
    """What is wrong with the form of a statement, independent of the notes."""
    problems = []
    words = len(text.split())
    if not MIN_WORDS <= words <= MAX_WORDS:
        problems.append(f"has {words} words (want {MIN_WORDS} to {MAX_WORDS})")
    if not starts_with_action_verb(text):
        problems.append("does not start with a past-tense action verb")
    if "\n" in text or _SENTENCE_BREAK.search(text.rstrip(".")) or not text.rstrip().endswith("."):
        problems.append("is not one sentence ending in a full stop")
    shorthand = _SHORTHAND.search(text)
    if shorthand:
        problems.append(f"copies shorthand {shorthand.group(0)!r}")
    return problems


def check(notes: str, text: str) -> list[str]:
    """Every reason ``text`` may not be returned for ``notes``; empty when it passes."""
    problems = [f"invents the figure {f}" for f in invented_figures(notes, text)]
    problems += [f"drops the figure {f.text}" for f in missing_figures(extract_figures(notes), text)]
    return problems + form_problems(text)
