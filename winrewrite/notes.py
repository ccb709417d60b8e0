"""Checking what the user passed before any model sees it."""

from __future__ import annotations

import logging
import unicodedata

from winrewrite.errors import InvalidNotesError, UnsupportedLanguageError

logger = logging.getLogger(__name__)


def prepare_notes(notes: object, max_chars: int) -> tuple[str, list[str]]:
    """Return the notes to rewrite and the warnings about what was done to them.

    Raises :class:`InvalidNotesError` for anything that is not non-empty text, and
    :class:`UnsupportedLanguageError` for notes written mostly in a non-Latin script.

    >>> prepare_notes("  shipped the thing  ", 2000)
    ('shipped the thing', [])
    """
    if not isinstance(notes, str):
        raise InvalidNotesError(f"notes must be a str, not {type(notes).__name__}")
    text = "".join(c for c in notes if c in "\n\t" or unicodedata.category(c) != "Cc").strip()
    if not any(c.isalnum() for c in text):
        raise InvalidNotesError("notes are empty: write a few words about the work and its result")
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isascii() for c in letters) / len(letters) < 0.5:
        raise UnsupportedLanguageError(
            "notes look like they are not in English; the model writes English statements from English notes"
        )
    warnings = []
    if len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars)
        kept = text[: cut if cut > max_chars // 2 else max_chars].rstrip()
        message = (
            f"notes are {len(text)} characters; only the first {len(kept)} were used "
            f"(limit {max_chars}): split long notes into separate wins"
        )
        logger.warning(message)
        warnings.append(message)
        text = kept
    return text, warnings
