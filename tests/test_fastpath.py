"""The CPU fast path's int8 layers: close to the float layer they replace, and only where torch's kernel applies;
its cache file: the same model back, refused when damaged, renamed when what it is made from changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from winrewrite import fastpath
from winrewrite.fastpath import (
    Int8Embedding,
    Int8Linear,
    NibbleLinear,
    RestrictedHead,
    compact_linear,
    fast_cache_file,
    load_fast,
    make_fast,
    save_fast,
)


@pytest.mark.parametrize(("rows", "width"), [(1, 640), (7, 640), (80, 2048), (3, 32)])
def test_int8_linear_matches_the_float_layer(rows: int, width: int) -> None:
    gen = torch.Generator().manual_seed(0)
    weight = torch.randn(300, width, generator=gen)
    x = torch.randn(rows, width, generator=gen)
    reference = x @ weight.T
    out = Int8Linear.from_weight(weight)(x).float()
    assert out.shape == reference.shape
    # int8 weights and bf16 activations: about 1% of the output's scale
    assert (out - reference).abs().max() < 0.02 * reference.abs().max()


@pytest.mark.parametrize(("rows", "out", "width"), [(1, 300, 640), (2, 64, 640), (9, 8200, 96), (1, 10, 32)])
def test_nibble_layer_computes_the_int8_layer(rows: int, out: int, width: int) -> None:
    gen = torch.Generator().manual_seed(1)
    int8 = Int8Linear.from_weight(torch.randn(out, width, generator=gen))
    x = torch.randn(rows, width, generator=gen)
    exact = x.to(torch.bfloat16).double() @ (int8.weight.double() * int8.scale.double()[:, None]).T
    nibbles = NibbleLinear.from_int8(int8, chunk=4096)  # 8200 rows: two full chunks and a padded one
    got, reference = nibbles(x).double(), int8(x).double()
    assert got.shape == reference.shape == (rows, out)
    # both are the exact product rounded to bf16 (within a unit or two of its last place), never further
    assert (got - exact).abs().max() <= 2 * (reference - exact).abs().max() + 1e-6
    assert torch.allclose(got, exact, rtol=2**-7, atol=1e-3 * exact.abs().max().item())


@pytest.mark.parametrize("faster", [True, False])
def test_int8_layers_run_on_the_kernel_this_cpu_runs_faster(faster: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastpath, "nibbles_are_faster", lambda: faster)
    kernel = NibbleLinear if faster and NibbleLinear.supports(640) else Int8Linear
    assert isinstance(compact_linear(torch.randn(16, 640)), kernel)


def test_widths_the_kernel_cannot_take_stay_in_bf16() -> None:
    fallback = compact_linear(torch.randn(16, 48))  # torch's int8 kernel needs a multiple of 32
    assert isinstance(fallback, torch.nn.Linear) and fallback.weight.dtype == torch.bfloat16
    assert fallback(torch.randn(2, 48, dtype=torch.bfloat16)).shape == (2, 16)


def _tiny_fast_model(width: int, folder: Path):  # type: ignore[no-untyped-def]
    """A random 2-layer Gemma 3 of hidden ``width``, saved in ``folder`` and then made fast."""
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    from tests.conftest import build_tiny_tokenizer

    tokenizer = build_tiny_tokenizer()
    config = Gemma3TextConfig(
        vocab_size=len(tokenizer), hidden_size=width, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=64,
    )  # fmt: skip
    torch.manual_seed(0)
    model = Gemma3ForCausalLM(config).eval()
    model.save_pretrained(folder)
    make_fast(model, tokenizer)
    return model


@pytest.mark.parametrize("width", [32, 48])  # 48: the attention inputs stay bf16 linear layers
def test_cached_fast_model_computes_what_it_was_built_as(tmp_path: Path, width: int) -> None:
    model = _tiny_fast_model(width, tmp_path)
    path = tmp_path / "fast-test.safetensors"
    save_fast(model, path)
    loaded = load_fast(path, tmp_path)

    def layers(m: torch.nn.Module) -> dict[str, str]:  # what holds weights: the int8 layers, the head, bf16 layers
        kinds = (Int8Linear, NibbleLinear, RestrictedHead, torch.nn.Linear, torch.nn.Embedding, Int8Embedding)
        return {name: type(module).__name__ for name, module in m.named_modules() if isinstance(module, kinds)}

    assert layers(loaded) == layers(model)
    assert loaded.lm_head.embedding is loaded.model.embed_tokens  # the tied table is stored once
    ids = torch.tensor([[2, 10, 11, 12, 13, 14]])
    with torch.inference_mode():
        assert torch.equal(loaded(input_ids=ids).logits, model(input_ids=ids).logits)


def test_a_damaged_cache_file_is_refused(tmp_path: Path) -> None:
    model = _tiny_fast_model(32, tmp_path)
    path = tmp_path / "fast-test.safetensors"
    save_fast(model, path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(Exception):  # noqa: B017 (safetensors raises its own error type for a cut file)
        load_fast(path, tmp_path)


def test_cache_name_follows_the_adapter_and_keeps_few_files(tmp_path: Path) -> None:
    model = _tiny_fast_model(32, tmp_path)
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_model.safetensors").write_bytes(b"one")
    first = fast_cache_file(tmp_path, adapter)
    assert fast_cache_file(tmp_path, adapter) == first
    (adapter / "adapter_model.safetensors").write_bytes(b"other")
    assert fast_cache_file(tmp_path, adapter) != first
    assert fast_cache_file(tmp_path, None) != first
    for n in range(4):
        save_fast(model, tmp_path / f"fast-{n}.safetensors", keep_others=2)
        os.utime(tmp_path / f"fast-{n}.safetensors", (n, n))  # distinct ages, however coarse the clock
    kept = sorted(p.name for p in tmp_path.glob("fast-*.safetensors"))
    assert kept == [f"fast-{n}.safetensors" for n in (1, 2, 3)]


def test_a_file_read_counts_as_used_when_old_files_are_removed(tmp_path: Path) -> None:
    model = _tiny_fast_model(32, tmp_path)
    for n in range(3):
        save_fast(model, tmp_path / f"fast-{n}.safetensors", keep_others=2)
        os.utime(tmp_path / f"fast-{n}.safetensors", (n, n))
    load_fast(tmp_path / "fast-0.safetensors", tmp_path)  # the oldest file, read again: now the most recent
    save_fast(model, tmp_path / "fast-3.safetensors", keep_others=2)
    assert sorted(p.name for p in tmp_path.glob("fast-*.safetensors")) == [
        "fast-0.safetensors",
        "fast-2.safetensors",
        "fast-3.safetensors",
    ]
