"""The CPU fast path: int8 weights and a vocabulary head restricted to the tokens English statements use.

Decoding one token on the CPU is bound by memory traffic: fp32 Gemma 3 270M reads about 1 GB of weights
per token, two thirds of it in the 262,144-token vocabulary head. Here the transformer's linear layers
become dynamically quantized int8 (4x less to read), the head keeps only the ~144k tokens made of ASCII
text (plus a few typographic marks and the tokens of the notes), also in int8, and the input embedding
is kept in bf16. The fp32 path stays available (``RewriterConfig(fast_cpu=False)``) for checking.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
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


class _BF16Embedding(torch.nn.Module):
    """Gemma's scaled input embedding kept in bf16 (half the memory), returning fp32 activations."""

    def __init__(self, weight: torch.Tensor, scale: float) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(weight, requires_grad=False)
        self.scale = scale

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.embedding(input_ids, self.weight).float() * self.scale


class RestrictedHead(torch.nn.Module):
    """Logits over the statement vocabulary (scattered into a full-size row of -inf), plus the notes' own tokens."""

    def __init__(self, weight: torch.Tensor, keep: list[int], int8: bool) -> None:
        super().__init__()
        self.vocab_size = weight.shape[0]
        self.keep: torch.Tensor = torch.tensor(keep, dtype=torch.long)
        linear = torch.nn.Linear(weight.shape[1], len(keep), bias=False)
        linear.weight = torch.nn.Parameter(weight.detach()[self.keep].float(), requires_grad=False)
        self.linear: torch.nn.Module = _quantize(linear) if int8 else linear
        self.full_weight: torch.Tensor = weight  # for the few notes tokens outside the vocabulary
        self.extra: torch.Tensor = torch.empty(0, dtype=torch.long)

    def set_extra(self, ids: list[int]) -> None:
        """Also allow these token ids (the notes' own, such as names with accents)."""
        missing = sorted(set(ids) - set(self.keep.tolist())) if ids else []
        self.extra = torch.tensor(missing, dtype=torch.long)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
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


def make_fast(model: Any, tokenizer: Any) -> RestrictedHead:
    """Turn ``model`` (fp32, on the CPU) into the fast path in place and return its new head.

    The model's forward keeps its interface (full-size logits, -inf outside the statement vocabulary),
    so greedy decoding, label scoring and ``generate`` all run on it unchanged.
    """
    body = model.model
    shared = model.lm_head.weight.detach().to(torch.bfloat16)  # tied: one bf16 copy serves both ends
    scale = float(getattr(body.embed_tokens, "embed_scale", torch.tensor(1.0)))
    body.layers = _quantize(body.layers)
    body.embed_tokens = _BF16Embedding(shared, scale)
    head = RestrictedHead(shared, head_vocabulary(tokenizer), int8=True)
    model.lm_head = head  # frees the fp32 matrix
    logger.info("CPU fast path: int8 layers, %d-token int8 head, bf16 embedding", len(head.keep))
    return head
