"""Typed settings of a :class:`~winrewrite.Rewriter`."""

from __future__ import annotations

from dataclasses import dataclass, field

from winrewrite.errors import ConfigError


@dataclass
class RewriterConfig:
    """How a :class:`~winrewrite.Rewriter` reads notes and decodes statements.

    >>> RewriterConfig(max_notes_chars=4000).num_candidates
    6

    A setting out of range raises :class:`~winrewrite.errors.ConfigError` (a ``WinRewriteError`` and a
    ``ValueError``).
    """

    max_notes_chars: int = field(
        default=2000, metadata={"help": "Longer notes are cut at a word boundary, with a logged warning."}
    )
    max_new_tokens: int = field(default=96, metadata={"help": "Upper bound on the statement's length in tokens."})
    num_candidates: int = field(
        default=6,
        metadata={"help": "Beam-search candidates per note (the beam width); 0 skips the beams: the greedy statement only."},
    )
    greedy_first: bool | None = field(
        default=None,
        metadata={
            "help": "Which model pass writes first: the greedy statement (its beams only for notes it fails) or the beams "
            "(the greedy statement only for notes none of them passes). None: beams first on the CPU, where they are "
            "faster at the median; greedy first on a GPU, where a large batch decodes fewer rows that way."
        },
    )
    min_token_log_prob: float = field(
        default=-0.85,
        metadata={
            "help": "A candidate whose tokens average a lower log-probability under the model (the figure constraint "
            "pushed it off its own path and it reads garbled) is rejected like one the guard rejects; -inf keeps all."
        },
    )
    max_unsaid_words: int = field(
        default=4,
        metadata={
            "help": "A candidate that adds this many words or more that the notes do not say in any form "
            "(winrewrite.assess.unsaid_words) is rejected: the model learnt from statements that add at most 2, "
            "and every one of its statements that added 4 or more misstated its notes (3 also rejects good ones: "
            "'encoding' for notes that say 'one-hot'). 0 keeps all."
        },
    )
    threads: int | None = field(default=None, metadata={"help": "CPU threads for torch; None keeps torch's choice."})
    fast_cpu: bool = field(
        default=True,
        metadata={"help": "On the CPU: int8 layers and a head restricted to English-text tokens. False keeps fp32."},
    )
    int8_activations: bool = field(
        default=True,
        metadata={
            "help": "Fast path: activations rounded to int8 too, each row on its own scale, products on fbgemm (x86 "
            "builds of torch, CPUs with VNNI; elsewhere nothing changes): on 2 cores a statement about 1.4x faster, "
            "batches 1.6x. False: bf16 activations on torch's int8-weight kernel."
        },
    )
    lean_decoder: bool = field(
        default=True,
        metadata={"help": "Fast path, Gemma 3: greedy and beam steps run in winrewrite/decoder.py. False: the model's forward."},
    )

    def __post_init__(self) -> None:
        if self.max_notes_chars < 20:
            raise ConfigError("max_notes_chars must be at least 20")
        if self.max_new_tokens < 8:
            raise ConfigError("max_new_tokens must be at least 8")
        if self.num_candidates < 0:
            raise ConfigError("num_candidates must be 0 or more")
        if self.max_unsaid_words < 0:
            raise ConfigError("max_unsaid_words must be 0 or more")
        if self.threads is not None and self.threads < 1:
            raise ConfigError("threads must be positive")
