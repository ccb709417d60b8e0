"""Measure the adapter's category prior on training notes and store it beside the adapter.

    python -m finetune.calibrate [adapter folder]

A small model fine-tuned on few examples leans towards some categories whatever the notes say. The mean
log-probability of each category label over training notes (never held-out ones) estimates that lean;
the Rewriter subtracts it before choosing (prior correction). On this project's data it raised category
accuracy on the held-out seed notes from 0.43 to 0.50 and on 48 independently written notes from 0.69 to 0.75.
"""

from __future__ import annotations

import json
import logging
import random
import sys
from pathlib import Path

import torch

from finetune.split import split
from winrewrite.categories import Category
from winrewrite.data import load_examples
from winrewrite.prompt import prompt_ids
from winrewrite.rewriter import CATEGORY_PRIOR, SHIPPED_ADAPTER, Rewriter

logger = logging.getLogger("finetune.calibrate")


def calibrate(adapter: Path, data: str = "data/examples.jsonl", extra: str = "data/extra_examples.jsonl", n: int = 240) -> Path:
    train, _ = split(load_examples(data))
    if Path(extra).exists():
        train += load_examples(extra)
    notes = [v.text for e in train for v in e.notes]
    random.Random(0).shuffle(notes)
    notes = notes[:n]
    rewriter = Rewriter.from_pretrained(adapter=adapter, device="cpu")
    rewriter.category_prior = None  # measure the raw lean
    labels = [[rewriter._labels[c] for c in Category]]
    with torch.inference_mode():
        scores = torch.cat(
            [
                rewriter._score([prompt_ids(rewriter.tokenizer, x) for x in notes[i : i + 8]], labels * len(notes[i : i + 8]))
                for i in range(0, len(notes), 8)
            ]
        )
    prior = scores.mean(0)
    path = adapter / CATEGORY_PRIOR
    path.write_text(
        json.dumps(
            {"categories": [c.value for c in Category], "log_prior": [round(x, 4) for x in prior.tolist()], "notes": len(notes)},
            indent=1,
        )
    )
    logger.info("category prior %s -> %s", [round(x, 2) for x in prior.tolist()], path)
    return path


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    calibrate(Path(sys.argv[1]) if len(sys.argv) > 1 else SHIPPED_ADAPTER)
