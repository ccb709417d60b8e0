"""The CPU fast path: int8 weights with bf16 activations, and a vocabulary head restricted to the tokens
statements use.

Decoding one token on the CPU is bound by memory traffic: fp32 Gemma 3 270M reads about 1 GB of weights
per token, two thirds of it in the 262,144-token vocabulary head. Here the head keeps only the ~72k tokens
that spell English text (shipped in ``statement_vocab.json``, plus the labels and the notes' own tokens),
and every linear layer (the head's rows too) holds int8 weights with one scale per output row while the
activations stay in bf16 (weight-only quantization). Dynamic int8 quantization, which also rounds the
activations, was tried and rejected: Gemma's activation outliers moved the category scores by several
nats; weight-only int8 moves the next-token distribution by a KL of about 1e-4. The fp32 path stays
available (``RewriterConfig(fast_cpu=False)``) for checking.
"""

from __future__ import annotations

import hashlib
import json
import logging
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


def quantize_rows(weight: torch.Tensor, chunk: int = 8192) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 with one bf16 scale per row; a chunk of rows at a time, so a 262k-row matrix never
    needs a full fp32 copy.

    >>> q, scale = quantize_rows(torch.tensor([[1.0, -0.5], [0.0, 2.0]]))
    >>> q.tolist()
    [[127, -64], [0, 127]]
    """
    q = torch.empty(weight.shape, dtype=torch.int8)
    scale = torch.empty(weight.shape[0], dtype=torch.bfloat16)
    for start in range(0, weight.shape[0], chunk):
        w = weight[start : start + chunk].detach().float()
        s = (w.abs().amax(dim=1).clamp(min=1e-8) / 127).to(torch.bfloat16).float()  # the scale as it is stored
        q[start : start + chunk] = torch.round(w / s[:, None]).clamp(-127, 127)
        scale[start : start + chunk] = s
    return q, scale


class Int8Linear(torch.nn.Module):
    """A bias-free linear layer with int8 weights (one scale per output row) and bf16 activations.

    torch's kernel needs the input width to be a multiple of 32; :func:`compact_linear` checks it.

    >>> layer = Int8Linear.from_weight(torch.randn(8, 64))
    >>> tuple(layer(torch.randn(2, 3, 64)).shape)
    (2, 3, 8)
    """

    def __init__(self, weight: torch.Tensor, scale: torch.Tensor) -> None:
        super().__init__()
        self.weight: torch.Tensor = weight  # int8 [out, in]
        self.scale: torch.Tensor = scale  # bf16 [out]

    @classmethod
    def from_weight(cls, weight: torch.Tensor) -> Int8Linear:
        return cls(*quantize_rows(weight))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1]).to(torch.bfloat16)
        return torch._weight_int8pack_mm(flat, self.weight, self.scale).view(*x.shape[:-1], self.weight.shape[0])


class Int8Embedding(torch.nn.Module):
    """The token embedding with int8 rows (one scale per row); looked-up rows come back in bf16.

    ``multiplier`` keeps the model's own embedding scale (Gemma multiplies by the square root of the width).

    >>> table = Int8Embedding.from_weight(torch.randn(10, 4), multiplier=2.0)
    >>> tuple(table(torch.tensor([[1, 2, 3]])).shape)
    (1, 3, 4)
    """

    def __init__(self, weight: torch.Tensor, scale: torch.Tensor, multiplier: float) -> None:
        super().__init__()
        self.weight: torch.Tensor = weight  # int8 [vocab, width]
        self.scale: torch.Tensor = scale  # bf16 [vocab]
        self.multiplier = multiplier

    @classmethod
    def from_weight(cls, weight: torch.Tensor, multiplier: float = 1.0) -> Int8Embedding:
        return cls(*quantize_rows(weight), multiplier)

    def rows(self, ids: torch.Tensor) -> torch.Tensor:
        """The embedding rows of ``ids`` in bf16, without the multiplier (the tied head's weights)."""
        return self.weight[ids].to(torch.bfloat16) * self.scale[ids].unsqueeze(-1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.rows(ids) * self.multiplier


def compact_linear(weight: torch.Tensor) -> torch.nn.Module:
    """An :class:`Int8Linear` for ``weight`` [out, in] when torch's int8 kernel supports the shape, else bf16."""
    if weight.shape[1] % 32 == 0:
        return Int8Linear.from_weight(weight)
    linear = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False, dtype=torch.bfloat16)
    linear.weight = torch.nn.Parameter(weight.detach().to(torch.bfloat16), requires_grad=False)
    return linear


class RestrictedHead(torch.nn.Module):
    """Logits over the statement vocabulary (scattered into a full-size row of -inf), plus the notes' own tokens."""

    def __init__(self, weight: torch.Tensor, keep: list[int], embedding: Int8Embedding) -> None:
        super().__init__()
        self.vocab_size = weight.shape[0]
        self.keep: torch.Tensor = torch.tensor(keep, dtype=torch.long)
        self._kept = frozenset(keep)
        self.linear = compact_linear(weight.detach()[self.keep])
        self.embedding = embedding  # the tied weights, for the few notes tokens outside the vocabulary
        self.extra: torch.Tensor = torch.empty(0, dtype=torch.long)

    def set_extra(self, ids: list[int]) -> None:
        """Also allow these token ids (the notes' own, such as names with accents)."""
        missing = sorted(set(ids) - self._kept)
        self.extra = torch.tensor(missing, dtype=torch.long)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        logits = hidden.new_full((*hidden.shape[:-1], self.vocab_size), -float("inf"), dtype=torch.float32)
        logits[..., self.keep] = self.linear(hidden.to(torch.bfloat16)).float()
        if len(self.extra):
            logits[..., self.extra] = hidden.float() @ self.embedding.rows(self.extra).float().T
        return logits


def make_fast(model: Any, tokenizer: Any, always: Iterable[int] = ()) -> RestrictedHead:
    """Turn ``model`` (on the CPU) into the fast path in place and return its new head.

    ``always`` lists token ids the head keeps whatever the vocabulary (the category and subcategory labels).
    The model's forward keeps its interface (full-size fp32 logits, -inf outside the statement vocabulary),
    so greedy decoding, feature pooling and ``generate`` all run on it unchanged.
    """
    model.model.to(torch.bfloat16)
    for layer in model.model.layers:
        for parent in (layer.self_attn, layer.mlp):
            for name, child in list(parent.named_children()):
                if isinstance(child, torch.nn.Linear) and child.bias is None:
                    setattr(parent, name, compact_linear(child.weight))
    keep = sorted(set(head_vocabulary(tokenizer)) | set(always))
    tied = model.model.embed_tokens
    embedding = Int8Embedding.from_weight(tied.weight, float(getattr(tied, "scalar_embed_scale", 1.0)))
    head = RestrictedHead(model.lm_head.weight.detach(), keep, embedding)
    model.model.embed_tokens = embedding  # one int8 copy of the tied matrix serves the input and the rare extra logits
    model.lm_head = head
    _return_freed_memory()
    logger.info("CPU fast path: int8 weights with bf16 activations, %d-token head", len(keep))
    return head


def _return_freed_memory() -> None:
    """Hand the float weights just freed back to the OS (glibc keeps them otherwise, and RSS stays high)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(name).malloc_trim(0)  # type: ignore[arg-type]
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows, musl): nothing to do
        pass
