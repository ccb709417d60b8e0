"""Build the statement vocabulary that the CPU fast path's head keeps (winrewrite/statement_vocab.json).

    pip install wordfreq && python -m finetune.build_vocabulary

The tokens that spell the 40,000 most frequent English words (lower case with and without a leading space,
capitalized after a space), every token of the training data, every ASCII token of up to two characters
(so any word can still be spelled) and the punctuation tokens. At run time the notes' own tokens are added.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from winrewrite.embedded import default_model_path

logger = logging.getLogger("finetune.build_vocabulary")
OUT = Path(__file__).resolve().parents[1] / "winrewrite" / "statement_vocab.json"


def main() -> None:
    import wordfreq
    from transformers import AutoTokenizer

    from winrewrite.data import load_examples
    from winrewrite.fastpath import statement_vocabulary, vocabulary_fingerprint

    logging.basicConfig(level=logging.INFO)
    tokenizer = AutoTokenizer.from_pretrained(default_model_path())
    ascii_ids = statement_vocabulary(tokenizer)  # the ASCII filter: the upper bound
    strings = tokenizer.convert_ids_to_tokens(ascii_ids)
    keep = {i for i, s in zip(ascii_ids, strings, strict=False) if len(s.replace("▁", "")) <= 2}
    words = wordfreq.top_n_list("en", 40000)
    texts = [v for w in words for v in (w, " " + w, " " + w.capitalize())]
    root = Path(__file__).resolve().parents[1] / "data"
    for path in sorted(root.glob("*examples.jsonl")):
        for ex in load_examples(path):
            texts += [" " + t for t in [ex.statement, ex.vague_statement, ex.vague_notes] + [n.text for n in ex.notes]]
    for text in texts:
        keep.update(tokenizer(text, add_special_tokens=False)["input_ids"])
    keep &= set(ascii_ids)
    keep.update(i for i, s in zip(ascii_ids, strings, strict=False) if not s.replace("▁", "").isalnum())  # stops, punctuation
    ids = sorted(keep)
    OUT.write_text(json.dumps({"fingerprint": vocabulary_fingerprint(tokenizer), "ids": ids}, separators=(",", ":")))
    logger.info("kept %d of %d tokens -> %s (%d bytes)", len(ids), len(tokenizer), OUT, OUT.stat().st_size)


if __name__ == "__main__":
    main()
