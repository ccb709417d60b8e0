"""The category head: a linear classifier on the fine-tuned model's own reading of the notes.

Scoring the six category labels as text made the 270M model lean on surface words; a linear layer on
its hidden states, fitted on labelled training notes (``finetune/category_head.py``), reads the notes
better (held-out and fresh-note figures in ``adapter/README.md``). The features, standardised, are a middle
layer's hidden state averaged over the prompt tokens after the instruction, and the final hidden state at
the prompt's last token (``Category:``), which is what the model reads when it writes the label itself.
The head scores the six categories and, separately, the twelve subcategories; the subcategory is chosen
among the two of the chosen category.

>>> import torch
>>> head = CategoryHead.zeros(features=4, layer=1)
>>> cat, sub = head(torch.zeros(2, 4))
>>> tuple(cat.shape), tuple(sub.shape)
((2, 6), (2, 12))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from winrewrite.categories import Category

HEAD_FILE = "category_head.safetensors"
POOLING = "middle-mean+final-last"  # the features heads are fitted on now; a head fitted on others is not used
SUBCATEGORIES = [s for c in Category for s in c.subcategories]  # the head's subcategory order


@dataclass
class CategoryHead:
    """Two linear classifiers over pooled hidden states; ``layer`` is the middle layer's index."""

    mean: torch.Tensor  # [features]
    scale: torch.Tensor  # [features]
    category_weight: torch.Tensor  # [features, 6]
    category_bias: torch.Tensor  # [6]
    subcategory_weight: torch.Tensor  # [features, 12]
    subcategory_bias: torch.Tensor  # [12]
    layer: int

    @classmethod
    def zeros(cls, features: int, layer: int) -> CategoryHead:
        """An untrained head (every score 0), the starting point of fitting."""
        return cls(
            torch.zeros(features),
            torch.ones(features),
            torch.zeros(features, len(Category)),
            torch.zeros(len(Category)),
            torch.zeros(features, len(SUBCATEGORIES)),
            torch.zeros(len(SUBCATEGORIES)),
            layer,
        )

    def __call__(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Category logits [rows, 6] and subcategory logits [rows, 12] for pooled ``features``."""
        x = (features.float() - self.mean) / self.scale
        return x @ self.category_weight + self.category_bias, x @ self.subcategory_weight + self.subcategory_bias

    def save(self, path: Path) -> None:
        from safetensors.torch import save_file

        tensors = {k: v.contiguous() for k, v in vars(self).items() if isinstance(v, torch.Tensor)}
        save_file(tensors, str(path), metadata={"layer": str(self.layer), "pooling": POOLING})

    @classmethod
    def load(cls, path: Path) -> CategoryHead:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            tensors = {k: f.get_tensor(k).float() for k in f.keys()}  # noqa: SIM118 (safe_open is not a dict)
            layer = int((f.metadata() or {})["layer"])
        return cls(**tensors, layer=layer)

    @staticmethod
    def pooling(path: Path) -> str:
        """The features the head stored at ``path`` was fitted on (heads saved before this was recorded
        pooled the final and middle layers' means)."""
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            return (f.metadata() or {}).get("pooling", "final-mean+middle-mean")


def pooled_features(
    model: Any, ids: torch.Tensor, mask: torch.Tensor, skip: int, layer: int, use_cache: bool = False
) -> tuple[torch.Tensor, Any]:
    """Run left-padded prompts once and pool their hidden states: [rows, 2 * hidden] (``layer``'s mean,
    then the final layer's last position), and the key/value cache of the prompts when ``use_cache``
    (else None), from which the statement can be written.

    ``skip`` leading real tokens of each row (``<bos>`` and the instruction, the same in every prompt) are
    left out of the mean.
    """
    out = model.model(input_ids=ids, attention_mask=mask, output_hidden_states=True, use_cache=use_cache)
    real = mask.clone()
    starts = mask.shape[1] - mask.sum(1)  # first real position of each left-padded row
    for row, start in enumerate(starts.tolist()):
        real[row, start : start + skip] = 0
    weights = (real / real.sum(1, keepdim=True).clamp(min=1)).unsqueeze(-1).float()
    middle = (out.hidden_states[layer].float() * weights).sum(1)
    last = out.last_hidden_state[:, -1].float()  # left padding: every row's last position is its own
    return torch.cat([middle, last], dim=-1), out.cache if use_cache else None
