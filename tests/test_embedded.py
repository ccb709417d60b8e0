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


def _converted_folder(folder: Path, kind: str, record: bool) -> dict[str, object]:
    """A converted-model folder as default_model_path leaves it, with a ``kind`` tokenizer (BPE or
    Unigram); ``record``: whether its marker already names the tokenizer's kind."""
    import torch
    from safetensors.torch import save_file

    from winrewrite.embedded import _FORMAT, _MARKER

    folder.mkdir(parents=True)
    save_file({"w": torch.zeros(2)}, str(folder / "model.safetensors"))
    model = {"type": "BPE", "vocab": {"a": 0}, "merges": []} if kind == "BPE" else {"type": "Unigram", "vocab": [["a", 0.0]]}
    (folder / "tokenizer.json").write_text(json.dumps({"version": "1.0", "model": model}))
    files = {p.name: p.stat().st_size for p in folder.iterdir()}
    marker: dict[str, object] = {"format": _FORMAT, "gguf_sha256": "abc", "files": files, "tensors": 1}
    if record:
        marker["tokenizer"] = kind
    (folder / _MARKER).write_text(json.dumps(marker))
    return marker


def test_a_cache_whose_tokenizer_is_not_gemmas_bpe_is_rebuilt(tmp_path: Path) -> None:
    """transformers before 5.18 wrote the GGUF's tokenizer as Unigram, which splits words otherwise: garbled
    statements. Such a cache is not complete, whatever its marker says."""
    from winrewrite.embedded import _is_complete

    _converted_folder(tmp_path / "old", "Unigram", record=False)
    assert not _is_complete(tmp_path / "old", "abc")
    _converted_folder(tmp_path / "recorded", "Unigram", record=True)
    assert not _is_complete(tmp_path / "recorded", "abc")
    _converted_folder(tmp_path / "good", "BPE", record=True)
    assert _is_complete(tmp_path / "good", "abc")


def test_an_older_marker_learns_its_tokenizer_kind_once(tmp_path: Path) -> None:
    from winrewrite.embedded import _MARKER, _is_complete

    folder = tmp_path / "model"
    marker = _converted_folder(folder, "BPE", record=False)
    assert _is_complete(folder, "abc")
    assert json.loads((folder / _MARKER).read_text()) == {**marker, "tokenizer": "BPE"}
    tokenizer = folder / "tokenizer.json"
    tokenizer.write_text(tokenizer.read_text().replace('"BPE"', '"XYZ"'))  # same size, not read again: the marker answers
    assert _is_complete(folder, "abc")
