"""The embedded model's tokenizer, on the ``tokenizers`` library alone.

transformers' tokenizer classes are a heavy import (about 0.5 s of a cold start) around the same Rust
tokenizer. The rewriter needs only a few of their methods; :class:`Tokenizer` gives those, with the same
results (``tests/test_integration.py`` compares it with ``AutoTokenizer`` on the real model).

>>> from tokenizers import Tokenizer as Core, models
>>> core = Core(models.WordLevel({"<unk>": 0, "<eos>": 1, "hi": 2}, unk_token="<unk>"))
>>> tokenizer = Tokenizer(core, {"eos_token": "<eos>", "unk_token": "<unk>"})
>>> tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids(["hi", "missing"])
(1, [2, 0])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


class Tokenizer:
    """A ``tokenizers.Tokenizer`` with the special tokens of its ``tokenizer_config.json`` and the methods the
    rewriter calls on a transformers tokenizer (same names, same results)."""

    def __init__(self, core: Any, specials: dict[str, str], source: Path | None = None) -> None:
        self.core = core
        self.specials = specials
        self.source = source  # the file it was read from: the constraint keeps its vocabulary scan beside it
        for name, token in specials.items():
            setattr(self, name, token)
        self.unk_token_id = self._id(specials.get("unk_token"))
        self.bos_token_id = self._id(specials.get("bos_token"))
        self.eos_token_id = self._id(specials.get("eos_token"))
        self.pad_token_id = self._id(specials.get("pad_token"))

    @classmethod
    def from_file(cls, path: Path, specials: dict[str, str]) -> Tokenizer:
        from tokenizers import Tokenizer as Core

        return cls(Core.from_file(str(path)), specials, source=path)

    def _id(self, token: str | None) -> int | None:
        return None if token is None else self.core.token_to_id(token)

    def __len__(self) -> int:
        return int(self.core.get_vocab_size(with_added_tokens=True))

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        encoding = self.core.encode(text, add_special_tokens=add_special_tokens)
        return {"input_ids": encoding.ids, "attention_mask": encoding.attention_mask}

    def convert_ids_to_tokens(self, ids: Sequence[int]) -> list[str | None]:
        return [self.core.id_to_token(i) for i in ids]

    def convert_tokens_to_ids(self, tokens: str | Sequence[str]) -> Any:
        """The id of each token (the unknown token's id for one not in the vocabulary); one id for one token."""
        if isinstance(tokens, str):
            found = self.core.token_to_id(tokens)
            return self.unk_token_id if found is None else found
        return [self.convert_tokens_to_ids(t) for t in tokens]

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        return str(self.core.decode(list(ids), skip_special_tokens=skip_special_tokens))

    def __repr__(self) -> str:
        return f"Tokenizer({len(self)} tokens)"
