"""The training recipe on a tiny random model, and the adapter shipped in the package."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from finetune.augment import swap_figures  # noqa: E402
from finetune.category_head import features_of, fit  # noqa: E402
from finetune.split import split  # noqa: E402
from finetune.train import HeadColumns, TrainConfig, _batches, build_records, completion_loss, train  # noqa: E402
from winrewrite.categories import Category  # noqa: E402
from winrewrite.data import load_examples  # noqa: E402
from winrewrite.guard import check  # noqa: E402
from winrewrite.head import HEAD_FILE, SUBCATEGORIES, CategoryHead  # noqa: E402
from winrewrite.rewriter import ADAPTER_WEIGHTS, SHIPPED_ADAPTER, Rewriter, read_head, verify_adapter  # noqa: E402

EXAMPLES = load_examples(ROOT / "data" / "examples.jsonl")


def test_split_is_by_example_fixed_and_covers_every_category() -> None:
    train_a, held_a = split(EXAMPLES)
    train_b, held_b = split(EXAMPLES)
    assert [e.id for e in held_a] == [e.id for e in held_b]
    assert not {e.id for e in train_a} & {e.id for e in held_a}
    for c in Category:
        assert sum(e.category == c for e in held_a) >= 2


def test_figure_swap_is_consistent_and_faithful() -> None:
    rng = random.Random(0)
    swapped = 0
    for ex in EXAMPLES:
        for n in ex.notes:
            out = swap_figures(n.text, ex.statement, rng)
            if out:
                swapped += 1
                notes, statement = out
                assert statement != ex.statement
                assert not [p for p in check(notes, statement) if "figure" in p], (notes, statement)
    assert swapped > 250


def test_batches_hold_every_sequence_once_and_group_similar_lengths() -> None:
    from datasets import Dataset

    rng = random.Random(1)
    lengths = [rng.randint(3, 200) for _ in range(300)]
    records = Dataset.from_list([{"input_ids": [7] * n, "loss_mask": [1] * n} for n in lengths])
    seen, padded = [], 0
    for ids, attention, _mask in _batches(records, 4, 0, random.Random(0), "cpu"):
        seen += attention.sum(1).tolist()
        padded += ids.numel()
    assert sorted(seen) == sorted(lengths)  # every sequence exactly once, none cut
    assert padded < 1.1 * sum(lengths)  # random batches of 4 would pad about 40% more


def test_a_statement_that_adds_too_much_to_its_notes_teaches_its_labels_only(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    from winrewrite.assess import unsaid_words

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    examples = EXAMPLES[:6]
    every = build_records(examples, tokenizer, 0, random.Random(0))
    grounded = build_records(examples, tokenizer, 0, random.Random(0), max_unsaid=3)
    pairs = [p for e in examples for p in [(n.text, e.statement) for n in e.notes] + [(e.vague_notes, e.vague_statement)]]
    assert len(every) == len(grounded) == len(pairs)
    for (notes, statement), a, b in zip(pairs, every, grounded, strict=True):
        assert b["learn"] == (a["learn"] and len(unsaid_words(notes, statement)) < 3)
        assert a["input_ids"] == b["input_ids"]
    assert sum(every["learn"]) > sum(grounded["learn"]) > 0


def test_two_steps_on_a_tiny_model_then_reload_and_generate(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = train(
        TrainConfig(base=str(tiny_model_dir), output=str(tmp_path / "adapter"), max_steps=2, batch_size=2, rank=4, alpha=8)
    )
    assert (out / ADAPTER_WEIGHTS).exists()
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2] and all(r["loss"] > 0 for r in log)
    summary = json.loads((out / "train_config.json").read_text())
    assert summary["steps"] == 2 and len(summary["held_out_ids"]) == 12
    verify_adapter(out)
    s = Rewriter.from_pretrained(base=tiny_model_dir, adapter=out, device="cpu").rewrite("cut p99 340ms -> 62ms")
    assert s.category in set(Category)


def test_a_step_in_bf16_over_the_statement_head(tiny_model_dir: Path, tmp_path: Path) -> None:
    base, out = str(tiny_model_dir), str(tmp_path / "a")
    config = TrainConfig(base=base, output=out, max_steps=1, batch_size=2, rank=4, dtype="bfloat16", statement_head=True)
    summary = json.loads((train(config) / "train_config.json").read_text())
    assert summary["dtype"] == "bfloat16" and 0 < summary["head_columns"]


def test_the_loss_over_head_columns_is_the_softmax_over_those_columns(tiny_model_dir: Path) -> None:
    """Over every column it is the full loss; over some, the cross-entropy of the logits at those columns."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    vocab = model.get_output_embeddings().weight.shape[0]
    ids = torch.tensor([[5, 9, 12, 7, 30, 2]])
    mask = torch.tensor([[0, 0, 1, 1, 1, 1]])
    full = completion_loss(model, ids, torch.ones_like(ids), mask)
    assert torch.allclose(completion_loss(model, ids, torch.ones_like(ids), mask, HeadColumns(list(range(vocab)), vocab)), full)
    columns = HeadColumns([2, 7, 12, 30, 40, 41], vocab)
    logits = model(ids).logits[0, 1:5][:, columns.ids]
    expected = torch.nn.functional.cross_entropy(logits, columns.position[ids[0, 2:6]])
    assert torch.allclose(completion_loss(model, ids, torch.ones_like(ids), mask, columns), expected, atol=1e-5)


def test_a_tampered_adapter_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    from winrewrite.errors import ModelLoadError

    out = train(
        TrainConfig(base=str(tiny_model_dir), output=str(tmp_path / "adapter"), max_steps=1, batch_size=2, rank=4, alpha=8)
    )
    (out / "sha256.txt").write_text("0" * 64 + "  " + ADAPTER_WEIGHTS + "\n")
    with pytest.raises(ModelLoadError, match="sha256"):
        Rewriter.from_pretrained(base=tiny_model_dir, adapter=out, device="cpu")


def test_shipped_adapter_is_whole_and_its_card_matches_its_metrics() -> None:
    verify_adapter(SHIPPED_ADAPTER)
    metrics = json.loads((SHIPPED_ADAPTER / "metrics.json").read_text())
    table = (SHIPPED_ADAPTER / "metrics.md").read_text().strip()
    card = (SHIPPED_ADAPTER / "README.md").read_text()
    assert table in card and "Gemma Terms of Use" in card
    adapter = metrics["results"]["adapter"]
    for key in ("category_accuracy", "figure_recall", "fallback_rate", "form"):
        assert f"{adapter[key]:g}" in table
    config = json.loads((SHIPPED_ADAPTER / "train_config.json").read_text())
    assert sorted(config["held_out_ids"]) == sorted(e.id for e in split(EXAMPLES)[1])
    assert adapter["invented_figures"] == 0
    assert HEAD_FILE in (SHIPPED_ADAPTER / "sha256.txt").read_text()  # the head is checked at load too
    assert read_head(SHIPPED_ADAPTER) is not None


def test_a_fitted_category_head_chooses_the_category(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = train(
        TrainConfig(base=str(tiny_model_dir), output=str(tmp_path / "adapter"), max_steps=1, batch_size=2, rank=4, alpha=8)
    )
    rewriter = Rewriter.from_pretrained(base=tiny_model_dir, adapter=out, device="cpu")
    assert rewriter.category_head is None  # no head yet: the labels are scored as text
    examples = EXAMPLES[:12]
    features = features_of(rewriter, [e.notes[0].text for e in examples], layer=1)
    categories = torch.tensor([list(Category).index(e.category) for e in examples])
    subcategories = torch.tensor([SUBCATEGORIES.index(e.subcategory) for e in examples])
    fit(features, categories, subcategories, layer=1, weight_decay=0.01).save(out / HEAD_FILE)

    rewriter = Rewriter.from_pretrained(base=tiny_model_dir, adapter=out, device="cpu")
    assert rewriter.category_head is not None
    notes = "moved serving to triton, p99 340ms -> 62ms"
    expected, _ = rewriter.category_head(features_of(rewriter, [notes], layer=1))
    s = rewriter.rewrite(notes)
    assert s.category == list(Category)[int(expected.argmax())]
    assert s.subcategory in s.category.subcategories


def test_a_malformed_category_head_is_a_clear_error(tmp_path: Path) -> None:
    from winrewrite.errors import ModelLoadError

    assert read_head(tmp_path) is None
    (tmp_path / HEAD_FILE).write_bytes(b"not a safetensors file")
    with pytest.raises(ModelLoadError, match="malformed"):
        read_head(tmp_path)


def test_a_head_fitted_on_other_features_is_not_used(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from safetensors.torch import save_file

    head = CategoryHead.zeros(features=4, layer=1)
    head.save(tmp_path / HEAD_FILE)
    assert read_head(tmp_path) is not None
    tensors = {k: v for k, v in vars(head).items() if isinstance(v, torch.Tensor)}
    save_file(tensors, str(tmp_path / HEAD_FILE), metadata={"layer": "1"})  # as heads were saved before pooling was recorded
    with caplog.at_level("WARNING", logger="winrewrite"):
        assert read_head(tmp_path) is None
    assert "refit" in caplog.text and "finetune.category_head" in caplog.text
