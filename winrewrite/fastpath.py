"""The CPU fast path: a bf16 transformer and an int8 vocabulary head restricted to the tokens statements use.

Decoding one token on the CPU is bound by memory traffic: fp32 Gemma 3 270M reads about 1 GB of weights
per token, two thirds of it in the 262,144-token vocabulary head. Here the head keeps only the ~72k tokens
that spell English text (shipped in ``statement_vocab.json``, plus the labels and the notes' own tokens)
as int8 with per-row scales, and the transformer runs in bf16 (CPUs with AVX-512 BF16 or AMX run it
natively). Dynamic int8 quantization of the transformer's layers was tried and rejected: Gemma's activation
outliers moved the category scores by several nats. The fp32 path stays available
(``RewriterConfig(fast_cpu=False)``) for checking.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

logger = logging.getLogger(__name__)
_EXTRA_MARKS = set("—–’‘“”…×")
SHIPPED_VOCABULARY = Path(__file__).with_name("statement_vocab.json")


def vocabulary_fingerprint(tokenizer: Any) -> str:
    """A hash of the tokenizer's vocabulary: the shipped token list only fits the tokenizer it was built for."""
    from winrewrite.constraint import token_table

    return hashlib.sha256("\x00".join(token_table(tokenizer).strings).encode()).hexdigest()[:16]


def head_vocabulary(tokenizer: Any) -> list[int]:
    """The shipped English statement vocabulary (about 50k tokens) when it fits this tokenizer, else the
    ASCII filter of :func:`statement_vocabulary`."""
    try:
        shipped = json.loads(SHIPPED_VOCABULARY.read_text())
        if shipped["fingerprint"] == vocabulary_fingerprint(tokenizer):
            specials = statement_vocabulary(tokenizer, specials_only=True)
            return sorted(set(shipped["ids"]) | set(specials))
    except (OSError, ValueError, KeyError):
        pass
    return statement_vocabulary(tokenizer)


def statement_vocabulary(tokenizer: Any, specials_only: bool = False) -> list[int]:
    """Ids of tokens an English statement can be written with: ASCII text, a few marks, the special stops."""
    from winrewrite.constraint import token_table

    keep = [
        i
        for i, s in enumerate(token_table(tokenizer).strings)
        if not specials_only and s and not s.startswith("<") and all(32 <= ord(c) < 127 or c in _EXTRA_MARKS for c in s)
    ]
    specials = [tokenizer.eos_token_id, *tokenizer.convert_tokens_to_ids(["\n", "<end_of_turn>"])]
    return sorted(set(keep) | {i for i in specials if i is not None and i >= 0})


class RestrictedHead(torch.nn.Module):
    """Logits over the statement vocabulary (scattered into a full-size row of -inf), plus the notes' own tokens."""

    def __init__(self, weight: torch.Tensor, keep: list[int], int8: bool) -> None:
        super().__init__()
        self.vocab_size = weight.shape[0]
        self.keep: torch.Tensor = torch.tensor(keep, dtype=torch.long)
        self._kept = frozenset(keep)
        linear = torch.nn.Linear(weight.shape[1], len(keep), bias=False)
        linear.weight = torch.nn.Parameter(weight.detach()[self.keep].float(), requires_grad=False)
        self.linear: torch.nn.Module = _quantize(linear) if int8 else linear
        self.full_weight: torch.Tensor = weight  # for the few notes tokens outside the vocabulary
        self.extra: torch.Tensor = torch.empty(0, dtype=torch.long)

    def set_extra(self, ids: list[int]) -> None:
        """Also allow these token ids (the notes' own, such as names with accents)."""
        missing = sorted(set(ids) - self._kept)
        self.extra = torch.tensor(missing, dtype=torch.long)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        hidden = hidden.float()
        logits = hidden.new_full((*hidden.shape[:-1], self.vocab_size), -float("inf"))
        logits[..., self.keep] = self.linear(hidden)
        if len(self.extra):
            logits[..., self.extra] = hidden @ self.full_weight[self.extra].float().T
        return logits


def _quantize(module: torch.nn.Module) -> torch.nn.Module:
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # torch marks eager-mode quantization as deprecated; it is still the fastest here
        warnings.simplefilter("ignore")
        return quantize_dynamic(module, {torch.nn.Linear}, dtype=torch.qint8)  # type: ignore[no-any-return]


def make_fast(model: Any, tokenizer: Any, always: Iterable[int] = ()) -> RestrictedHead:
    """Turn ``model`` (fp32, on the CPU) into the fast path in place and return its new head.

    ``always`` lists token ids the head keeps whatever the vocabulary (the category and subcategory labels).
    The model's forward keeps its interface (full-size fp32 logits, -inf outside the statement vocabulary),
    so greedy decoding, label scoring and ``generate`` all run on it unchanged.
    """
    model.model.to(torch.bfloat16)  # the tied embedding and head matrix becomes bf16 too: one copy serves both
    keep = sorted(set(head_vocabulary(tokenizer)) | set(always))
    head = RestrictedHead(model.lm_head.weight.detach(), keep, int8=True)
    model.lm_head = head
    logger.info("CPU fast path: bf16 transformer, %d-token int8 head", len(keep))
    return head
