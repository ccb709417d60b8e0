"""Fit the category head of an adapter on labelled training notes and store it beside the adapter.

    python -m finetune.category_head [adapter folder]

The features are the fine-tuned model's pooled hidden states (``winrewrite/head.py``). The notes come from
the training split of ``data/examples.jsonl`` (never the held-out examples), the extra examples the adapter
was trained on (its ``train_config.json``; ``data/extra_examples.jsonl`` when it names none) and the labelled
notes of ``data/category_notes*.jsonl``. The L2 weight is chosen by 4-fold cross-validation grouped by example,
on training notes only. The head's sha256 is added to the adapter's ``sha256.txt``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from pathlib import Path

import torch

from finetune.split import split
from winrewrite.categories import Category
from winrewrite.data import load_examples, load_labelled_notes
from winrewrite.head import HEAD_FILE, SUBCATEGORIES, CategoryHead
from winrewrite.prompt import prompt_ids
from winrewrite.rewriter import ADAPTER_WEIGHTS, SHIPPED_ADAPTER, Rewriter

logger = logging.getLogger("finetune.category_head")
WEIGHT_DECAYS = (0.1, 0.3, 1.0, 3.0)
FOLDS = 4


def training_notes(
    data: str = "data/examples.jsonl", extra: str = "data/extra_examples.jsonl", labelled: str = "data/category_notes*.jsonl"
) -> list[tuple[str, str, str, str]]:
    """(group, notes, category, subcategory) for every training note; the group is the example it tells."""
    train, _ = split(load_examples(data))
    for path in sorted(Path(extra).parent.glob(Path(extra).name)):
        train += load_examples(path)
    rows = [(e.id, text, e.category.value, e.subcategory) for e in train for text in [*(n.text for n in e.notes), e.vague_notes]]
    for path in sorted(Path(labelled).parent.glob(Path(labelled).name)):
        rows += [(n.id, n.notes, n.category.value, n.subcategory) for n in load_labelled_notes(path)]
    return rows


def features_of(rewriter: Rewriter, notes: list[str], layer: int, batch: int = 8) -> torch.Tensor:
    """Pooled features of ``notes``, computed by the Rewriter exactly as at inference."""
    with torch.inference_mode():
        return torch.cat(
            [
                rewriter.features([prompt_ids(rewriter.tokenizer, n) for n in notes[i : i + batch]], layer)
                for i in range(0, len(notes), batch)
            ]
        )


def logistic_regression(
    x: torch.Tensor, labels: torch.Tensor, classes: int, weight_decay: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weight and bias of an L2-regularised softmax regression, by full-batch L-BFGS."""
    weight = torch.zeros(x.shape[1], classes, requires_grad=True)
    bias = torch.zeros(classes, requires_grad=True)
    opt = torch.optim.LBFGS([weight, bias], max_iter=500, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ weight + bias, labels) + weight_decay * (weight**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return weight.detach(), bias.detach()


def fit(
    features: torch.Tensor, categories: torch.Tensor, subcategories: torch.Tensor, layer: int, weight_decay: float
) -> CategoryHead:
    """Both classifiers of a head, on standardised features."""
    head = CategoryHead.zeros(features.shape[1], layer)
    head.mean, head.scale = features.mean(0), features.std(0) + 1e-6
    x = (features - head.mean) / head.scale
    head.category_weight, head.category_bias = logistic_regression(x, categories, len(Category), weight_decay)
    head.subcategory_weight, head.subcategory_bias = logistic_regression(x, subcategories, len(SUBCATEGORIES), weight_decay)
    return head


def cross_validate(
    features: torch.Tensor, categories: torch.Tensor, subcategories: torch.Tensor, groups: list[str]
) -> tuple[float, float]:
    """The weight decay with the best grouped cross-validated category accuracy, and that accuracy."""
    names = sorted(set(groups))
    fold_of = {g: i % FOLDS for i, g in enumerate(names)}
    folds = torch.tensor([fold_of[g] for g in groups])
    best, best_accuracy = WEIGHT_DECAYS[0], -1.0
    for wd in WEIGHT_DECAYS:
        correct = 0
        for k in range(FOLDS):
            train, test = folds != k, folds == k
            head = fit(features[train], categories[train], subcategories[train], 0, wd)
            correct += int((head(features[test])[0].argmax(-1) == categories[test]).sum())
        accuracy = correct / len(groups)
        logger.info("weight decay %g: cross-validated category accuracy %.3f", wd, accuracy)
        if accuracy > best_accuracy:
            best, best_accuracy = wd, accuracy
    return best, best_accuracy


def fit_head(adapter: Path) -> Path:
    config = adapter / "train_config.json"
    extra = json.loads(config.read_text())["config"].get("extra") if config.exists() else None
    rows = training_notes(extra=extra or "data/extra_examples.jsonl")  # the notes of the examples the adapter learnt
    rewriter = Rewriter.from_pretrained(adapter=adapter)
    layer = len(rewriter.model.model.layers) // 2
    logger.info("features of %d training notes (middle layer %d)", len(rows), layer)
    features = features_of(rewriter, [r[1] for r in rows], layer)
    categories = torch.tensor([[c.value for c in Category].index(r[2]) for r in rows])
    subcategories = torch.tensor([SUBCATEGORIES.index(r[3]) for r in rows])
    wd, cv_accuracy = cross_validate(features, categories, subcategories, [r[0] for r in rows])
    head = fit(features, categories, subcategories, layer, wd)
    path = adapter / HEAD_FILE
    head.save(path)
    sums = {name: hashlib.sha256((adapter / name).read_bytes()).hexdigest() for name in (ADAPTER_WEIGHTS, HEAD_FILE)}
    (adapter / "sha256.txt").write_text("".join(f"{digest}  {name}\n" for name, digest in sums.items()))
    train_accuracy = float((head(features)[0].argmax(-1) == categories).float().mean())
    (adapter / "category_head.json").write_text(
        json.dumps(
            {
                "notes": len(rows),
                "layer": layer,
                "weight_decay": wd,
                "cv_accuracy": round(cv_accuracy, 4),
                "train_accuracy": round(train_accuracy, 4),
            },
            indent=1,
        )
    )
    logger.info("category head (weight decay %g, train accuracy %.3f) -> %s", wd, train_accuracy, path)
    return path


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    fit_head(Path(sys.argv[1]) if len(sys.argv) > 1 else SHIPPED_ADAPTER)
