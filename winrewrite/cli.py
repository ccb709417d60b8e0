"""Command line: ``winrewrite "notes"``, ``winrewrite --file notes.txt``, ``echo notes | winrewrite --json``."""

from __future__ import annotations

import argparse
import logging
import sys

from winrewrite.errors import WinRewriteError

logger = logging.getLogger("winrewrite")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="winrewrite", description="Turn raw notes about a win into an accomplishment statement.")
    p.add_argument("notes", nargs="?", help="the notes; omit to read --file or standard input")
    p.add_argument("-f", "--file", help="read the notes from this file")
    p.add_argument("--json", action="store_true", help="print the whole Statement as JSON")
    p.add_argument("--device", default="auto", help="'auto' (default), 'cpu' or 'cuda'")
    p.add_argument("--base", help="a local Hugging Face causal LM instead of the embedded model")
    p.add_argument("--adapter", help="a LoRA adapter folder written by finetune/train.py")
    p.add_argument(
        "-v", "--verbose", action="count", default=0, help="-v for progress logs, -vv for debug logs (they include the notes)"
    )
    return p


def _read_notes(args: argparse.Namespace) -> str:
    if args.notes is not None and args.file:
        raise WinRewriteError("give the notes as an argument or with --file, not both")
    if args.notes is not None:
        return str(args.notes)
    if args.file:
        try:
            with open(args.file, encoding="utf-8") as f:
                return f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise WinRewriteError(f"cannot read {args.file}: {e}") from e
    if sys.stdin.isatty():
        raise WinRewriteError("no notes given: pass them as an argument, with --file, or on standard input")
    return sys.stdin.read()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input or model error)."""
    args = _parser().parse_args(argv)
    level = logging.WARNING if args.verbose == 0 else logging.INFO if args.verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        notes = _read_notes(args)
        from winrewrite.config import RewriterConfig
        from winrewrite.notes import prepare_notes

        prepare_notes(notes, RewriterConfig().max_notes_chars)  # fail fast, before loading the model
        from winrewrite.rewriter import Rewriter

        rewriter = Rewriter.from_pretrained(base=args.base, adapter=args.adapter, device=args.device)
        statement = rewriter.rewrite(notes)
    except WinRewriteError as e:
        print(f"winrewrite: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(statement.model_dump_json(indent=2))
    else:
        print(statement.text)
        print(
            f"  [{statement.category.value} / {statement.subcategory} / {statement.strength}"
            + (", fallback]" if statement.source == "fallback" else "]")
        )
        for tip in statement.suggestions:
            print(f"  - {tip}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
