"""Strength and suggestions for a finished statement, following the seed's
[Action] + [Specific work] + [Measurable result].

>>> assess_strength("Reduced p99 latency from 340ms to 62ms through INT8 quantization.", has_figures=True)
'strong'
>>> assess_strength("Improved the training pipeline.", has_figures=False)
'weak'
"""

from __future__ import annotations

from collections.abc import Sequence

from winrewrite.categories import WHERE_TO_FIND_FIGURES, Category
from winrewrite.composer import left_out
from winrewrite.figures import extract_changes
from winrewrite.guard import content_words, is_thin, quantity_words, starts_with_action_verb, stem
from winrewrite.hedges import HEDGE_WORDS
from winrewrite.prompt import clean_notes
from winrewrite.statement import Figure, Strength
from winrewrite.topics import mixes_topics

MANY_FIGURES = 6
UNSAID_WORDS = 3  # a model statement with this many words the notes do not say gets a suggestion to check them
SHOWN_WORDS = 5  # of which the suggestion names this many
# Words a careful statement adds to its notes as a matter of course: those the training statements add to their
# notes in 8 examples or more (the action verbs, 'production', 'latency' for 'p99' ...), and a few pronouns.
STATEMENT_WORDS = frozenset(
    "across added adding against app automated based before built catching classifier code conversion cost cut "
    "cutting data days designed detection enabling engineers error evaluation feature features fine first fixed hours "
    "implemented improving inference internal introduced latency launched learning letting lifting llm manual migrated "
    "minutes model month partnered pipeline points prediction product production raising ran rate recommendation "
    "reduced reducing replaced replacing revenue saving scoring search service serving set shipped shrinking speech "
    "spend support team test through time trained training tuned using week weekly weeks while within without year "
    "them they after need instead".split()
)


def measures(notes: str, figures: Sequence[Figure]) -> bool:
    """Whether the notes give a measurable result: a figure, or a quantity in words ('half the false alarms gone')."""
    return bool(figures) or bool(quantity_words(notes))


def assess_strength(text: str, has_figures: bool) -> Strength:
    """'strong' needs all three parts; 'better' has the action and specific work but no number."""
    action = starts_with_action_verb(text)
    specific = len(text.split()) >= 10
    if action and specific and has_figures:
        return "strong"
    if action and specific:
        return "better"
    return "weak"


def unsaid_words(notes: str, text: str) -> list[str]:
    """Words of a statement, after its opening verb, that its notes do not say in any form and that statements
    do not add as a matter of course (:data:`STATEMENT_WORDS`): where a model may have added what is not so.

    >>> unsaid_words("registry moved to mlflow, ~300 models", "Migrated the registry to an MLflow vault, freeing 300 models.")
    ['vault', 'freeing']
    """
    have = content_words(clean_notes(notes))
    stems = {stem(w) for w in have}
    found = []
    for word in dict.fromkeys(content_words(text)[1:]):
        if len(word) < 4 or word in STATEMENT_WORDS or word in HEDGE_WORDS or stem(word) in stems:
            continue
        if not any(len(n) >= 3 and (word.startswith(n) or n.startswith(word)) for n in have):  # 'mem', 'memory'
            found.append(word)
    return found


def suggestions_for(
    notes: str, figures: list[Figure], category: Category, source: str, rejected: Sequence[str] = (), text: str = ""
) -> list[str]:
    """What would make the statement stronger, in the user's terms; for a fallback, ``rejected`` (the guard's
    problems with the model's candidates) says what to change in the notes so the model can write it; for a
    model's ``text``, the words it adds that the notes do not say (:func:`unsaid_words`), to check.

    >>> tips = suggestions_for("chargebacks -23%, queue -30%", [], Category.ML_SYSTEMS, "fallback", ["ties 30% to 'x'"])
    >>> tips[-1][:55]
    "The model's drafts attached a figure to the wrong thing"
    """
    tips = []
    if is_thin(notes):
        tips.append(
            "The notes say little about the work: add what it was, who it helped and what changed, "
            "and the statement can say it too."
        )
    if not measures(notes, figures):
        tips.append(f"No measurable result in the notes yet: {WHERE_TO_FIND_FIGURES[category]}.")
    elif not extract_changes(notes, figures) and not any(f.unit in ("%", "x", "$") for f in figures):
        tips.append(
            "Add the baseline or the relative change (before and after, or a percentage) so the size of the win is clear."
        )
    if len(figures) > MANY_FIGURES:
        tips.append(
            f"These notes hold {len(figures)} figures; all are kept, but a statement reads best with a few: "
            "consider splitting them into separate wins."
        )
    if mixes_topics(notes):
        tips.append(
            "These notes tell more than one win ('unrelated', 'two things'): rewrite each on its own, since one "
            "statement tells one win best and a reviewer credits each."
        )
    if category is not Category.BUSINESS_IMPACT and not any(f.unit == "$" for f in figures):
        tips.append("Add the layer above if you have it: the decision, revenue, cost or team time this work unlocked.")
    if source == "model" and len(unsaid := unsaid_words(notes, text)) >= UNSAID_WORDS:
        named = [f"'{w}'" for w in unsaid[:SHOWN_WORDS]]
        if len(unsaid) > SHOWN_WORDS:
            named.append(f"{len(unsaid) - SHOWN_WORDS} more")
        quoted = ", ".join(named[:-1]) + f" and {named[-1]}"
        tips.append(f"The model wrote {quoted}, which your notes do not say: keep them only if they are true.")
    if source == "fallback":
        tips.append(
            "The model's drafts did not pass the checks, so this statement was assembled from your notes: edit it before use."
        )
        if any(r.startswith("ties ") or "as a share" in r for r in rejected):
            tips.append(
                "The model's drafts attached a figure to the wrong thing; naming what each figure measures in plain "
                "words, next to it ('manual review queue down 30%'), helps it."
            )
        elif not is_thin(notes) and any(r.startswith("adds more than terse notes hold") for r in rejected):
            tips.append(
                "The notes are terse and the model's drafts added what they do not say: a few words on what the work "
                "was and what it changed give it something to write."
            )
        if omitted := left_out(notes, category):
            quoted = "; ".join(f"'{c}'" for c in omitted)
            tips.append(f"To keep it to one sentence it leaves out {quoted}: add back what matters most.")
    return tips
