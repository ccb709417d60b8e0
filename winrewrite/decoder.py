"""A lean decoding step for Gemma 3 on the CPU fast path.

One greedy token of the 270M model costs about 10 ms of int8 matrix products, but a step through the
transformers modules costs about 20 ms: the rest is Python around small tensors (mask building, cache
bookkeeping, seven module calls and six norms per layer). :class:`LeanDecoder` runs the same arithmetic
for one new token per row with the model's own weights: query, key and value in one int8 product, gate
and up in another, norm weights (1 + weight) computed once, the query and key heads normed and rotated
together, attention with the query heads packed as positions of their key head (one small kernel call
instead of a parallel one per head), and a key/value cache preallocated for the whole statement.

It takes over after the prefill, from the cache that prefill built (by the model's own forward pass:
:mod:`winrewrite.gemma` for the cached default model, transformers' otherwise), and only while every
position fits inside the sliding window (then sliding and full attention see the same keys); longer
prompts decode through the model's forward pass. ``tests/test_decoder.py`` checks that both give the
same logits.

>>> decoder = LeanDecoder.for_model(object())  # not a fast Gemma 3: None, and the model's forward decodes
>>> decoder is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from winrewrite.fastpath import Int8Linear, NibbleLinear, RowInt8Linear, RowInt8Part, RowInt8Stack, shared_whole
from winrewrite.gemma import rms_norm as _norm
from winrewrite.gemma import rotate_half


def _joinable(layers: list[Any]) -> bool:
    """Whether :func:`_fuse` can join ``layers``: all of one int8 kind, nibble layers without padded rows."""
    if all(isinstance(m, Int8Linear) for m in layers) or all(isinstance(m, RowInt8Linear) for m in layers):
        return True
    if shared_whole(layers) is not None:
        return True
    nibbles = all(isinstance(m, NibbleLinear) and m.packed.shape[0] == m.out_features for m in layers)
    return nibbles and len({m.group for m in layers}) == 1


def _fuse(layers: list[Any]) -> Int8Linear | NibbleLinear | RowInt8Linear | RowInt8Stack:
    """One int8 layer computing the outputs of ``layers`` side by side (each output row is independent).

    The layers keep working, on row slices of the fused weights: the model holds no second copy. fbgemm's
    packed weights cannot be sliced: parts of one :class:`RowInt8Linear` (:func:`~winrewrite.fastpath.join_row_int8`)
    give that one, and separate :class:`RowInt8Linear` layers are stacked (one scaling of the input, a
    product per layer).
    """
    if (whole := shared_whole(layers)) is not None:
        return whole
    if isinstance(layers[0], RowInt8Linear):
        return RowInt8Stack(layers)
    if isinstance(layers[0], Int8Linear):
        fused = Int8Linear(torch.cat([m.weight for m in layers]), torch.cat([m.scale for m in layers]))
        start = 0
        for m in layers:
            end = start + m.weight.shape[0]
            m.weight, m.scale = fused.weight[start:end], fused.scale[start:end]
            start = end
        return fused
    scales = torch.cat([m.scales_zeros for m in layers], dim=1).contiguous()  # small: each keeps its own
    joined = NibbleLinear(torch.cat([m.packed for m in layers]), scales, sum(m.out_features for m in layers), layers[0].group)
    start = 0
    for m in layers:
        end = start + m.out_features
        m.packed = joined.packed[start:end]
        start = end
    return joined


@dataclass
class _Layer:
    qkv: Int8Linear | NibbleLinear | RowInt8Linear | RowInt8Stack
    o: Int8Linear | NibbleLinear | RowInt8Linear
    gate_up: Int8Linear | NibbleLinear | RowInt8Linear | RowInt8Stack
    down: Int8Linear | NibbleLinear | RowInt8Linear
    norms: tuple[torch.Tensor, ...]  # 1 + weight, fp32: input, post-attention, pre-ffw, post-ffw
    qk_norm: torch.Tensor  # [heads + key heads, head_dim]: the query norm's 1 + weight per query head, then the key norm's
    kind: str  # "sliding_attention" or "full_attention": which rotary table the layer reads


class LeanDecoder:
    """Decodes one token per row for a Gemma 3 model made fast by :func:`~winrewrite.fastpath.make_fast`."""

    def __init__(self, model: Any) -> None:
        config = model.config
        self.model = model
        self.eps = config.rms_norm_eps
        self.heads, self.kv_heads, self.head_dim = config.num_attention_heads, config.num_key_value_heads, config.head_dim
        self.scaling = config.query_pre_attn_scalar**-0.5
        self.window = config.sliding_window or 0
        self.kinds = sorted(set(config.layer_types))  # the rotary tables a step needs
        self.layers: list[_Layer] = []
        for layer, kind in zip(model.model.layers, config.layer_types, strict=True):
            a, m = layer.self_attn, layer.mlp
            norms = [layer.input_layernorm, layer.post_attention_layernorm, layer.pre_feedforward_layernorm]
            norms.append(layer.post_feedforward_layernorm)
            q_norm, k_norm = 1.0 + a.q_norm.weight.float(), 1.0 + a.k_norm.weight.float()
            self.layers.append(
                _Layer(
                    _fuse([a.q_proj, a.k_proj, a.v_proj]),
                    a.o_proj,
                    _fuse([m.gate_proj, m.up_proj]),
                    m.down_proj,
                    tuple(1.0 + n.weight.float() for n in norms),
                    torch.stack([q_norm] * self.heads + [k_norm] * self.kv_heads),
                    kind,
                )
            )
        self.final_norm = 1.0 + model.model.norm.weight.float()
        self.cache: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.length = 0
        self.mask = torch.zeros(0, 0, dtype=torch.bool)

    @classmethod
    def for_model(cls, model: Any) -> LeanDecoder | None:
        """A decoder for ``model`` when it is a fast Gemma 3 without softcapping or bias, else None."""
        config = getattr(model, "config", None)
        if getattr(config, "model_type", None) not in ("gemma3_text", "gemma3"):
            return None
        if config.attn_logit_softcapping or config.final_logit_softcapping or config.attention_bias:  # type: ignore[union-attr]
            return None
        if config.hidden_activation != "gelu_pytorch_tanh":  # type: ignore[union-attr]
            return None
        for layer in model.model.layers:
            a, m = layer.self_attn, layer.mlp
            parts = [getattr(a, n, None) for n in ("q_proj", "k_proj", "v_proj", "o_proj")]
            parts += [getattr(m, n, None) for n in ("gate_proj", "up_proj", "down_proj")]
            if not all(isinstance(p, (Int8Linear, NibbleLinear, RowInt8Linear, RowInt8Part)) for p in parts):
                return None
            if not (_joinable(parts[:3]) and _joinable(parts[4:6])):
                return None
        return cls(model)

    def fits(self, width: int, new_tokens: int) -> bool:
        """Whether a prompt of ``width`` plus ``new_tokens`` stays inside the sliding window."""
        return width + new_tokens < self.window

    def start(self, cache: Any, mask: torch.Tensor, new_tokens: int) -> None:
        """Take over transformers' prefill ``cache`` (its rows left-padded as in ``mask``)."""
        rows, width = mask.shape
        self.cache = []
        for layer in cache.layers:
            keys = layer.keys.new_zeros(rows, self.kv_heads, width + new_tokens, self.head_dim)
            values = torch.zeros_like(keys)
            keys[:, :, :width], values[:, :, :width] = layer.keys, layer.values
            self.cache.append((keys, values))
        self.mask = torch.zeros(rows, width + new_tokens, dtype=torch.bool)
        self.mask[:, :width] = mask.bool()
        self.length = width

    def reorder(self, rows: torch.Tensor) -> None:
        """Keep the cache rows ``rows``, in that order (beam search: each new beam continues one of them)."""
        self.cache = [(keys.index_select(0, rows), values.index_select(0, rows)) for keys, values in self.cache]
        self.mask = self.mask.index_select(0, rows)

    def _attend(self, q: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Attention of the new token, [rows, 1, heads * head_dim].

        ``q`` is [rows, key heads, query heads per key head, head_dim]: the query heads of a key head attend
        as if they were positions of it (transformers' ``pack_gqa``). Without a mask this gives the same
        bits as attending head by head, as transformers does then, in a sixth of the time.
        """
        out = torch.nn.functional.scaled_dot_product_attention(q, keys, values, attn_mask=mask, scale=self.scaling)
        return out.reshape(q.shape[0], 1, -1)

    def step(self, ids: torch.Tensor, alive: torch.Tensor, narrow: bool = False) -> torch.Tensor:
        """Feed one token per row (``alive`` False: a finished row, masked like padding); return the
        next-token logits [rows, vocab] in fp32, or with ``narrow`` only the restricted head's columns
        [rows, len(head.columns)] (the same values, without the -inf around them)."""
        t = self.length
        self.mask[:, t] = alive
        # no padding and no finished row: transformers then attends without a mask, which rounds differently
        mask = None if bool(self.mask[:, : t + 1].all()) else self.mask[:, None, None, : t + 1]
        rows = ids.shape[0]
        x = self.model.model.embed_tokens(ids[:, None])  # [rows, 1, hidden]
        position = torch.tensor([[t]])
        rotary = {kind: self.model.model.rotary_emb(x, position, kind) for kind in self.kinds}
        qk_heads = self.heads + self.kv_heads
        for layer, (keys, values) in zip(self.layers, self.cache, strict=True):
            n_in, n_post_attn, n_pre_ffw, n_post_ffw = layer.norms
            qkv = layer.qkv(_norm(x, n_in, self.eps))
            # query and key heads side by side: one norm and one rotation (elementwise: the same bits as apart)
            qk = _norm(qkv[..., : qk_heads * self.head_dim].view(rows, qk_heads, self.head_dim), layer.qk_norm, self.eps)
            cos, sin = rotary[layer.kind]
            qk = qk * cos + rotate_half(qk) * sin
            q = qk[:, : self.heads].view(rows, self.kv_heads, -1, self.head_dim)
            keys[:, :, t : t + 1] = qk[:, self.heads :].view(rows, self.kv_heads, 1, self.head_dim)
            values[:, :, t : t + 1] = qkv[..., qk_heads * self.head_dim :].view(rows, self.kv_heads, 1, self.head_dim)
            attended = self._attend(q, keys[:, :, : t + 1], values[:, :, : t + 1], mask)
            x = x + _norm(layer.o(attended), n_post_attn, self.eps)
            gate, up = layer.gate_up(_norm(x, n_pre_ffw, self.eps)).chunk(2, dim=-1)
            ffw = layer.down(torch.nn.functional.gelu(gate, approximate="tanh") * up)
            x = x + _norm(ffw, n_post_ffw, self.eps)
        self.length = t + 1
        hidden = _norm(x, self.final_norm, self.eps)
        if narrow:
            return self.model.lm_head.narrow(hidden)[:, -1]  # type: ignore[no-any-return]
        return self.model.lm_head(hidden)[:, -1].float()  # type: ignore[no-any-return]
