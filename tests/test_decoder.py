"""The lean decoding step gives the logits transformers gives, bit for bit, on the fast path (each form of
its int8 layers): one row without padding, and a left-padded batch with a finished row; sliding and full
attention layers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from winrewrite import RewriterConfig, fastpath
from winrewrite.decoder import LeanDecoder
from winrewrite.fastpath import NibbleLinear, RowInt8Linear, RowInt8Stack
from winrewrite.prompt import prompt_ids
from winrewrite.rewriter import Rewriter


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer Gemma 3, one sliding and one full attention layer, with room for whole prompts;
    its query, key, value, gate and up rows fill whole blocks of the int4 kernel (64), so they can be joined."""
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    from tests.conftest import build_tiny_tokenizer

    tokenizer = build_tiny_tokenizer()
    config = Gemma3TextConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, head_dim=64, sliding_window=512,
        layer_types=["sliding_attention", "full_attention"], pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    torch.manual_seed(1)
    path = tmp_path_factory.mktemp("tiny-gemma3-two-kinds")
    Gemma3ForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module", params=["int8", "int4", "row-int8"])
def kernel(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each form of the int8 layers, whichever this CPU would pick (:func:`~winrewrite.fastpath.nibbles_are_faster`,
    and fbgemm's int8 activations where torch has them)."""
    if request.param == "int4" and not NibbleLinear.supports(32):
        pytest.skip("this torch has no int4 kernel")
    if request.param == "row-int8" and not RowInt8Linear.supports():
        pytest.skip("this torch runs no fbgemm int8 products")
    with pytest.MonkeyPatch.context() as patch:
        if request.param != "row-int8":
            patch.setattr(fastpath.RowInt8Linear, "supports", staticmethod(lambda: False))
        patch.setattr(fastpath, "nibbles_are_faster", lambda: request.param == "int4")
        yield request.param


def _config(kernel: str, **settings: Any) -> RewriterConfig:
    return RewriterConfig(max_new_tokens=24, int8_activations=kernel == "row-int8", **settings)


@pytest.fixture(scope="module")
def fast(model_dir: Path, kernel: str) -> Rewriter:
    return Rewriter.from_pretrained(base=model_dir, device="cpu", config=_config(kernel))


@pytest.mark.parametrize("prompts", [[[2, 10, 11, 12]], [[2, 10, 11, 12, 13, 14], [2, 20, 21], [2, 30, 31, 32, 33]]])
def test_lean_steps_match_transformers_steps(fast: Rewriter, kernel: str, prompts: list[list[int]]) -> None:
    decoder = LeanDecoder.for_model(fast.model)
    assert decoder is not None
    joined, layer = {
        "int8": (fastpath.Int8Linear, fastpath.Int8Linear),
        "int4": (NibbleLinear, NibbleLinear),
        "row-int8": (RowInt8Stack, RowInt8Linear),
    }[kernel]
    assert isinstance(decoder.layers[0].qkv, joined) and isinstance(decoder.layers[0].down, layer)
    with torch.inference_mode():
        cache, logits, mask = fast._prefill(prompts)
        decoder.start(*fast._prefill(prompts)[::2], new_tokens=12)
        tokens = logits.argmax(-1)
        for step in range(12):
            alive = torch.tensor([not (row == 0 and step >= 6 and len(prompts) > 1) for row in range(len(prompts))])
            mask = torch.cat([mask, alive[:, None].long()], dim=1)
            out = fast.model(input_ids=tokens[:, None], attention_mask=mask, cache=cache, use_cache=True, logits_to_keep=1)
            expected = out.logits[:, -1].float()
            assert torch.equal(decoder.step(tokens, alive), expected), f"step {step}"
            cache, tokens = out.cache, expected.argmax(-1)


def test_a_narrow_step_gives_the_head_columns_of_the_full_step(fast: Rewriter) -> None:
    """Beam steps read only the restricted head's columns: the decoder gives just those, the same bits."""
    assert fast._fast_head is not None
    fast._fast_head.set_extra([5, 6, 7])  # the notes' own tokens join the columns
    decoder = LeanDecoder.for_model(fast.model)
    assert decoder is not None
    prompts = [[2, 10, 11, 12, 13], [2, 20, 21]]
    tokens, alive = torch.tensor([14, 22]), torch.tensor([True, True])
    steps = []
    with torch.inference_mode():
        for narrow in (False, True):
            decoder.start(*fast._prefill(prompts)[::2], new_tokens=4)
            steps.append(decoder.step(tokens, alive, narrow=narrow))
    full, narrow_logits = steps
    assert narrow_logits.shape == (2, len(fast._fast_head.columns))
    assert torch.equal(narrow_logits, full[:, fast._fast_head.columns])


def test_statements_are_the_same_with_and_without_the_lean_step(model_dir: Path, kernel: str) -> None:
    notes = ["cut p99 latency 340ms -> 62ms with int8", "wrote the runbook", "auc 0.81 to 0.84 with 14 new features"]
    runs = []
    for lean in (True, False):
        rw = Rewriter.from_pretrained(base=model_dir, device="cpu", config=_config(kernel, lean_decoder=lean))
        decoder = rw._lean_decoder()
        assert (decoder is not None) is lean
        assert decoder is None or decoder.fits(len(prompt_ids(rw.tokenizer, notes[2])), 24)
        runs.append([s.text for s in rw.rewrite_many(notes, batch_size=2, progress=False)] + [rw.rewrite(notes[0]).text])
    assert runs[0] == runs[1]


def test_only_fast_gemma3_models_get_the_lean_step(model_dir: Path) -> None:
    exact = Rewriter.from_pretrained(base=model_dir, device="cpu", config=RewriterConfig(fast_cpu=False))
    assert LeanDecoder.for_model(exact.model) is None  # fp32 linear layers: transformers decodes
    assert exact._lean_decoder() is None


def test_top_tokens_among_the_head_columns_are_the_top_of_the_whole_row(fast: Rewriter) -> None:
    assert fast._fast_head is not None
    fast._fast_head.set_extra([5, 6, 7])  # the notes' own tokens join the columns
    with torch.inference_mode():
        logits = fast._prefill([[2, 10, 11, 12], [2, 20, 21]])[1]
    values, ids, norms = fast._top(logits)
    expected = logits.topk(values.shape[1], dim=-1).values
    assert torch.equal(values, expected)
    assert torch.equal(logits.gather(-1, ids), values)  # each id carries its own logit
    assert torch.allclose(norms, torch.logsumexp(logits.float(), dim=-1))  # the columns hold all the mass


def test_layers_padded_to_the_kernel_blocks_are_left_to_transformers(tmp_path: Path) -> None:
    """Query rows that do not fill the int4 kernel's blocks cannot be joined: no lean step, and no error."""
    from transformers import Gemma3ForCausalLM

    from tests.conftest import build_tiny_tokenizer, tiny_config

    tokenizer = build_tiny_tokenizer()
    Gemma3ForCausalLM(tiny_config(tokenizer)).save_pretrained(tmp_path)  # 16-wide heads: 32 query rows
    tokenizer.save_pretrained(tmp_path)
    rw = Rewriter.from_pretrained(base=tmp_path, device="cpu", config=RewriterConfig(max_new_tokens=8))
    if isinstance(rw.model.model.layers[0].self_attn.q_proj, NibbleLinear):
        assert rw._lean_decoder() is None
    assert rw.rewrite("cut p99 latency 340ms -> 62ms").text  # transformers decodes instead


def test_beams_read_only_the_head_columns_and_find_the_same_candidates(fast: Rewriter, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the fast path the beam search reads only the head's columns (the rest of each row is -inf):
    the same candidates, with the same scores, as over the whole vocabulary."""
    assert fast._fast_head is not None and fast._lean_decoder() is not None
    assert len(fast._fast_head.columns) < len(fast.tokenizer)  # some of the vocabulary is left out
    notes = ["cut p99 latency from 340ms to 62ms with int8 and onnx, same accuracy", "auc 0.81 to 0.84"]
    heads = [prompt_ids(fast.tokenizer, n) for n in notes]
    with torch.inference_mode():
        narrow = fast._beams(notes, heads, early=False)
        monkeypatch.setattr(fast, "_fast_head", None)  # _beams then passes no columns
        whole = fast._beams(notes, heads, early=False)
    assert [[c for c, _ in cs] for cs in narrow] == [[c for c, _ in cs] for cs in whole]
    assert [[s for _, s in cs] for cs in narrow] == [[pytest.approx(s, abs=1e-5) for _, s in cs] for cs in whole]
