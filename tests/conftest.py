"""Shared fixtures. The tiny model is a random-config Gemma 3 built here: no download, seconds to make.
Tests marked ``integration`` use the real embedded model with the shipped adapter."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>"]


def build_tiny_tokenizer():  # type: ignore[no-untyped-def]
    """A character-level tokenizer: every digit, letter and punctuation mark is one token, like Gemma's digits."""
    from tokenizers import Tokenizer, decoders, models
    from transformers import PreTrainedTokenizerFast

    chars = list(string.ascii_letters + string.digits + string.punctuation + " \n") + ["▁", "12", "a1"]
    vocab = {t: i for i, t in enumerate(SPECIALS + chars)}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>", unk_token="<unk>"
    )


def tiny_config(tokenizer):  # type: ignore[no-untyped-def]
    """A 2-layer Gemma 3 config for the char tokenizer."""
    from transformers import Gemma3TextConfig

    return Gemma3TextConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        max_position_embeddings=4096,
        sliding_window=64,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer Gemma 3 with the char tokenizer, saved as a local Hugging Face folder."""
    import torch
    from transformers import Gemma3ForCausalLM

    tokenizer = build_tiny_tokenizer()
    config = tiny_config(tokenizer)
    torch.manual_seed(0)
    model = Gemma3ForCausalLM(config)
    path = tmp_path_factory.mktemp("tiny-gemma3")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_rewriter(tiny_model_dir: Path):  # type: ignore[no-untyped-def]
    from winrewrite import RewriterConfig
    from winrewrite.rewriter import Rewriter

    return Rewriter.from_pretrained(base=tiny_model_dir, device="cpu", config=RewriterConfig(max_new_tokens=24, num_candidates=2))


@pytest.fixture(scope="session")
def real_rewriter():  # type: ignore[no-untyped-def]
    """The embedded Gemma 3 270M with the shipped adapter (converted once into the user cache)."""
    from winrewrite.rewriter import Rewriter

    return Rewriter.from_pretrained(device="cpu")
