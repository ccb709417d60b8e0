"""The embedded model's tokenizer file in compact form: the same tokenizer, written once, never for merges
that the compact form cannot spell."""

from __future__ import annotations

import json
import os
from pathlib import Path

from winrewrite.embedded import compact_tokenizer_file, load_tokenizer


def _bpe_folder(folder: Path, merges: list[tuple[str, str]]) -> Path:
    """A small BPE tokenizer with real merges, saved as a converted model folder would hold it."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    letters = list("abcdefghijklmnopqrstuvwxyz▁ ")
    vocab = {t: i for i, t in enumerate(["<pad>", "<eos>", "<bos>", "<unk>", *letters, *("".join(m) for m in merges)])}
    core = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>"))
    core.normalizer = normalizers.Replace(" ", "▁")
    core.pre_tokenizer = pre_tokenizers.Split("▁", behavior="merged_with_previous")
    core.decoder = decoders.Replace("▁", " ")
    folder.mkdir(parents=True, exist_ok=True)
    core.save(str(folder / "tokenizer.json"))
    settings = {"pad_token": "<pad>", "eos_token": "<eos>", "bos_token": "<bos>", "unk_token": "<unk>"}
    (folder / "tokenizer_config.json").write_text(json.dumps(settings))
    return folder


def test_compact_file_reads_as_the_original(tmp_path: Path) -> None:
    from transformers import PreTrainedTokenizerFast

    merges = [("t", "h"), ("th", "e"), ("▁", "c"), ("▁c", "a"), ("a", "t")]
    folder = _bpe_folder(tmp_path / "model", merges)
    compact = compact_tokenizer_file(folder)
    assert compact.name != "tokenizer.json"
    assert json.loads(compact.read_text())["model"]["merges"] == [f"{a} {b}" for a, b in merges]
    original = PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))
    ours = load_tokenizer(folder)
    for text in ["the cat", "a cathedral thethe", "zz  the", ""]:
        ids = original(text)["input_ids"]
        assert ours(text)["input_ids"] == ids  # type: ignore[operator]
        assert ours.decode(ids) == original.decode(ids)  # type: ignore[attr-defined]
    written = compact.stat().st_mtime_ns
    assert compact_tokenizer_file(folder) == compact and compact.stat().st_mtime_ns == written  # read, not rewritten
    source = folder / "tokenizer.json"
    os.utime(source, ns=(written + 10**9, written + 10**9))  # a newer original: the compact form is rebuilt
    assert compact_tokenizer_file(folder) == compact and compact.stat().st_mtime_ns > written


def test_merges_holding_a_space_keep_the_original_file(tmp_path: Path) -> None:
    folder = _bpe_folder(tmp_path / "model", [("a", " "), ("t", "h")])
    assert compact_tokenizer_file(folder) == folder / "tokenizer.json"
