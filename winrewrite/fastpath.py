"""The CPU fast path: int8 weights, int8 or bf16 activations, and a vocabulary head restricted to the tokens
statements use.

Decoding one token on the CPU is bound by memory traffic: fp32 Gemma 3 270M reads about 1 GB of weights
per token, two thirds of it in the 262,144-token vocabulary head. Here the head keeps only the ~72k tokens
that spell English text (shipped in ``statement_vocab.json``, plus the labels and the notes' own tokens),
and every linear layer (the head's rows too) holds int8 weights with one scale per output row while the
activations stay in bf16 (weight-only quantization). The int8 products run on torch's int8 kernel, or
on its int4 kernel (:class:`NibbleLinear`, the same arithmetic) where that is faster on the CPU at hand
(:func:`nibbles_are_faster`, timed once when the fast model is built). Where torch has fbgemm (x86), the
Rewriter then rounds the activations to int8 too (:class:`RowInt8Linear`, ``RewriterConfig.int8_activations``),
each row on its own scale: fbgemm's integer products take the six rows of a note's beams about 2x faster,
and a prefill 2.5-4x. fbgemm's own dynamic quantization, one scale for a whole batch, was tried earlier and
rejected: Gemma's outlier rows moved the category scores by several nats. With a scale per row, the
category accuracy on 273 labelled notes was 0.850 against 0.842, and on the 48 benchmark notes the same.
The fp32 path stays available (``RewriterConfig(fast_cpu=False)``) for checking.

Building the fast model means reading 1 GB of float weights, merging the adapter and quantizing (several
seconds); :func:`save_fast` stores the result (about 320 MB for the default model) and :func:`load_fast`
puts it back on a weightless skeleton of the model. ``Rewriter.from_pretrained`` does this for the
embedded default model, in a file named by :func:`fast_cache_file` beside the converted model.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import time
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


class NibbleLinear(torch.nn.Module):
    """An :class:`Int8Linear` computed by torch's int4 kernel.

    Each int8 weight ``w`` is stored as two 4-bit halves, ``w = 16 * (high - 8) + low``; the layer multiplies
    ``[x, x]`` by ``[high | low]`` with group scales ``16 * scale`` and ``scale`` (zero points 0 and
    ``8 * scale``), which is ``x @ (w * scale)``: the int8 layer's arithmetic on the same bytes. Which of
    the two kernels is faster depends on the CPU (and the torch build): on one machine the int4 kernel
    took the 72k-row head from 4.5 to 2.7 ms a greedy step; on a 2-core AMD EPYC with AVX512-BF16 and
    torch 2.13, the int8 kernel is faster at every row count (a greedy step's layers 1.7 ms against
    3.1 ms, six beam rows 8.0 ms against 14.3 ms). :func:`compact_linear` uses this class only where
    :func:`nibbles_are_faster`.

    >>> int8 = Int8Linear.from_weight(torch.randn(100, 64))
    >>> nibbles = NibbleLinear.from_int8(int8)
    >>> x = torch.randn(3, 64)
    >>> bool(torch.allclose(nibbles(x).float(), int8(x).float(), rtol=0.02, atol=0.02))
    True
    """

    _ROWS = 64  # the kernel packs rows in blocks: the matrix is padded to a multiple

    def __init__(self, packed: torch.Tensor, scales_zeros: torch.Tensor, out_features: int, group: int) -> None:
        super().__init__()
        self.packed: torch.Tensor = packed  # uint8, torch's int4 layout of [high | low]
        self.scales_zeros: torch.Tensor = scales_zeros  # bf16 [2 * in / group, padded rows, 2]
        self.out_features, self.group = out_features, group

    @staticmethod
    def supports(in_features: int) -> bool:
        """Whether torch has the kernel (2.5 and later) and can group a width of ``in_features``."""
        return hasattr(torch, "_weight_int4pack_mm_for_cpu") and in_features % 32 == 0

    @classmethod
    def from_int8(cls, layer: Int8Linear, chunk: int = 8192) -> NibbleLinear:
        """The same layer, split into halves a chunk of rows at a time (no full-size int32 copy)."""
        rows, width = layer.weight.shape
        group = next(g for g in (256, 128, 64, 32) if width % g == 0)
        padded = rows + (-rows) % cls._ROWS
        scale = torch.ones(padded)
        scale[:rows] = layer.scale.float()
        packed = []
        for start in range(0, padded, chunk):
            w = layer.weight[start : start + chunk].to(torch.int32) + 128
            w = torch.cat([w, w.new_full((min(chunk, padded - start) - len(w), width), 128)])  # padding rows: 0
            high = torch.div(w, 16, rounding_mode="floor")
            packed.append(torch._convert_weight_to_int4pack_for_cpu(torch.cat([high, w - 16 * high], dim=1), 1))
        groups = width // group
        scales = torch.cat([(16 * scale).expand(groups, padded), scale.expand(groups, padded)])
        zeros = torch.cat([torch.zeros(groups, padded), (8 * scale).expand(groups, padded)])
        return cls(torch.cat(packed), torch.stack([scales, zeros], dim=-1).to(torch.bfloat16).contiguous(), rows, group)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1]).to(torch.bfloat16)
        out = torch._weight_int4pack_mm_for_cpu(torch.cat([flat, flat], dim=1), self.packed, self.group, self.scales_zeros)
        return out[:, : self.out_features].reshape(*x.shape[:-1], self.out_features)


class RowInt8Linear(torch.nn.Module):
    """An :class:`Int8Linear` whose activations are rounded to 8 bits too, each row on its own scale; the
    product runs on fbgemm's int8 kernel (x86), integer sums throughout.

    Each input row is divided by its largest magnitude, so that it lies in [-1, 1]; one more row, holding 1
    and -1, pins fbgemm's per-batch rounding range to exactly [-1, 1], and the output rows are multiplied
    back. A row's result therefore depends on that row alone, never on the other rows of the batch, and the
    integer sums are exact: the same bits alone or in any batch. On a 2-core Xeon (AVX512-VNNI) and torch 2.13,
    the six rows of a note's beams run 1.5-2.2x faster than on the int8-weight kernel (the 72k-row head 7.2
    against 1.6 ms) and a 48-row batch 2.5-4x faster; one row is about as fast. The weights are the
    :class:`Int8Linear`'s own: :meth:`int8` gives them back exactly (for :func:`save_fast`).

    >>> _ = torch.manual_seed(0)
    >>> int8 = Int8Linear.from_weight(torch.randn(100, 64))
    >>> rows = RowInt8Linear.from_int8(int8)  # where RowInt8Linear.supports(): x86 builds of torch
    >>> x = torch.randn(3, 64)
    >>> bool(torch.allclose(rows(x).float(), int8(x).float(), rtol=0.05, atol=0.5))  # outputs of about 8
    True
    """

    def __init__(self, weight: torch.Tensor, scale: torch.Tensor) -> None:
        super().__init__()
        with warnings.catch_warnings():  # torch marks quantized tensors deprecated; fbgemm's products are not
            warnings.simplefilter("ignore", UserWarning)
            zeros = torch.zeros(weight.shape[0], dtype=torch.long)
            quantized = torch._make_per_channel_quantized_tensor(weight, scale.double(), zeros, 0)
        self.packed = torch.ops.quantized.linear_prepack(quantized, None)  # fbgemm's own layout, not a tensor
        self.out_features = weight.shape[0]
        self.range = torch.zeros(1, weight.shape[1])
        self.range[0, :2] = torch.tensor([1.0, -1.0])

    @staticmethod
    def supports() -> bool:
        """Whether torch runs int8 products on fbgemm here (x86 builds) with 8-bit activations in full."""
        if not hasattr(torch, "_make_per_channel_quantized_tensor") or not hasattr(torch.ops.quantized, "linear_dynamic"):
            return False
        return torch.backends.quantized.engine in ("x86", "fbgemm") and not _sums_saturate()

    @classmethod
    def from_int8(cls, layer: Int8Linear) -> RowInt8Linear:
        return cls(layer.weight, layer.scale)

    def int8(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The int8 weights [out, in] and their bf16 row scales, exactly as they were packed."""
        quantized, _ = torch.ops.quantized.linear_unpack(self.packed)
        return quantized.int_repr(), quantized.q_per_channel_scales().to(torch.bfloat16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return row_int8_products([self], x)


def row_int8_products(layers: list[RowInt8Linear], x: torch.Tensor) -> torch.Tensor:
    """The outputs of ``layers`` (:class:`RowInt8Linear`, one input width) for ``x``, side by side in bf16,
    each the bits it gives alone: the rows are scaled once, and each layer keeps its own packed weights
    (fbgemm's cannot be sliced, so a fused copy would double them)."""
    flat = x.reshape(-1, x.shape[-1]).float()
    top = flat.abs().amax(dim=-1, keepdim=True).clamp_(min=1e-30)
    scaled = torch.cat([flat / top, layers[0].range])
    outs = [torch.ops.quantized.linear_dynamic.default(scaled, m.packed, False) for m in layers]  # 8 bits: supports()
    out = (outs[0] if len(outs) == 1 else torch.cat(outs, dim=1))[:-1] * top
    return out.to(torch.bfloat16).view(*x.shape[:-1], out.shape[-1])


class RowInt8Stack(torch.nn.Module):
    """Several :class:`RowInt8Linear` layers that read the same input, computed by :func:`row_int8_products`.

    >>> layers = [RowInt8Linear.from_int8(Int8Linear.from_weight(torch.randn(n, 64))) for n in (8, 4)]
    >>> tuple(RowInt8Stack(layers)(torch.randn(3, 64)).shape)
    (3, 12)
    """

    def __init__(self, layers: list[RowInt8Linear]) -> None:
        super().__init__()
        self.layers = layers  # a plain list: the model owns them, this holds no parameters of its own

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return row_int8_products(self.layers, x)


class RowInt8Part(torch.nn.Module):
    """Output columns ``start:end`` of a :class:`RowInt8Linear` that sibling layers share (query, key and value,
    or gate and up: :func:`join_row_int8`). Alone it computes the whole product and keeps its columns;
    :func:`products` gives all the siblings from one product, which on fbgemm costs about as much as the
    largest of them (one row: about 70 against 125 us for Gemma 3 270M's query, key and value).

    >>> parts = join_row_int8([Int8Linear.from_weight(torch.randn(n, 64)) for n in (8, 4)])
    >>> [tuple(p(torch.randn(3, 64)).shape) for p in parts]
    [(3, 8), (3, 4)]
    """

    def __init__(self, whole: RowInt8Linear, start: int, end: int) -> None:
        super().__init__()
        self._whole = (whole,)  # not a submodule: its siblings share it, and each part is stored as its own layer
        self.start, self.end, self.out_features = start, end, end - start

    @property
    def whole(self) -> RowInt8Linear:
        return self._whole[0]

    def int8(self) -> tuple[torch.Tensor, torch.Tensor]:
        """This part's int8 weights [out, in] and bf16 row scales, exactly as they were packed."""
        weight, scale = self.whole.int8()
        return weight[self.start : self.end].clone(), scale[self.start : self.end].clone()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.whole(x)[..., self.start : self.end]


def join_row_int8(layers: list[Int8Linear]) -> list[RowInt8Part]:
    """``layers`` (one input width) as parts of one :class:`RowInt8Linear`: the same weights, the same bits
    per output (each output column's integer sum is its own), one fbgemm product for all of them."""
    whole = RowInt8Linear(torch.cat([m.weight for m in layers]), torch.cat([m.scale for m in layers]))
    ends = torch.tensor([m.weight.shape[0] for m in layers]).cumsum(0).tolist()
    return [RowInt8Part(whole, end - m.weight.shape[0], end) for m, end in zip(layers, ends, strict=True)]


def shared_whole(layers: list[Any]) -> RowInt8Linear | None:
    """The :class:`RowInt8Linear` whose columns ``layers`` are, in order and all of them, else None."""
    if not layers or not all(isinstance(m, RowInt8Part) and m.whole is layers[0].whole for m in layers):
        return None
    ends = [0] + [m.end for m in layers]
    whole = layers[0].whole
    ok = all(m.start == ends[i] for i, m in enumerate(layers)) and ends[-1] == whole.out_features
    return whole if ok else None


def products(layers: list[Any], x: torch.Tensor) -> list[torch.Tensor]:
    """Each layer's output for ``x``; the parts of one :class:`RowInt8Linear` from a single product.

    >>> layers = [torch.nn.Linear(4, 2), torch.nn.Linear(4, 3)]
    >>> [tuple(out.shape) for out in products(layers, torch.randn(5, 4))]
    [(5, 2), (5, 3)]
    """
    whole = shared_whole(layers)
    if whole is None:
        return [m(x) for m in layers]
    return list(whole(x).split([m.out_features for m in layers], dim=-1))


@functools.cache
def _sums_saturate() -> bool:
    """Whether fbgemm's sums saturate on this CPU: without VNNI it adds pairs of 8-bit products in 16 bits,
    which overflow at full range (found by one product that would: 64 times 1 x 127). Only 7-bit activations
    would be exact there, a rounding no evaluation has measured, so those CPUs keep bf16 activations."""
    try:
        probe = RowInt8Linear(torch.full((1, 64), 127, dtype=torch.int8), torch.tensor([1 / 127], dtype=torch.bfloat16))
        full = float(probe(torch.ones(1, 64))[0, 0])
    except RuntimeError as e:  # no fbgemm in this build after all
        logger.info("fbgemm int8 products unavailable: %s", e)
        return True
    saturates = abs(full - 64.0) > 1.0
    if saturates:
        logger.info("fbgemm sums saturate on this CPU: activations stay bf16")
    return saturates


def row_int8_activations(model: Any) -> int:
    """Replace every :class:`Int8Linear` of ``model`` (the restricted head's too) by its
    :class:`RowInt8Linear`, in place; returns how many. Nothing changes where fbgemm is missing.

    A module that lists sibling layers in ``JOINED`` (``("q_proj", "k_proj", "v_proj")``: it computes them
    with :func:`products`, as :mod:`winrewrite.gemma` does) gets them as parts of one product
    (:func:`join_row_int8`)."""
    if not RowInt8Linear.supports():
        return 0
    converted = 0
    for module in list(model.modules()):
        for group in getattr(module, "JOINED", ()):
            layers = [m for name in group if isinstance(m := getattr(module, name, None), Int8Linear)]
            if len(layers) == len(group) and len({m.weight.shape[1] for m in layers}) == 1:
                for name, part in zip(group, join_row_int8(layers), strict=True):
                    setattr(module, name, part)
                converted += len(group)
    names = [name for name, m in model.named_modules() if isinstance(m, Int8Linear)]
    for name in names:
        model.set_submodule(name, RowInt8Linear.from_int8(model.get_submodule(name)))
    _return_freed_memory()  # the int8 weights just dropped
    return converted + len(names)


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


@functools.cache
def nibbles_are_faster() -> bool:
    """Whether this CPU runs an int8 layer faster as a :class:`NibbleLinear` (torch's int4 kernel) than as
    an :class:`Int8Linear` (its int8 kernel); decided once per process by timing both on a block of
    random int8 weights, for one row (a greedy step) and six (a note's beams). The int4 form must save
    at least a tenth to be chosen: the int8 one is the simpler.

    >>> isinstance(nibbles_are_faster(), bool)
    True
    """
    if not NibbleLinear.supports(640):
        return False
    generator = torch.Generator().manual_seed(0)
    int8 = Int8Linear.from_weight(torch.randn(8192, 640, generator=generator))
    nibbles = NibbleLinear.from_int8(int8)
    inputs = [torch.randn(rows, 640, generator=generator).to(torch.bfloat16) for rows in (1, 6)]

    def seconds(layer: torch.nn.Module) -> float:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for x in inputs:
                layer(x)
            best = min(best, time.perf_counter() - start)
        return best

    seconds(int8), seconds(nibbles)  # warm both kernels up
    int8_s, nibbles_s = seconds(int8), seconds(nibbles)
    logger.info("int8 products: int8 kernel %.3f ms, int4 kernel %.3f ms", 1e3 * int8_s, 1e3 * nibbles_s)
    return nibbles_s < 0.9 * int8_s


def compact_linear(weight: torch.Tensor) -> torch.nn.Module:
    """The int8 form of ``weight`` [out, in]: a :class:`NibbleLinear` where torch's int4 kernel is the
    faster (:func:`nibbles_are_faster`), an :class:`Int8Linear` otherwise, and bf16 when the width does
    not suit either kernel (a multiple of 32)."""
    if weight.shape[1] % 32 == 0:
        layer = Int8Linear.from_weight(weight)
        # where fbgemm runs, the Rewriter turns Int8Linear layers into RowInt8Linear ones: no int4 form then
        faster = not RowInt8Linear.supports() and NibbleLinear.supports(weight.shape[1]) and nibbles_are_faster()
        return NibbleLinear.from_int8(layer) if faster else layer
    linear = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False, dtype=torch.bfloat16)
    linear.weight = torch.nn.Parameter(weight.detach().to(torch.bfloat16), requires_grad=False)
    return linear


class RestrictedHead(torch.nn.Module):
    """Logits over the statement vocabulary (scattered into a full-size row of -inf), plus the notes' own tokens."""

    def __init__(self, linear: torch.nn.Module, keep: torch.Tensor, vocab_size: int, embedding: Int8Embedding) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.keep: torch.Tensor = keep  # long [kept]: the vocabulary ids of the linear layer's rows
        self._kept = frozenset(keep.tolist())
        self.linear = linear
        self.embedding = embedding  # the tied weights, for the few notes tokens outside the vocabulary
        self.extra: torch.Tensor = torch.empty(0, dtype=torch.long)
        self.columns: torch.Tensor = keep  # every id the head can give a finite logit: keep, then extra

    @classmethod
    def from_weight(cls, weight: torch.Tensor, keep: list[int], embedding: Int8Embedding) -> RestrictedHead:
        ids = torch.tensor(keep, dtype=torch.long)
        return cls(compact_linear(weight.detach()[ids]), ids, weight.shape[0], embedding)

    def set_extra(self, ids: list[int]) -> None:
        """Also allow these token ids (the notes' own, such as names with accents)."""
        missing = sorted(set(ids) - self._kept)
        self.extra = torch.tensor(missing, dtype=torch.long)
        self.columns = torch.cat([self.keep, self.extra])

    def narrow(self, hidden: torch.Tensor) -> torch.Tensor:
        """The fp32 logits of :attr:`columns` only, in that order (what :meth:`forward` scatters into a full row)."""
        logits = self.linear(hidden.to(torch.bfloat16)).float()
        if len(self.extra):
            logits = torch.cat([logits, hidden.float() @ self.embedding.rows(self.extra).float().T], dim=-1)
        return logits  # type: ignore[no-any-return]

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        logits = hidden.new_full((*hidden.shape[:-1], self.vocab_size), -float("inf"), dtype=torch.float32)
        logits[..., self.columns] = self.narrow(hidden)
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
    head = RestrictedHead.from_weight(model.lm_head.weight, keep, embedding)
    model.model.embed_tokens = embedding  # one int8 copy of the tied matrix serves the input and the rare extra logits
    model.lm_head = head
    _return_freed_memory()
    logger.info("CPU fast path: int8 weights with bf16 activations, %d-token head", len(keep))
    return head


_CACHE_FORMAT = 4  # bump when what save_fast writes changes
_BASE_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors")
_ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def fast_cache_file(base: Path, adapter: Path | None) -> Path:
    """Where :func:`save_fast` keeps the fast model of ``base`` with ``adapter``: in ``base``'s folder.

    The name is a hash of everything the fast model is made from: the base model's files and the
    adapter's (path, size, modification time), the statement vocabulary and labels of this package, and
    the torch and transformers versions, and the CPU's instruction set. Any change gives a new name, so a
    stale file is never read.
    """
    from importlib.metadata import version

    from winrewrite.categories import Category
    from winrewrite.prompt import category_label, subcategory_label

    cpu = torch.backends.cpu.get_cpu_capability()  # the int4 kernel's packed layout follows the instruction set
    parts = [f"format {_CACHE_FORMAT}", torch.__version__, version("transformers"), cpu]
    parts += [category_label(c) + "".join(subcategory_label(s) for s in c.subcategories) for c in Category]
    parts.append(hashlib.sha256(SHIPPED_VOCABULARY.read_bytes()).hexdigest())
    for f in [base / name for name in _BASE_FILES] + [adapter / name for name in _ADAPTER_FILES if adapter]:
        if f.exists():
            stat = f.stat()
            parts.append(f"{f} {stat.st_size} {stat.st_mtime_ns}")
    return base / f"fast-{hashlib.sha256(chr(10).join(parts).encode()).hexdigest()[:16]}.safetensors"


def save_fast(model: Any, path: Path, keep_others: int = 2) -> None:
    """Store a model made fast by :func:`make_fast` (int8 weights, restricted head) in one safetensors file,
    so that :func:`load_fast` rebuilds it without float weights, adapter merge or quantization.

    The file is written beside its final name and then renamed, so a reader never sees half of it. All but
    the ``keep_others`` most recently used other ``fast-*.safetensors`` files of the folder are removed
    (:func:`load_fast` marks a file it reads as used: the evaluation's base model must not push out the
    default model's file).
    """
    from safetensors.torch import save_file

    tensors: dict[str, torch.Tensor] = {}
    kinds: dict[str, str] = {}
    info: dict[str, Any] = {}
    for name, module in model.named_modules():
        prefix = f"{name}." if name else ""
        if isinstance(module, (Int8Linear, Int8Embedding)):
            tensors[prefix + "weight"], tensors[prefix + "scale"] = module.weight, module.scale
            if isinstance(module, Int8Embedding):
                info[name] = module.multiplier
        elif isinstance(module, (RowInt8Linear, RowInt8Part)):  # stored as the Int8Linear it was made from
            tensors[prefix + "weight"], tensors[prefix + "scale"] = module.int8()
        elif isinstance(module, NibbleLinear):
            tensors[prefix + "packed"], tensors[prefix + "scales_zeros"] = module.packed, module.scales_zeros
            info[name] = [module.out_features, module.group]
        elif isinstance(module, RestrictedHead):
            tensors[prefix + "keep"] = module.keep
            embedding = next(n for n, m in model.named_modules() if m is module.embedding)
            info[name] = [module.vocab_size, embedding]
        else:
            tensors.update({prefix + k: t for k, t in module.named_parameters(recurse=False)})
            tensors.update({prefix + k: t for k, t in module.named_buffers(recurse=False)})
        if isinstance(module, (Int8Linear, NibbleLinear, Int8Embedding, RestrictedHead, torch.nn.Linear)):
            kinds[name] = type(module).__name__
        elif isinstance(module, (RowInt8Linear, RowInt8Part)):
            kinds[name] = Int8Linear.__name__
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    metadata = {"kinds": json.dumps(kinds), "info": json.dumps(info)}
    save_file({k: t.detach().contiguous() for k, t in tensors.items()}, str(partial), metadata=metadata)
    os.replace(partial, path)
    others = sorted(path.parent.glob("fast-*.safetensors"), key=lambda f: f.stat().st_mtime, reverse=True)
    for old in [f for f in others if f != path][keep_others:]:
        old.unlink(missing_ok=True)
    logger.info("fast model cached in %s", path)


def load_fast(path: Path, base: Path) -> Any:
    """The fast model stored by :func:`save_fast`, on a skeleton built from ``base``'s config (no weights read).

    Raises ``ValueError`` (or safetensors' own error) when the file is damaged or does not fit the config.
    """
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        # copied into torch's own (aligned) memory: the int8 kernel can crash on safetensors' unaligned buffers
        tensors = {k: f.get_tensor(k).clone() for k in f.keys()}  # noqa: SIM118 (safe_open is not a dict)
        metadata = f.metadata() or {}
    kinds, info = json.loads(metadata["kinds"]), json.loads(metadata["info"])
    model = _skeleton(base)

    for name, kind in kinds.items():  # parents come before their children
        prefix = f"{name}."
        if kind == "RestrictedHead":
            vocab_size, embedding = info[name]
            module: torch.nn.Module = RestrictedHead(
                torch.nn.Identity(), tensors.pop(prefix + "keep"), vocab_size, model.get_submodule(embedding)
            )
        elif kind == "Int8Embedding":
            module = Int8Embedding(tensors.pop(prefix + "weight"), tensors.pop(prefix + "scale"), info[name])
        elif kind == "Int8Linear":
            module = Int8Linear(tensors.pop(prefix + "weight"), tensors.pop(prefix + "scale"))
        elif kind == "NibbleLinear":
            module = NibbleLinear(tensors.pop(prefix + "packed"), tensors.pop(prefix + "scales_zeros"), *info[name])
        else:
            weight = tensors.pop(prefix + "weight")
            module = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False, device="meta")
            module.weight = torch.nn.Parameter(weight, requires_grad=False)
        model.set_submodule(name, module)
    for key, tensor in tensors.items():  # the rest: norms, the rotary tables
        owner, _, attr = key.rpartition(".")
        module = model.get_submodule(owner)
        if attr in module._parameters:
            module._parameters[attr] = torch.nn.Parameter(tensor, requires_grad=False)
        elif attr in module._buffers:
            module._buffers[attr] = tensor
        else:
            raise ValueError(f"{path}: {key} is not a tensor of this model")
    left = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if left:
        raise ValueError(f"{path} lacks {len(left)} tensors of this model, such as {left[0]}")
    _return_freed_memory()  # the unaligned copies just dropped
    try:  # marked as used: save_fast keeps the most recently used files of a folder
        os.utime(path)
    except OSError:
        pass
    return model.eval()


def _skeleton(base: Path) -> Any:
    """A weightless model of ``base``'s config: :mod:`winrewrite.gemma` for Gemma 3 (no transformers import,
    about 2 s of a cold start), else transformers' own class."""
    from winrewrite import gemma

    if gemma.supports(json.loads((base / "config.json").read_text())):
        return gemma.GemmaForCausalLM(gemma.GemmaConfig.from_file(base / "config.json"))
    from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(base), dtype=torch.bfloat16)
    if (base / "generation_config.json").exists():
        model.generation_config = GenerationConfig.from_pretrained(base)
    return model


def _return_freed_memory() -> None:
    """Hand the float weights just freed back to the OS (glibc keeps them otherwise, and RSS stays high)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(name).malloc_trim(0)  # type: ignore[arg-type]
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows, musl): nothing to do
        pass
