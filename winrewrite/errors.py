"""One base exception, :class:`WinRewriteError`, and a subclass for each kind of failure."""

from __future__ import annotations


class WinRewriteError(Exception):
    """Base class of every error winrewrite raises on purpose."""


class InvalidNotesError(WinRewriteError, ValueError):
    """The notes are not something a statement can be written from (empty, not text, ...)."""


class ConfigError(WinRewriteError, ValueError):
    """A setting of :class:`~winrewrite.RewriterConfig` is out of its range."""


class ModelLoadError(WinRewriteError):
    """The base model, its cache or the adapter could not be loaded."""


class DeviceError(WinRewriteError):
    """The device asked for is not available on this machine."""


class DataError(WinRewriteError):
    """A training-data file is malformed."""


class UnsupportedLanguageError(InvalidNotesError):
    """The notes are not in a language the model writes statements in (English)."""
