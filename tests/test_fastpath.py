"""The CPU fast path's int8 layers: close to the float layer they replace, and only where torch's kernel applies;
int8 activations row by row (fbgemm): each row's bits independent of its batch, the weights kept exactly;
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
    RowInt8Linear,
    RowInt8Stack,
    compact_linear,
    fast_cache_file,
    join_row_int8,
    load_fast,
    make_fast,
    products,
    row_int8_activations,
    save_fast,
    shared_whole,
)

needs_fbgemm = pytest.mark.skipif(not RowInt8Linear.supports(), reason="this torch runs no fbgemm int8 products")


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
    monkeypatch.setattr(fastpath.RowInt8Linear, "supports", staticmethod(lambda: False))
    monkeypatch.setattr(fastpath, "nibbles_are_faster", lambda: faster)
    kernel = NibbleLinear if faster and NibbleLinear.supports(640) else Int8Linear
    assert isinstance(compact_linear(torch.randn(16, 640)), kernel)


def test_where_fbgemm_runs_the_layers_stay_int8_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastpath.RowInt8Linear, "supports", staticmethod(lambda: True))
    monkeypatch.setattr(fastpath, "nibbles_are_faster", lambda: True)  # not even asked
    assert isinstance(compact_linear(torch.randn(16, 640)), Int8Linear)


@needs_fbgemm
@pytest.mark.parametrize(("rows", "width"), [(1, 640), (6, 640), (48, 2048), (3, 32)])
def test_row_int8_layer_stays_close_to_the_int8_weight_layer(rows: int, width: int) -> None:
    gen = torch.Generator().manual_seed(2)
    int8 = Int8Linear.from_weight(torch.randn(300, width, generator=gen))
    x = torch.randn(rows, width, generator=gen) * torch.logspace(-2, 2, rows)[:, None]  # rows of very different sizes
    reference = int8(x).float()
    out = RowInt8Linear.from_int8(int8)(x).float()
    assert out.dtype == torch.float32 and out.shape == reference.shape
    # each row on its own scale: about 1% of that row's own output scale, small rows as well as large ones
    error = (out - reference).abs().amax(dim=1) / reference.abs().amax(dim=1)
    assert error.max() < 0.05 and error.mean() < 0.02


@needs_fbgemm
def test_a_row_gives_the_same_bits_alone_and_in_any_batch() -> None:
    gen = torch.Generator().manual_seed(3)
    layer = RowInt8Linear.from_int8(Int8Linear.from_weight(torch.randn(200, 640, generator=gen)))
    x = torch.randn(8, 640, generator=gen)
    x[3] *= 1000  # an outlier row changes nothing for the others
    batch = layer(x)
    for row in range(8):
        assert torch.equal(layer(x[row : row + 1]), batch[row : row + 1])
    assert torch.equal(layer(torch.zeros(2, 640)), torch.zeros(2, 200, dtype=torch.bfloat16))  # no division by zero


@needs_fbgemm
def test_row_int8_layers_keep_the_weights_exactly_and_stack_bit_for_bit() -> None:
    gen = torch.Generator().manual_seed(4)
    parts = [Int8Linear.from_weight(torch.randn(n, 64, generator=gen)) for n in (40, 8, 8)]
    rows = [RowInt8Linear.from_int8(p) for p in parts]
    for p, r in zip(parts, rows, strict=True):
        weight, scale = r.int8()
        assert torch.equal(weight, p.weight) and torch.equal(scale, p.scale)
    x = torch.randn(5, 64, generator=gen).to(torch.bfloat16)
    assert torch.equal(RowInt8Stack(rows)(x), torch.cat([r(x) for r in rows], dim=-1))


@needs_fbgemm
def test_joined_row_int8_layers_give_each_layer_its_own_bits() -> None:
    gen = torch.Generator().manual_seed(5)
    layers = [Int8Linear.from_weight(torch.randn(n, 64, generator=gen)) for n in (40, 8, 8)]
    alone = [RowInt8Linear.from_int8(m) for m in layers]
    parts = join_row_int8(layers)
    x = torch.randn(2, 3, 64, generator=gen).to(torch.bfloat16)
    together = products(parts, x)
    assert shared_whole(parts) is parts[0].whole and len(together) == 3
    for part, single, out, layer in zip(parts, alone, together, layers, strict=True):
        assert torch.equal(out, single(x)) and torch.equal(part(x), single(x))
        weight, scale = part.int8()
        assert torch.equal(weight, layer.weight) and torch.equal(scale, layer.scale)
    assert shared_whole(parts[:2]) is None and shared_whole(parts[::-1]) is None  # not the whole, or out of order
    assert [tuple(o.shape) for o in products(parts[::-1], x)] == [(2, 3, 8), (2, 3, 8), (2, 3, 40)]


def test_fbgemm_sums_are_exact_where_the_cpu_has_vnni() -> None:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists() or "avx512_vnni" not in cpuinfo.read_text():
        pytest.skip("no AVX512-VNNI here: fbgemm may saturate, and activations then stay bf16")
    assert not fastpath._sums_saturate() and RowInt8Linear.supports()


@needs_fbgemm
def test_a_model_with_int8_activations_caches_its_int8_layers(tmp_path: Path) -> None:
    model = _tiny_fast_model(32, tmp_path)
    converted = row_int8_activations(model)
    assert converted == 2 * 7 + 1  # seven layers a block, and the head
    assert not any(isinstance(m, Int8Linear) for m in model.modules())
    path = tmp_path / "fast-test.safetensors"
    save_fast(model, path)
    loaded = load_fast(path, tmp_path)
    assert isinstance(loaded.lm_head.linear, Int8Linear)  # the file holds the int8 weights, whatever ran them
    assert row_int8_activations(loaded) == converted
    ids = torch.tensor([[2, 10, 11, 12, 13, 14]])
    with torch.inference_mode():
        assert torch.equal(loaded(input_ids=ids).logits, model(input_ids=ids).logits)


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
