"""The transformers-free Gemma 3 of the cached fast path computes what transformers' Gemma 3 computes with
the same int8 weights: logits, hidden states and caches, bit for bit, for a prompt alone, a left-padded
batch, label lines read after a cache, single tokens, and a cache repeated for several continuations;
and within rounding once a prompt outgrows the sliding window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from tests.conftest import build_tiny_tokenizer, tiny_config
from winrewrite import gemma
from winrewrite.decoder import LeanDecoder
from winrewrite.fastpath import Int8Linear, RowInt8Linear, RowInt8Part, load_fast, make_fast, row_int8_activations, save_fast


def _pair(tmp_path: Path, **overrides: Any) -> tuple[Any, Any]:
    """transformers' tiny Gemma 3 made fast, and the same model read back from its cache file."""
    from transformers import Gemma3ForCausalLM

    tokenizer = build_tiny_tokenizer()
    config = tiny_config(tokenizer)
    for key, value in overrides.items():
        setattr(config, key, value)
    torch.manual_seed(3)
    model = Gemma3ForCausalLM(config).eval()
    model.save_pretrained(tmp_path)
    make_fast(model, tokenizer)
    save_fast(model, tmp_path / "fast.safetensors")
    return model, load_fast(tmp_path / "fast.safetensors", tmp_path)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    return _pair(tmp_path_factory.mktemp("gemma-pair"))


def _padded(rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.tensor([[0] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    return ids, mask


def _same(ours: Any, theirs: Any) -> None:
    assert torch.equal(ours.logits, theirs.logits)
    for a, b in zip(ours.cache.layers, theirs.cache.layers, strict=True):
        assert torch.equal(a.keys, b.keys) and torch.equal(a.values, b.values)


def test_the_cached_gemma_is_built_without_transformers(pair: tuple[Any, Any]) -> None:
    assert isinstance(pair[1], gemma.GemmaForCausalLM)


@pytest.mark.parametrize("rows", [[[2, 10, 11, 12, 13]], [[2, 10, 11, 12, 13, 14, 15], [2, 20, 21], [2, 30, 31, 32, 33]]])
def test_prefill_labels_and_steps_match(pair: tuple[Any, Any], rows: list[list[int]]) -> None:
    theirs_model, ours_model = pair
    ids, mask = _padded(rows)
    with torch.inference_mode():
        theirs = theirs_model(input_ids=ids, attention_mask=mask, use_cache=True, logits_to_keep=1)
        ours = ours_model(input_ids=ids, attention_mask=mask, use_cache=True, logits_to_keep=1)
        _same(ours, theirs)
        labels = torch.tensor([[40, 41, 42]] * len(rows))  # label lines after the prompt's cache
        mask = torch.cat([mask, torch.ones_like(labels)], dim=1)
        theirs = theirs_model(input_ids=labels, attention_mask=mask, cache=theirs.cache, use_cache=True, logits_to_keep=1)
        ours = ours_model(input_ids=labels, attention_mask=mask, cache=ours.cache, use_cache=True, logits_to_keep=1)
        _same(ours, theirs)
        for _ in range(4):  # greedy tokens, one at a time
            token = theirs.logits[:, -1].argmax(-1, keepdim=True)
            mask = torch.cat([mask, torch.ones_like(token)], dim=1)
            theirs = theirs_model(input_ids=token, attention_mask=mask, cache=theirs.cache, use_cache=True, logits_to_keep=1)
            ours = ours_model(input_ids=token, attention_mask=mask, cache=ours.cache, use_cache=True, logits_to_keep=1)
            _same(ours, theirs)


def test_hidden_states_and_repeated_caches_match(pair: tuple[Any, Any]) -> None:
    theirs_model, ours_model = pair
    ids, mask = _padded([[2, 10, 11, 12, 13, 14], [2, 20, 21]])
    with torch.inference_mode():
        theirs = theirs_model.model(input_ids=ids, attention_mask=mask, output_hidden_states=True, use_cache=True)
        ours = ours_model.model(input_ids=ids, attention_mask=mask, output_hidden_states=True, use_cache=True)
        assert len(ours.hidden_states) == len(theirs.hidden_states)
        assert all(torch.equal(a, b) for a, b in zip(ours.hidden_states, theirs.hidden_states, strict=True))
        assert torch.equal(ours.last_hidden_state, theirs.last_hidden_state)
        for out in (theirs, ours):  # one prompt, three continuations (the rewriter's label scoring)
            out.cache.batch_repeat_interleave(3)
            out.cache.reorder_cache(torch.tensor([5, 4, 3, 2, 1, 0]))
        pieces = torch.tensor([[40, 41], [42, 0], [43, 44]] * 2)
        attention = torch.cat([mask.repeat_interleave(3, 0).flip(0), (pieces > 0).long()], dim=1)
        theirs = theirs_model.model(input_ids=pieces, attention_mask=attention, cache=theirs.cache, use_cache=True)
        ours = ours_model.model(input_ids=pieces, attention_mask=attention, cache=ours.cache, use_cache=True)
        assert torch.equal(ours.last_hidden_state, theirs.last_hidden_state)


def test_prompts_longer_than_the_sliding_window_match_within_rounding(tmp_path: Path) -> None:
    theirs_model, ours_model = _pair(tmp_path, sliding_window=6, layer_types=["sliding_attention", "full_attention"])
    ids, mask = _padded([[2, *range(10, 24)], [2, 20, 21, 22, 23, 24, 25, 26, 27]])
    with torch.inference_mode():
        theirs = theirs_model(input_ids=ids, attention_mask=mask, use_cache=True, logits_to_keep=1)
        ours = ours_model(input_ids=ids, attention_mask=mask, use_cache=True, logits_to_keep=1)
        for _ in range(3):
            assert torch.allclose(ours.logits, theirs.logits, atol=0.05), (ours.logits - theirs.logits).abs().max()
            token = theirs.logits[:, -1].argmax(-1, keepdim=True)
            mask = torch.cat([mask, torch.ones_like(token)], dim=1)
            theirs = theirs_model(input_ids=token, attention_mask=mask, cache=theirs.cache, use_cache=True, logits_to_keep=1)
            ours = ours_model(input_ids=token, attention_mask=mask, cache=ours.cache, use_cache=True, logits_to_keep=1)


def test_configs_it_does_not_compute_load_through_transformers(tmp_path: Path) -> None:
    from transformers import Gemma3ForCausalLM

    _, loaded = _pair(tmp_path, final_logit_softcapping=30.0)
    assert isinstance(loaded, Gemma3ForCausalLM)


@pytest.mark.skipif(not RowInt8Linear.supports(), reason="this torch runs no fbgemm int8 products")
def test_joined_projections_give_the_bits_of_separate_ones(tmp_path: Path) -> None:
    """With int8 activations, the cached Gemma computes query, key and value (and gate and up) in one fbgemm
    product each: the same logits and caches as transformers' separate layers, in the forward pass and the
    lean step, and a joined model caches and reloads as separate int8 layers."""
    theirs_model, ours_model = _pair(tmp_path / "pair")
    assert row_int8_activations(theirs_model) == row_int8_activations(ours_model)
    attention = ours_model.model.layers[0].self_attn
    assert isinstance(attention.q_proj, RowInt8Part) and attention.q_proj.whole is attention.v_proj.whole
    assert isinstance(ours_model.model.layers[0].mlp.up_proj, RowInt8Part)
    assert isinstance(theirs_model.model.layers[0].self_attn.q_proj, RowInt8Linear)  # transformers calls each layer
    decoder = LeanDecoder.for_model(ours_model)
    assert decoder is not None and isinstance(decoder.layers[0].qkv, RowInt8Linear)
    ids, mask = _padded([[2, 10, 11, 12, 13, 14], [2, 20, 21]])
    with torch.inference_mode():
        theirs = theirs_model(input_ids=ids, attention_mask=mask, use_cache=True, logits_to_keep=1)
        ours = ours_model(input_ids=ids, attention_mask=mask, use_cache=True, logits_to_keep=1)
        _same(ours, theirs)
        decoder.start(ours_model(input_ids=ids, attention_mask=mask, use_cache=True).cache, mask, new_tokens=3)
        for _ in range(3):
            token = theirs.logits[:, -1].argmax(-1, keepdim=True)
            mask = torch.cat([mask, torch.ones_like(token)], dim=1)
            theirs = theirs_model(input_ids=token, attention_mask=mask, cache=theirs.cache, use_cache=True, logits_to_keep=1)
            assert torch.equal(decoder.step(token[:, 0], torch.ones(2, dtype=torch.bool)), theirs.logits[:, -1].float())
    save_fast(ours_model, tmp_path / "joined.safetensors")
    loaded = load_fast(tmp_path / "joined.safetensors", tmp_path / "pair")
    for name, layer in loaded.named_modules():
        if isinstance(layer, Int8Linear):  # each part stored as its own layer, with its own weights
            weight, scale = ours_model.get_submodule(name).int8()
            assert torch.equal(layer.weight, weight) and torch.equal(layer.scale, scale)
    row_int8_activations(loaded)
    with torch.inference_mode():
        again = loaded(input_ids=ids, attention_mask=mask[:, :6], use_cache=True)
        _same(again, ours_model(input_ids=ids, attention_mask=mask[:, :6], use_cache=True))
