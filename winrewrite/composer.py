"""The last resort: a deterministic statement assembled from the notes when no model candidate passes
the guard. It keeps every figure exactly as written, invents nothing, and is marked ``source="fallback"``.

Notes that open with a past-tense verb ("moved ...", "I built ...") keep it as the statement's first word;
other notes are introduced by their category:

>>> compose("- moved fraud model to focal loss\\n- precision 74->91, ~45 analyst hrs/wk saved", Category.MODEL_PERFORMANCE)
'Moved fraud model to focal loss, precision 74 to 91, about 45 analyst hours per week saved.'
>>> compose("fraud model: precision 74->91", Category.MODEL_PERFORMANCE)
'Delivered model performance work: fraud model: precision 74 to 91.'
"""

from __future__ import annotations

import re

from winrewrite.categories import Category
from winrewrite.guard import starts_with_action_verb
from winrewrite.prompt import clean_notes

_ASIDE = re.compile(r",\s*(?:um+|uh+|erm)\s*,", re.IGNORECASE)  # 'so I, uh, built': no commas left around it
_FILLERS = re.compile(
    r"\b(?:um+|uh+|erm|(?:yeah|okay|ok) so|so yeah|yeah|so basically|basically|you know|i mean|kind of|sort of|like,"
    r"|like(?=\s+(?:about\s+)?[$€£~\d]))\s*,?\s*",  # 'like $240k' is '$240k'; 'features like dwell time' stays
    re.IGNORECASE,
)
_SUBJECT = re.compile(r"^(?:i|we)(?:'ve| have)?\s+(?=\S)", re.IGNORECASE)  # 'I built' -> 'built'
_REPLACEMENTS = [
    (re.compile(r"\s*(?:->|→|=>|-->)\s*"), " to "),
    (re.compile(r"~\s*"), "about "),
    (re.compile(r"\bw/\s*", re.IGNORECASE), "with "),
    (re.compile(r"\bb/c\b", re.IGNORECASE), "because"),
    (re.compile(r"\bhrs?/wk\b", re.IGNORECASE), "hours per week"),
    (re.compile(r"\.\.\.+|…"), ", "),
    (re.compile(r"\bTODO\b:?", re.IGNORECASE), ""),
    (re.compile(r"(?<!\S)\+(?=\d)"), "up "),  # 'CSAT +9 pts': a sign standing apart is not prose
    (re.compile(r"\s\+\s"), " and "),  # 'ctr + cvr'
]
_NOUNS = {
    Category.MODEL_DEVELOPMENT: "model development work",
    Category.ML_SYSTEMS: "ML systems work",
    Category.DATA_FEATURES: "data and feature engineering work",
    Category.MODEL_PERFORMANCE: "model performance work",
    Category.BUSINESS_IMPACT: "business impact work",
    Category.LEADERSHIP: "technical leadership work",
}


def compose(notes: str, category: Category) -> str:
    """One sentence that starts with a past-tense verb and carries the notes' content and figures."""
    text = clean_notes(notes).replace("; ", ", ")
    text = _FILLERS.sub("", _ASIDE.sub("", text))
    for pattern, replacement in _REPLACEMENTS:
        text = pattern.sub(replacement, text)
    # One sentence: inner full stops (not decimal points) become commas.
    text = re.sub(r"(?<!\d)[.!?]+\s+|[.!?]+(?=\s|$)", ", ", text)
    text = re.sub(r"\s*,(?:\s*,)+", ",", text)
    text = re.sub(r"\s+", " ", text).strip(" ,;:")
    if not text:
        text = "the work described in the notes"
    verb_first = _SUBJECT.sub("", text)
    if starts_with_action_verb(verb_first):
        return f"{verb_first[0].upper()}{verb_first[1:]}."
    if not text[1:2].isupper():  # 'Moved the model' -> 'moved the model', but 'LTV model' stays
        text = text[0].lower() + text[1:]
    return f"Delivered {_NOUNS[category]}: {text}."
