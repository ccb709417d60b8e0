"""The CPU fast path's int8 layers: close to the float layer they replace, and only where torch's kernel applies."""

from __future__ import annotations

import pytest
import torch

from winrewrite.fastpath import Int8Linear, compact_linear


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


def test_widths_the_kernel_cannot_take_stay_in_bf16() -> None:
    assert isinstance(compact_linear(torch.randn(16, 640)), Int8Linear)
    fallback = compact_linear(torch.randn(16, 48))  # torch's int8 kernel needs a multiple of 32
    assert isinstance(fallback, torch.nn.Linear) and fallback.weight.dtype == torch.bfloat16
    assert fallback(torch.randn(2, 48, dtype=torch.bfloat16)).shape == (2, 16)
