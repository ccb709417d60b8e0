"""Gemma 3's text model for the cached CPU fast path, without transformers.

Importing transformers' Gemma 3 module takes about 2 s (it pulls in ``torch.distributed``, dynamo and
sympy): a third of a cold start. The fast model read back from its cache (:func:`~winrewrite.fastpath.load_fast`)
needs none of that code. Its weights are the int8 modules of ``fastpath.py``, so this file only holds the
arithmetic between them.

The module names are transformers' own (``model.layers.0.self_attn.q_proj``, ...), so the cache file, the
lean decoding step (``decoder.py``) and the rewriter see the same tree. Each operation is the one
transformers runs, in the same order and dtype, including its choice of attention call: with no padding
the causal kernel over grouped key heads, with padding a boolean mask over repeated key heads, for a
single new token the query heads packed as positions of their key head. ``tests/test_gemma.py`` checks
logits, hidden states and caches against transformers' ``Gemma3ForCausalLM``.

Only what the fast path needs is here: no training, no ``generate``, no softcapping, default rotary
tables. :func:`supports` says whether a model's ``config.json`` fits; other models load through transformers.

>>> supports({"model_type": "llama"})
False
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from winrewrite.fastpath import products


def supports(config: dict[str, Any]) -> bool:
    """Whether a ``config.json`` describes a Gemma 3 text model this file computes exactly."""
    ropes = config.get("rope_parameters") or {}
    return (
        config.get("model_type") == "gemma3_text"
        and not config.get("attn_logit_softcapping")
        and not config.get("final_logit_softcapping")
        and not config.get("attention_bias")
        and not config.get("use_bidirectional_attention")
        and config.get("hidden_activation") == "gelu_pytorch_tanh"
        and bool(config.get("layer_types"))
        and all((ropes.get(kind) or {}).get("rope_type") == "default" for kind in set(config["layer_types"]))
    )


@dataclass(frozen=True)
class GemmaConfig:
    """The fields of a Gemma 3 ``config.json`` that the forward pass reads (names as transformers spells them)."""

    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    rms_norm_eps: float
    query_pre_attn_scalar: float
    sliding_window: int
    layer_types: tuple[str, ...]
    hidden_activation: str = "gelu_pytorch_tanh"
    model_type: str = "gemma3_text"
    attn_logit_softcapping: float | None = None
    final_logit_softcapping: float | None = None
    attention_bias: bool = False
    rope_theta: dict[str, float] = field(default_factory=dict)  # per layer type

    @classmethod
    def from_file(cls, path: Path) -> GemmaConfig:
        """Read ``config.json``; raises ``ValueError`` when :func:`supports` refuses it."""
        raw = json.loads(path.read_text())
        if not supports(raw):
            raise ValueError(f"{path} is not a Gemma 3 text model the lean forward pass computes")
        names = [n for n in cls.__dataclass_fields__ if n not in ("layer_types", "rope_theta")]
        values = {n: raw[n] for n in names if n in raw}
        ropes = {kind: float(p["rope_theta"]) for kind, p in raw["rope_parameters"].items()}
        return cls(**values, layer_types=tuple(raw["layer_types"]), rope_theta=ropes)

    @property
    def num_hidden_layers(self) -> int:
        return len(self.layer_types)


@dataclass
class _Cached:
    keys: torch.Tensor  # [rows, key heads, positions, head_dim]
    values: torch.Tensor


class Cache:
    """Keys and values of every layer, all positions kept (the sliding window is applied by the mask)."""

    def __init__(self) -> None:
        self.layers: list[_Cached] = []

    def get_seq_length(self) -> int:
        return self.layers[0].keys.shape[2] if self.layers else 0

    def update(self, index: int, keys: torch.Tensor, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append one layer's new keys and values; return all of that layer's."""
        if index == len(self.layers):
            self.layers.append(_Cached(keys, values))
        else:
            layer = self.layers[index]
            layer.keys, layer.values = torch.cat([layer.keys, keys], dim=-2), torch.cat([layer.values, values], dim=-2)
        return self.layers[index].keys, self.layers[index].values

    def batch_repeat_interleave(self, repeats: int) -> None:
        """Repeat each row ``repeats`` times in place (one prompt read once, continued ``repeats`` ways)."""
        for layer in self.layers:
            layer.keys, layer.values = layer.keys.repeat_interleave(repeats, 0), layer.values.repeat_interleave(repeats, 0)

    def reorder_cache(self, rows: torch.Tensor) -> None:
        """Keep the rows ``rows``, in that order."""
        for layer in self.layers:
            layer.keys, layer.values = layer.keys.index_select(0, rows), layer.values.index_select(0, rows)


@dataclass
class Output:
    """What a forward pass returns (the fields the rewriter reads of transformers' outputs)."""

    last_hidden_state: torch.Tensor
    cache: Cache | None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    logits: torch.Tensor | None = None


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """Gemma's RMS norm with its weight already as ``1 + weight`` in fp32: computed in fp32, back in ``x``'s dtype.

    torch's ``rms_norm`` runs transformers' operations (square, mean, add, reciprocal root, product) in one
    call, so the bits are the same (``tests/test_gemma.py``) for about 5 us less a call: a greedy step makes 91.
    """
    return (nn.functional.rms_norm(x.float(), x.shape[-1:], eps=eps) * weight).type_as(x)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """The rotary embedding's half swap: [a, b] -> [-b, a] along the last dimension."""
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class _Placeholder(nn.Module):
    """A weightless stand-in for a layer the cache file fills (a meta tensor left behind is caught there).

    Not ``nn.Linear(device="meta")``: initialising meta weights imports torch's compiler (about 1 s)."""

    def __init__(self, *shape: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(*shape, device="meta"), requires_grad=False)


class RMSNorm(nn.Module):
    """Gemma's RMS norm: computed in fp32, times (1 + weight), back in the input's dtype."""

    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.empty(dim, device="meta"), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rms_norm(x, 1.0 + self.weight.float(), self.eps)


class RotaryEmbedding(nn.Module):
    """cos and sin tables for the positions of one forward pass, one inverse-frequency table per layer type."""

    def __init__(self, config: GemmaConfig) -> None:
        super().__init__()
        for kind in sorted(set(config.layer_types)):
            base = config.rope_theta[kind]
            inv_freq = 1.0 / (base ** (torch.arange(0, config.head_dim, 2, dtype=torch.float) / config.head_dim))
            self.register_buffer(f"{kind}_inv_freq", inv_freq, persistent=False)
            self.register_buffer(f"{kind}_original_inv_freq", inv_freq.clone(), persistent=False)

    def forward(self, x: torch.Tensor, position_ids: torch.Tensor, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
        inv_freq = getattr(self, f"{kind}_inv_freq")
        freqs = position_ids[..., None].float() * inv_freq.to(device=x.device, dtype=torch.float)
        angles = torch.cat((freqs, freqs), dim=-1)
        return angles.cos().to(x.dtype), angles.sin().to(x.dtype)


class Attention(nn.Module):
    JOINED = (("q_proj", "k_proj", "v_proj"),)  # computed by fastpath.products: one fbgemm product where joined

    def __init__(self, config: GemmaConfig) -> None:
        super().__init__()
        heads, kv_heads, dim = config.num_attention_heads, config.num_key_value_heads, config.head_dim
        self.q_proj = _Placeholder(heads * dim, config.hidden_size)
        self.k_proj = _Placeholder(kv_heads * dim, config.hidden_size)
        self.v_proj = _Placeholder(kv_heads * dim, config.hidden_size)
        self.o_proj = _Placeholder(config.hidden_size, heads * dim)
        self.q_norm = RMSNorm(dim, config.rms_norm_eps)
        self.k_norm = RMSNorm(dim, config.rms_norm_eps)
        self.groups, self.head_dim = heads // kv_heads, dim
        self.scaling = config.query_pre_attn_scalar**-0.5


class MLP(nn.Module):
    JOINED = (("gate_proj", "up_proj"),)

    def __init__(self, config: GemmaConfig) -> None:
        super().__init__()
        self.gate_proj = _Placeholder(config.intermediate_size, config.hidden_size)
        self.up_proj = _Placeholder(config.intermediate_size, config.hidden_size)
        self.down_proj = _Placeholder(config.hidden_size, config.intermediate_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = products([self.gate_proj, self.up_proj], x)
        return self.down_proj(nn.functional.gelu(gate, approximate="tanh") * up)  # type: ignore[no-any-return]


class DecoderLayer(nn.Module):
    def __init__(self, config: GemmaConfig) -> None:
        super().__init__()
        self.self_attn = Attention(config)
        self.mlp = MLP(config)
        eps = config.rms_norm_eps
        self.input_layernorm = RMSNorm(config.hidden_size, eps)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, eps)
        self.pre_feedforward_layernorm = RMSNorm(config.hidden_size, eps)
        self.post_feedforward_layernorm = RMSNorm(config.hidden_size, eps)


def _attend(a: Attention, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Scaled dot-product attention as transformers calls it: [rows, heads, length, head_dim] queries against
    [rows, key heads, positions, head_dim]; returns [rows, length, heads * head_dim]."""
    rows, _, length, dim = q.shape
    sdpa = nn.functional.scaled_dot_product_attention
    if mask is None and dim <= 256:  # causal (or one token seeing all): the kernel groups the key heads itself
        out = sdpa(q, k, v, scale=a.scaling, is_causal=length > 1, enable_gqa=a.groups > 1)
    elif length == 1:  # one new token: its query heads attend as positions of their key head
        out = sdpa(q.reshape(rows, -1, a.groups, dim), k, v, attn_mask=mask, scale=a.scaling)
    else:
        if a.groups > 1:
            k, v = k.repeat_interleave(a.groups, dim=1), v.repeat_interleave(a.groups, dim=1)
        out = sdpa(q, k, v, attn_mask=mask, scale=a.scaling, is_causal=mask is None and length > 1)
    return out.reshape(rows, -1, length, dim).transpose(1, 2).reshape(rows, length, -1)


class TextModel(nn.Module):
    """The decoder stack: embedding, layers and final norm (transformers' ``Gemma3TextModel``)."""

    def __init__(self, config: GemmaConfig) -> None:
        super().__init__()
        self.config = config
        self.embed_tokens: nn.Module = _Placeholder(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(config) for _ in config.layer_types)
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.rotary_emb = RotaryEmbedding(config)

    def _mask(self, padding: torch.Tensor | None, rows: int, length: int, past: int, window: int | None) -> torch.Tensor | None:
        """The boolean mask [rows, 1, length, positions] of one layer type, or None where the plain causal
        kernel computes the same (transformers' rule: no padding, and one new token or an empty cache)."""
        total = past + length
        if padding is None and (length == 1 or total == length) and (window is None or total < window):
            return None
        query = torch.arange(past, total, device=self.norm.weight.device)[:, None]
        key = torch.arange(total, device=query.device)[None, :]
        allowed = key <= query
        if window is not None:
            allowed &= key > query - window
        allowed = allowed[None, None]
        if padding is not None:
            allowed = allowed & padding[:, None, None, :]
        return allowed.expand(rows, 1, length, total)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        cache: Cache | None = None,
        use_cache: bool = True,
        output_hidden_states: bool = False,
    ) -> Output:
        """Run ``input_ids`` [rows, length] after ``cache``; ``attention_mask`` [rows, cached + length] marks
        the real tokens (rows are left-padded). Positions count from the first column, padding included."""
        if use_cache and cache is None:
            cache = Cache()
        past = cache.get_seq_length() if cache is not None else 0
        rows, length = input_ids.shape
        padding = None
        if attention_mask is not None and not bool(attention_mask[:, : past + length].all()):
            padding = attention_mask[:, : past + length].bool()
        masks = {
            kind: self._mask(padding, rows, length, past, self.config.sliding_window if kind == "sliding_attention" else None)
            for kind in set(self.config.layer_types)
        }
        x = self.embed_tokens(input_ids)
        positions = torch.arange(past, past + length, device=input_ids.device)[None]
        rotary = {kind: self.rotary_emb(x, positions, kind) for kind in masks}
        hidden: list[torch.Tensor] = [x]
        for index, (layer, kind) in enumerate(zip(self.layers, self.config.layer_types, strict=True)):
            x = self._layer(layer, x, rotary[kind], masks[kind], cache, index)
            hidden.append(x)
        x = self.norm(x)
        hidden[-1] = x
        return Output(x, cache, tuple(hidden) if output_hidden_states else None)

    def _layer(
        self, layer: Any, x: torch.Tensor, rotary: tuple[torch.Tensor, torch.Tensor], mask: torch.Tensor | None,
        cache: Cache | None, index: int,
    ) -> torch.Tensor:  # fmt: skip
        a = layer.self_attn
        rows, length = x.shape[:2]
        h = layer.input_layernorm(x)
        q, k, v = (p.view(rows, length, -1, a.head_dim).transpose(1, 2) for p in products([a.q_proj, a.k_proj, a.v_proj], h))
        q, k = a.q_norm(q), a.k_norm(k)
        cos, sin = rotary[0].unsqueeze(1), rotary[1].unsqueeze(1)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if cache is not None:
            k, v = cache.update(index, k, v)
        x = x + layer.post_attention_layernorm(a.o_proj(_attend(a, q, k, v, mask)))
        return x + layer.post_feedforward_layernorm(layer.mlp(layer.pre_feedforward_layernorm(x)))  # type: ignore[no-any-return]


class GemmaForCausalLM(nn.Module):
    """The decoder stack and its vocabulary head; built weightless (meta tensors) for
    :func:`~winrewrite.fastpath.load_fast` to fill.

    >>> config = GemmaConfig(vocab_size=8, hidden_size=4, intermediate_size=8, num_attention_heads=1,
    ...     num_key_value_heads=1, head_dim=4, rms_norm_eps=1e-6, query_pre_attn_scalar=4, sliding_window=4,
    ...     layer_types=("full_attention",), rope_theta={"full_attention": 1e4})
    >>> GemmaForCausalLM(config).model.layers[0].self_attn.q_proj.weight.is_meta
    True
    """

    def __init__(self, config: GemmaConfig) -> None:
        super().__init__()
        self.config = config
        self.model = TextModel(config)
        self.lm_head: nn.Module = _Placeholder(config.vocab_size, config.hidden_size)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        cache: Cache | None = None,
        use_cache: bool = True,
        logits_to_keep: int = 0,
    ) -> Output:
        """The text model's output with the logits of the last ``logits_to_keep`` positions (0: all)."""
        out = self.model(input_ids, attention_mask, cache, use_cache)
        out.logits = self.lm_head(out.last_hidden_state[:, -logits_to_keep:])
        return out
