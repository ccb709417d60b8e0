"""The CUDA path: bf16, batched ``rewrite_many`` with left padding, beam candidates in one batch.

Skipped without a CUDA device; run on a GPU machine with ``pytest -m gpu``."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

NOTES = [
    "swapped the ranking model's loss to lambdarank, ndcg@10 0.62->0.70, ctr +3.1% in the a/b",
    "- built 14 new session features from clickstream\n- auc 0.81 -> 0.84",
    "ran the onboarding for 5 new hires, wrote the ml style guide, everyone uses it now",
    "churn model targeting saved an est $2.1M ARR this year (retention campaign, holdout test)",
    "mentored two juniors through their first model launches",
    "p99 340ms->62ms after int8 + onnx",
]


def test_tiny_model_on_cuda_batches_like_one_by_one(tiny_model_dir) -> None:  # type: ignore[no-untyped-def]
    from winrewrite import RewriterConfig
    from winrewrite.rewriter import Rewriter

    rw = Rewriter.from_pretrained(base=tiny_model_dir, device="cuda", dtype="float32", config=RewriterConfig(max_new_tokens=16))
    assert rw.device.type == "cuda"
    batched = rw.rewrite_many(NOTES, batch_size=4, progress=False)
    for note, b in zip(NOTES, batched, strict=True):
        single = rw.rewrite(note)
        assert (b.text, b.category, b.subcategory, b.source) == (single.text, single.category, single.subcategory, single.source)


def test_real_model_on_cuda_is_faithful_in_a_batch() -> None:
    from winrewrite.figures import extract_figures, invented_figures, missing_figures
    from winrewrite.rewriter import Rewriter

    rw = Rewriter.from_pretrained(device="cuda")
    assert rw.device.type == "cuda" and next(rw.model.parameters()).dtype == torch.bfloat16
    statements = rw.rewrite_many(NOTES * 4, batch_size=24, progress=False)
    assert [s.notes for s in statements] == NOTES * 4  # order kept
    for s in statements:
        assert invented_figures(s.notes, s.text) == [] and missing_figures(extract_figures(s.notes), s.text) == []
    assert sum(s.source == "model" for s in statements) >= 18, [s.source for s in statements]
