"""Evaluate the adapter on the held-out examples through the full library pipeline, beside the base model.

    python -m finetune.evaluate                     # shipped adapter vs base; writes metrics + model card
    python -m finetune.evaluate --adapter runs/x --output runs/x

Every held-out notes version and vague version is rewritten by ``Rewriter`` exactly as users get it. The
category is also measured on ``data/category_eval.jsonl``: notes labelled with a category, written apart from
the training data and never trained on, many more than the held-out split has. The notes of
``data/fresh_notes.jsonl`` (many styles, hostile ones too, no reference statement, never trained on) are rewritten
as well, for the fallback rate, form and figures on notes unlike the training data.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import statistics
import time
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from finetune.metrics import chrf
from finetune.split import split
from winrewrite.assess import UNSAID_WORDS, unsaid_words
from winrewrite.config import RewriterConfig
from winrewrite.data import LabelledNotes, load_examples, load_labelled_notes
from winrewrite.figures import extract_figures, invented_figures, missing_figures
from winrewrite.guard import dropped_quantities, form_problems, quantity_words, signed_levels
from winrewrite.hedges import hedge_of, unhedged
from winrewrite.rewriter import SHIPPED_ADAPTER, Rewriter
from winrewrite.statement import Figure, Statement

logger = logging.getLogger("finetune.evaluate")
METRICS = [
    ("category_accuracy", "category accuracy", "≥ 0.85"),
    ("fresh_category_accuracy", "category accuracy on fresh labelled notes", ""),
    ("subcategory_accuracy", "subcategory accuracy", ""),
    ("invented_figures", "statements with an invented figure", "0"),
    ("figure_recall", "figure recall (in digits or words)", "≥ 0.98"),
    ("model_figure_recall", "figure recall of the model's own drafts", ""),
    ("form", "form (one sentence, verb first, 12-60 words)", "≥ 0.95"),
    ("fallback_rate", "fallback rate", "≤ 0.05"),
    ("hedges_kept", "hedged figures ('~45', 'under 2 min') kept hedged", ""),
    ("fresh_fallback_rate", "fallback rate on fresh notes in many styles", ""),
    ("fresh_form", "form on fresh notes in many styles", ""),
    ("fresh_figure_recall", "figure recall on fresh notes in many styles", ""),
    ("fresh_invented_figures", "fresh notes' statements with an invented figure", "0"),
    ("fresh_left_out_figures", "fresh notes' figures left out with a warning (in an instruction to the model)", ""),
    ("fresh_hedges_kept", "fresh notes' hedged figures ('~45', 'under 2 min') kept hedged", ""),
    ("unsaid_rate", "model statements with 3+ words the notes do not say", "lower"),
    ("fresh_unsaid_rate", "the same on fresh notes in many styles", "lower"),
    ("chrf", "chrF vs reference", "higher"),
    ("p50_seconds", "p50 seconds per statement (CPU)", ""),
]


def cases(data: str) -> list[dict[str, Any]]:
    """Held-out notes with their reference: every notes version, plus the vague version."""
    _, held_out = split(load_examples(data))
    out = []
    for ex in held_out:
        for n in ex.notes:
            out.append(
                {
                    "id": ex.id,
                    "style": n.style,
                    "notes": n.text,
                    "reference": ex.statement,
                    "category": ex.category.value,
                    "subcategory": ex.subcategory,
                }
            )
        out.append(
            {
                "id": ex.id,
                "style": "vague",
                "notes": ex.vague_notes,
                "reference": ex.vague_statement,
                "category": ex.category.value,
                "subcategory": ex.subcategory,
            }
        )
    return out


def _lost(notes: str, notes_figures: list[Figure], text: str) -> int:
    """How many of the notes' figures, in digits or in words, ``text`` does not state."""
    return len(missing_figures(notes_figures, text)) + len(dropped_quantities(notes, text))


def _facts(raw: str, s: Statement) -> dict[str, Any]:
    """What the evaluation reads off one statement for its notes: source, invented figures, figures kept, form.
    The figures are those of the notes it was written from (``s.notes``: the raw notes with an instruction to the
    model left out, with a warning); the figures of the raw notes that this left out are counted apart."""
    draft = s.text if s.source == "model" else ""
    notes = s.notes
    notes_figures = extract_figures(notes)
    total = len(notes_figures) + len(quantity_words(notes))  # in digits, and in words ('errors halved')
    words = len(s.text.split())
    return {
        "text": s.text,
        "source": s.source,
        "invented": invented_figures(notes, s.text),
        "figures": total,
        "kept": total - _lost(notes, notes_figures, s.text),
        "model_kept": total - _lost(notes, notes_figures, draft) if draft else 0,
        "form_ok": not form_problems(s.text, signed_levels=signed_levels(notes)) and 12 <= words <= 60,
        "unsaid": unsaid_words(notes, s.text) if s.source == "model" else [],
        "hedged": sum(hedge_of(notes, f) is not None for f in notes_figures),  # '~45 hrs', 'under 2 min'
        "unhedged": [f.text for f in unhedged(notes, s.text)],
        "left_out": [f.text for f in missing_figures(extract_figures(raw), notes)],
    }


def run(rewriter: Rewriter, items: list[dict[str, Any]], label: str) -> tuple[dict[str, float], list[dict[str, Any]]]:
    rows = []
    for item in tqdm(items, desc=label, unit="note"):
        start = time.perf_counter()
        s = rewriter.rewrite(item["notes"])
        seconds = time.perf_counter() - start
        rows.append(
            {
                **item,
                **_facts(item["notes"], s),
                "predicted_category": s.category.value,
                "predicted_subcategory": s.subcategory,
                "category_ok": s.category.value == item["category"],
                "subcategory_ok": s.subcategory == item["subcategory"],
                "chrf": chrf(s.text, item["reference"]),
                "seconds": seconds,
            }
        )
    n = len(rows)
    metrics = {
        "cases": n,
        "category_accuracy": sum(r["category_ok"] for r in rows) / n,
        "subcategory_accuracy": sum(r["subcategory_ok"] for r in rows) / n,
        **_statement_metrics(rows),
        "model_figure_recall": sum(r["model_kept"] for r in rows) / (sum(r["figures"] for r in rows) or 1),
        "chrf": statistics.mean(r["chrf"] for r in rows),
        "p50_seconds": statistics.median(r["seconds"] for r in rows),
    }
    return _rounded(metrics), rows


def fresh(rewriter: Rewriter, items: list[dict[str, Any]], label: str) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Fallback rate, form and figures on fresh notes without a reference statement (``data/fresh_notes.jsonl``)."""
    rows = [
        {"set": "fresh", **item, **_facts(item["notes"], rewriter.rewrite(item["notes"]))}
        for item in tqdm(items, desc=f"{label}, fresh notes", unit="note")
    ]
    return _rounded({f"fresh_{k}": v for k, v in _statement_metrics(rows).items()}), rows


def _statement_metrics(rows: list[dict[str, Any]]) -> dict[str, float]:
    """What any set of rewritten notes is measured by (rows of :func:`_facts`): invented figures, figure recall,
    form, fallback rate, hedged figures kept hedged, and the share of the model's statements that add
    :data:`UNSAID_WORDS` or more words the notes do not say (where it most often misstates them; the rewriter now
    rejects such candidates by default, ``RewriterConfig.max_unsaid_words``)."""
    n = len(rows) or 1
    written = [r for r in rows if r["source"] == "model"]
    return {
        "unsaid_rate": sum(len(r["unsaid"]) >= UNSAID_WORDS for r in written) / (len(written) or 1),
        "invented_figures": sum(bool(r["invented"]) for r in rows),
        "figure_recall": sum(r["kept"] for r in rows) / (sum(r["figures"] for r in rows) or 1),
        "form": sum(r["form_ok"] for r in rows) / n,
        "fallback_rate": sum(r["source"] == "fallback" for r in rows) / n,
        "left_out_figures": sum(len(r["left_out"]) for r in rows),
        "hedges_kept": 1 - sum(len(r["unhedged"]) for r in rows) / (sum(r["hedged"] for r in rows) or 1),
    }


def _rounded(metrics: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}


def category_accuracy(rewriter: Rewriter, notes: list[LabelledNotes]) -> float:
    """The share of ``notes`` whose category :meth:`Rewriter.classify` gets right."""
    predicted = rewriter.classify([n.notes for n in notes])
    return round(sum(c == n.category for (c, _), n in zip(predicted, notes, strict=True)) / len(notes), 4)


def markdown_table(results: dict[str, dict[str, float]]) -> str:
    names = list(results)
    lines = ["| metric | target | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for key, title, target in METRICS:
        lines.append(f"| {title} | {target} | " + " | ".join(f"{results[n][key]:g}" for n in names) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/examples.jsonl")
    parser.add_argument("--labelled", default="data/category_eval.jsonl", help="fresh notes labelled with a category")
    parser.add_argument("--fresh", default="data/fresh_notes.jsonl", help="fresh notes in many styles, no reference")
    parser.add_argument("--adapter", default=str(SHIPPED_ADAPTER))
    parser.add_argument("--output", default=str(SHIPPED_ADAPTER), help="folder for metrics.json, metrics.md and eval_rows.jsonl")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--skip-base", action="store_true", help="evaluate the adapter only")
    parser.add_argument("--base-every", type=int, default=3, help="the base model (slow) sees every Nth case")
    parser.add_argument("--fp32", action="store_true", help="also evaluate the adapter on the fp32 CPU path")
    parser.add_argument("--limit", type=int, default=None, help="evaluate the first N cases only (quick checks)")
    parser.add_argument("--num-candidates", type=int, default=None, help="RewriterConfig.num_candidates (beam width)")
    parser.add_argument("--greedy-first", action=argparse.BooleanOptionalAction, default=None, help="RewriterConfig.greedy_first")
    parser.add_argument("--min-token-log-prob", type=float, default=None, help="RewriterConfig.min_token_log_prob")
    parser.add_argument(
        "--int8-activations", action=argparse.BooleanOptionalAction, default=True, help="RewriterConfig.int8_activations"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    items = cases(args.data)[: args.limit]
    labelled = load_labelled_notes(args.labelled)[: args.limit]
    with open(args.fresh, encoding="utf-8") as f:
        fresh_items = [json.loads(line) for line in f if line.strip()][: args.limit]
    config = RewriterConfig()
    if args.num_candidates is not None:
        config = dataclasses.replace(config, num_candidates=args.num_candidates)
    config = dataclasses.replace(config, greedy_first=args.greedy_first, int8_activations=args.int8_activations)
    if args.min_token_log_prob is not None:
        config = dataclasses.replace(config, min_token_log_prob=args.min_token_log_prob)
    results: dict[str, dict[str, float]] = {}
    all_rows: dict[str, list[dict[str, Any]]] = {}
    fp32 = dataclasses.replace(config, fast_cpu=False)
    models: list[tuple[str, str | bool, RewriterConfig, int]] = [("adapter", args.adapter, config, 1)]
    if args.fp32:
        models.append(("adapter fp32", args.adapter, fp32, 1))
    if not args.skip_base:
        models.append((f"base (1 case in {args.base_every})", False, config, args.base_every))
    for name, adapter, cfg, every in models:
        rewriter = Rewriter.from_pretrained(adapter=adapter, device=args.device, config=cfg)  # type: ignore[arg-type]
        results[name], all_rows[name] = run(rewriter, items[::every], name)
        results[name]["fresh_category_accuracy"] = category_accuracy(rewriter, labelled[::every])
        fresh_results, fresh_rows = fresh(rewriter, fresh_items[::every], name)
        results[name].update(fresh_results)
        all_rows[name] += fresh_rows
        logger.info("%s: %s", name, json.dumps(results[name]))  # visible before the slower models finish
        del rewriter
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(
        json.dumps(
            {
                "held_out_cases": len(items),
                "fresh_labelled_notes": len(labelled),
                "fresh_notes": len(fresh_items),
                "config": vars(config),
                "results": results,
            },
            indent=1,
        )
    )
    (out / "metrics.md").write_text(markdown_table(results) + "\n")
    with open(out / "eval_rows.jsonl", "w") as f:
        for name, rows in all_rows.items():
            for r in rows:
                f.write(json.dumps({"model": name, **r}, ensure_ascii=False) + "\n")
    if (out / "train_config.json").exists():
        from finetune.card import write_card

        write_card(out)
    print(markdown_table(results))  # the table is the command's output


if __name__ == "__main__":
    main()
