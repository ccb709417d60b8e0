"""Train the winrewrite LoRA adapter on data/examples.jsonl.

    python -m finetune.train                       # CPU or GPU, writes winrewrite/adapter/
    python -m finetune.train --max-steps 2 --output /tmp/a --base path/to/tiny-model   # smoke run

The config, a per-step training log and the held-out split are written next to the adapter.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import hashlib
import json
import logging
import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from datasets import Dataset
from tqdm.auto import tqdm

from finetune.augment import swap_figures
from finetune.split import SEED as SPLIT_SEED
from finetune.split import split
from winrewrite.assess import unsaid_words
from winrewrite.categories import Category
from winrewrite.data import Example, LabelledNotes, load_examples, load_labelled_notes
from winrewrite.guard import check
from winrewrite.prompt import category_label, encode, prompt_ids, statement_completion, subcategory_label

logger = logging.getLogger("finetune.train")
ADAPTER_WEIGHTS = "adapter_model.safetensors"


@dataclass
class TrainConfig:
    data: str = field(default="data/examples.jsonl", metadata={"help": "The seed examples (split into train and held-out)."})
    extra: str | None = field(
        default="data/extra_examples*.jsonl",
        metadata={
            "help": "More examples (glob), written for training only (never held out); empty string for none. "
            "The default takes data/extra_examples.jsonl and the workplace styles of data/extra_examples_2.jsonl."
        },
    )
    labelled: str | None = field(
        default="data/category_notes*.jsonl",
        metadata={"help": "Notes labelled with a category only (glob): taught as label-only sequences; empty for none."},
    )
    output: str = field(default="winrewrite/adapter", metadata={"help": "Folder for the adapter and its logs."})
    base: str | None = field(default=None, metadata={"help": "Local HF causal LM; default: the embedded Gemma 3 270M."})
    rank: int = field(default=16, metadata={"help": "LoRA rank."})
    alpha: int = field(default=32, metadata={"help": "LoRA alpha."})
    dropout: float = field(default=0.05, metadata={"help": "LoRA dropout."})
    lr: float = field(default=3e-4, metadata={"help": "Peak learning rate (linear warm-up, cosine decay)."})
    epochs: float = field(
        default=0.55,
        metadata={"help": "Passes over the training records (under 1: each sequence at most once; 0.55 fits in 28 minutes)."},
    )
    batch_size: int = field(default=8, metadata={"help": "Sequences per optimizer step."})
    swaps: int = field(default=1, metadata={"help": "Figure-swapped copies per notes version."})
    max_unsaid: int = field(
        default=3,
        metadata={
            "help": "A statement that adds this many words or more that its notes do not say (assess.unsaid_words) "
            "teaches its labels only, so the model does not learn to embellish; 0 learns every faithful one."
        },
    )
    seed: int = field(default=0, metadata={"help": "Seed for shuffling, augmentation and LoRA init."})
    split_seed: int = field(default=SPLIT_SEED, metadata={"help": "Seed of the held-out split."})
    max_minutes: float = field(default=28.0, metadata={"help": "Stop (and save) after this many minutes."})
    max_steps: int | None = field(default=None, metadata={"help": "Stop after this many steps."})
    device: str = field(default="auto", metadata={"help": "'auto', 'cpu' or 'cuda'."})
    dtype: str = field(
        default="auto",
        metadata={
            "help": "The base model's weights: 'auto' (bf16 on a GPU, fp32 on a CPU), 'float32' or 'bfloat16' (on a CPU "
            "with AMX or AVX512-BF16 about 1.5x faster steps; the LoRA weights stay fp32)."
        },
    )
    statement_head: bool = field(
        default=False,
        metadata={
            "help": "Softmax over the statement vocabulary and the tokens the records learn (about 72k columns), as "
            "decoding reads them, instead of all 262k: less work in the head. Off by default: the shipped adapter was "
            "trained over the whole vocabulary."
        },
    )
    progress: bool = field(default=True, metadata={"help": "Show a progress bar."})

    def __post_init__(self) -> None:
        if self.rank < 1 or self.batch_size < 1 or self.epochs <= 0:
            raise ValueError("rank, batch_size and epochs must be positive")


def build_records(
    examples: list[Example],
    tokenizer: object,
    swaps: int,
    rng: random.Random,
    labelled: list[LabelledNotes] | None = None,
    max_unsaid: int = 0,
) -> Dataset:
    """A ``datasets.Dataset`` of token ids and loss masks: each notes version, its figure-swapped copies,
    the vague pair, and the ``labelled`` notes as label-only sequences. Loss falls on the completion only
    (labels and statement), never on the notes. A statement is learnt only from notes it is faithful to:
    where the library's own guard would reject it for those notes (a seed statement that opens with no
    action verb, or says something the notes do not give), the pair teaches its labels alone, and so does one
    whose statement adds ``max_unsaid`` words or more that the notes do not say (0: no such limit)."""

    def learn(notes: str, statement: str) -> bool:
        if check(notes, statement):
            return False
        return not max_unsaid or len(unsaid_words(notes, statement)) < max_unsaid

    pairs = []
    for ex in examples:
        base = {"category": ex.category.value, "subcategory": ex.subcategory}
        versions: list[tuple[str, str] | None] = []
        for n in ex.notes:
            versions += [(n.text, ex.statement)] + [swap_figures(n.text, ex.statement, rng) for _ in range(swaps)]
        for notes, statement in [*filter(None, versions), (ex.vague_notes, ex.vague_statement)]:
            pairs.append({**base, "notes": notes, "statement": statement, "learn": learn(notes, statement)})
    pairs += [
        {"category": n.category.value, "subcategory": n.subcategory, "notes": n.notes, "statement": "", "learn": False}
        for n in labelled or []
    ]
    eos = tokenizer.eos_token_id  # type: ignore[attr-defined]

    def tokenize(row: dict[str, Any]) -> dict[str, list[int]]:
        prompt = prompt_ids(tokenizer, row["notes"])
        labels = encode(tokenizer, category_label(Category(row["category"])) + subcategory_label(row["subcategory"]))
        text = encode(tokenizer, statement_completion(row["statement"])) + [eos] if row["statement"] else []
        return {
            "input_ids": prompt + labels + text,
            "loss_mask": [0] * len(prompt) + [1] * len(labels) + [int(row["learn"])] * len(text),
        }

    dataset = Dataset.from_list(pairs)
    return dataset.map(tokenize, remove_columns=[c for c in dataset.column_names if c != "learn"])


class HeadColumns:
    """The vocabulary ids the training softmax runs over (``ids``), and each vocabulary id's place among them
    (``position``, -1 outside)."""

    def __init__(self, ids: list[int], vocab: int) -> None:
        self.ids = torch.tensor(sorted(set(ids)), dtype=torch.long)
        self.position = torch.full((vocab,), -1, dtype=torch.long)
        self.position[self.ids] = torch.arange(len(self.ids))

    @classmethod
    def for_records(cls, tokenizer: Any, records: Dataset, vocab: int) -> HeadColumns:
        """The statement vocabulary that decoding reads (:func:`~winrewrite.fastpath.head_vocabulary`) and every
        token the records learn (a name from the notes, a label)."""
        from winrewrite.fastpath import head_vocabulary

        rows = zip(records["input_ids"], records["loss_mask"], strict=True)
        learnt = {t for ids, mask in rows for t, m in zip(ids, mask, strict=True) if m}
        return cls([*head_vocabulary(tokenizer), *learnt], vocab)


def completion_loss(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    loss_mask: torch.Tensor,
    columns: HeadColumns | None = None,
) -> torch.Tensor:
    """Cross-entropy on the completion tokens, with the vocabulary head applied only at those positions:
    with 262,144 tokens the head costs more than the rest of the model. With ``columns``, the softmax runs
    over those vocabulary ids only (each target must be one of them)."""
    causal_lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    hidden = causal_lm.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    targets = input_ids[:, 1:]
    keep = loss_mask[:, 1:].bool()
    if columns is None:
        logits = causal_lm.lm_head(hidden[:, :-1][keep])
        return torch.nn.functional.cross_entropy(logits.float(), targets[keep])
    weight = causal_lm.lm_head.weight.index_select(0, columns.ids.to(hidden.device))
    logits = hidden[:, :-1][keep] @ weight.T
    return torch.nn.functional.cross_entropy(logits.float(), columns.position.to(hidden.device)[targets[keep]])


def choose_dtype(setting: str, device: str) -> torch.dtype:
    """The base weights' dtype for ``TrainConfig.dtype``."""
    if setting == "auto":
        return torch.bfloat16 if device == "cuda" else torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16}[setting]


def _batches(records: Dataset, size: int, pad: int, rng: random.Random, device: str):  # type: ignore[no-untyped-def]
    """Shuffled batches of sequences of similar length: each pool of 16 batches is sorted by length before it
    is cut, so a batch pads little (long 'context' notes and one-line notes rarely share one)."""
    order = list(range(len(records)))
    rng.shuffle(order)
    lengths = [len(ids) for ids in records["input_ids"]]
    pool = size * 16
    batches = []
    for p in range(0, len(order), pool):
        ranked = sorted(order[p : p + pool], key=lengths.__getitem__)
        batches += [ranked[i : i + size] for i in range(0, len(ranked), size)]
    rng.shuffle(batches)
    for batch in batches:
        chunk = [records[j] for j in batch]
        width = max(lengths[j] for j in batch)
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        attn = torch.zeros((len(chunk), width), dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, r in enumerate(chunk):
            n = len(r["input_ids"])
            ids[row, :n] = torch.tensor(r["input_ids"])
            attn[row, :n] = 1
            mask[row, :n] = torch.tensor(r["loss_mask"])
        yield ids.to(device), attn.to(device), mask.to(device)


def shrink_to_bf16(path: Path) -> None:
    """Store the LoRA weights in bf16: half the size in the package, no measurable change once merged."""
    from safetensors.torch import load_file, save_file

    tensors = {k: v.to(torch.bfloat16) for k, v in load_file(str(path)).items()}
    save_file(tensors, str(path), metadata={"format": "pt"})


def train(config: TrainConfig) -> Path:
    """Train, save the adapter with its config, log and checksum, and return its folder."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from winrewrite.embedded import default_model_path

    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if config.device == "auto" else config.device
    dtype = choose_dtype(config.dtype, device)
    base = config.base or str(default_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype).to(device)
    lora = LoraConfig(
        r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout, target_modules="all-linear", task_type="CAUSAL_LM"
    )
    model = get_peft_model(model, lora)

    examples = load_examples(config.data)
    train_examples, held_out = split(examples, seed=config.split_seed)
    seed_train = len(train_examples)
    if config.extra:
        train_examples += [e for path in sorted(glob.glob(config.extra)) for e in load_examples(path)]
    labelled = [n for path in sorted(glob.glob(config.labelled)) for n in load_labelled_notes(path)] if config.labelled else []
    records = build_records(train_examples, tokenizer, config.swaps, rng, labelled, config.max_unsaid)
    vocab = model.get_output_embeddings().weight.shape[0]
    columns = HeadColumns.for_records(tokenizer, records, vocab) if config.statement_head else None
    steps_per_epoch = math.ceil(len(records) / config.batch_size)
    total = max(1, round(steps_per_epoch * config.epochs)) if config.max_steps is None else config.max_steps
    logger.info(
        "%d training examples and %d labelled notes -> %d sequences; %d held out; %d steps on %s",
        len(train_examples),
        len(labelled),
        len(records),
        len(held_out),
        total,
        device,
    )

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.0)
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: (s + 1) / warmup if s < warmup else 0.5 * (1 + math.cos(math.pi * (s - warmup) / max(1, total - warmup))),
    )
    out = Path(config.output)
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "train_log.jsonl"
    start, step = time.time(), 0
    model.train()
    with open(log_path, "w") as log, tqdm(total=total, desc="training", unit="step", disable=not config.progress) as bar:
        while step < total:
            for ids, attn, mask in _batches(records, config.batch_size, tokenizer.pad_token_id, rng, device):
                loss = completion_loss(model, ids, attn, mask, columns)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                elapsed = time.time() - start
                log.write(
                    json.dumps(
                        {
                            "step": step,
                            "loss": round(loss.item(), 4),
                            "lr": schedule.get_last_lr()[0],
                            "elapsed_s": round(elapsed, 1),
                        }
                    )
                    + "\n"
                )
                log.flush()
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
                if step >= total or elapsed > config.max_minutes * 60:
                    break
            if time.time() - start > config.max_minutes * 60:
                logger.warning("Stopping at step %d of %d: the %.0f-minute budget is spent", step, total, config.max_minutes)
                break

    model.peft_config["default"].base_model_name_or_path = "embedded:gemma-3-270m" if config.base is None else config.base
    model.save_pretrained(out, safe_serialization=True)
    shrink_to_bf16(out / ADAPTER_WEIGHTS)
    digest = hashlib.sha256((out / ADAPTER_WEIGHTS).read_bytes()).hexdigest()
    (out / "sha256.txt").write_text(f"{digest}  {ADAPTER_WEIGHTS}\n")
    summary = {
        "config": dataclasses.asdict(config),
        "steps": step,
        "planned_steps": total,
        "sequences": len(records),
        "train_examples": len(train_examples),
        "seed_train_examples": seed_train,
        "extra_examples": len(train_examples) - seed_train,
        "extra_files": sorted(glob.glob(config.extra)) if config.extra else [],
        "notes_spelled_out": True,  # prompts hold the notes with their shorthand spelled out (winrewrite/shorthand.py)
        "labelled_notes": len(labelled),
        "statements_not_learnt": records["learn"].count(False) - len(labelled),  # the guard rejects them, or they add too much
        "held_out_ids": sorted(e.id for e in held_out),
        "train_minutes": round((time.time() - start) / 60, 2),
        "device": device,
        "dtype": str(dtype).removeprefix("torch."),
        "head_columns": None if columns is None else len(columns.ids),
        "torch_threads": torch.get_num_threads(),
        "categories": [c.value for c in Category],
    }
    (out / "train_config.json").write_text(json.dumps(summary, indent=1))
    logger.info("Saved adapter to %s after %d steps (%.1f min)", out, step, summary["train_minutes"])
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for f in dataclasses.fields(TrainConfig):
        kind = {"int": int, "float": float, "bool": lambda v: v.lower() in ("1", "true", "yes")}.get(
            str(f.type).split(" ")[0], str
        )
        parser.add_argument("--" + f.name.replace("_", "-"), type=kind, default=f.default, help=f.metadata.get("help"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    train(TrainConfig(**vars(args)))


if __name__ == "__main__":
    main()
