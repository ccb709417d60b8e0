"""The main class: a fine-tuned model that turns raw notes into a :class:`~winrewrite.Statement`."""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from winrewrite.assess import assess_strength, suggestions_for
from winrewrite.categories import Category
from winrewrite.composer import compose
from winrewrite.config import RewriterConfig
from winrewrite.errors import DeviceError, InvalidNotesError, ModelLoadError
from winrewrite.figures import extract_figures
from winrewrite.guard import check
from winrewrite.notes import prepare_notes
from winrewrite.prompt import category_label, encode, prompt_ids, subcategory_label
from winrewrite.statement import Statement, Statements

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

SHIPPED_ADAPTER = Path(__file__).parent / "adapter"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


def resolve_device(device: str = "auto") -> str:
    """'auto' picks CUDA when present, else the CPU; an explicit device must exist."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    kind = device.split(":")[0]
    if kind == "cuda" and not torch.cuda.is_available():
        raise DeviceError(f"device {device!r} was asked for, but CUDA is not available on this machine")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(f"device {device!r} was asked for, but MPS is not available on this machine")
    if kind not in ("cpu", "cuda", "mps"):
        raise DeviceError(f"unknown device {device!r}: use 'auto', 'cpu', 'cuda' or 'cuda:N'")
    return device


def verify_adapter(path: Path) -> None:
    """Check the adapter weights against the ``sha256.txt`` beside them."""
    sums = path / "sha256.txt"
    if not sums.exists():
        return
    expected = sums.read_text().split()[0]
    actual = hashlib.sha256((path / ADAPTER_WEIGHTS).read_bytes()).hexdigest()
    if actual != expected:
        raise ModelLoadError(f"adapter weights in {path} do not match sha256.txt ({actual[:12]} != {expected[:12]})")


class Rewriter:
    """Turns raw notes about a win into one categorized, quantified accomplishment statement.

    The fine-tuned model scores the six categories and the two subcategories of the winner, then
    writes the statement under a figure constraint; a guard checks it; if the greedy draft fails,
    beam candidates are tried; only if none passes does the deterministic composer write it
    (``source="fallback"``).

    >>> rw = Rewriter.from_pretrained()  # embedded Gemma 3 270M with the shipped adapter
    >>> s = rw("cut p99 340ms->62ms w/ int8 + onnx")
    >>> s.category.value, "340ms" in s.text
    ('model_performance', True)
    """

    def __init__(self, model: Any, tokenizer: Any, config: RewriterConfig | None = None, *, name: str = "") -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.config = config or RewriterConfig()
        self.name = name
        self._lock = threading.RLock()  # one model, many threads: calls take turns
        self._stop_ids = {tokenizer.eos_token_id, *tokenizer.convert_tokens_to_ids(["\n", "<end_of_turn>"])} - {None}
        self._labels = {c: encode(tokenizer, category_label(c)) for c in Category}
        self._sublabels = {s: encode(tokenizer, subcategory_label(s)) for c in Category for s in c.subcategories}
        if self.config.threads:
            import torch

            torch.set_num_threads(self.config.threads)
        self._fast_head = None
        self.last_timings: dict[str, float] = {}  # seconds per stage of the latest call, and tokens decoded
        if self.config.fast_cpu and self.device.type == "cpu" and hasattr(model, "lm_head") and hasattr(model.model, "layers"):
            from winrewrite.fastpath import make_fast

            self._fast_head = make_fast(self.model, tokenizer)

    @classmethod
    def from_pretrained(
        cls,
        base: str | Path | None = None,
        adapter: str | Path | None | Literal[False] = None,
        device: str = "auto",
        dtype: str | torch.dtype | None = None,
        config: RewriterConfig | None = None,
    ) -> Rewriter:
        """Load a base model and LoRA adapter.

        Args:
            base: a local Hugging Face causal LM folder, or a Hub id (fetched only because you passed it).
                ``None`` uses the embedded Gemma 3 270M, converted once into the user cache.
            adapter: a folder written by ``finetune/train.py``. ``None`` uses the adapter shipped in the
                package when ``base`` is the default; ``False`` uses no adapter.
            device: ``"auto"`` (CUDA in bf16 if present, else the CPU in fp32), ``"cpu"``, ``"cuda"``, ...
            dtype: ``"float32"``, ``"bfloat16"``, ``"float16"`` or a ``torch.dtype``; default by device.
        """
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        device = resolve_device(device)
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype, None)
            if not isinstance(dtype, torch.dtype):
                raise ModelLoadError("dtype must be 'float32', 'bfloat16', 'float16' or a torch.dtype")
        dtype = dtype or (torch.bfloat16 if device.startswith("cuda") else torch.float32)
        if base is None:
            from winrewrite.embedded import default_model_path

            base_path: str | Path = default_model_path()
            if adapter is None:
                adapter = SHIPPED_ADAPTER if (SHIPPED_ADAPTER / ADAPTER_WEIGHTS).exists() else False
                if adapter is False:
                    logger.warning("No adapter is shipped in %s; using the base model alone", SHIPPED_ADAPTER)
        else:
            base_path = base
            if adapter is None:
                adapter = False
        try:
            tokenizer = AutoTokenizer.from_pretrained(base_path)
            model = AutoModelForCausalLM.from_pretrained(base_path, dtype=dtype)
        except (OSError, ValueError) as e:
            raise ModelLoadError(f"could not load the base model from {base_path}: {e}") from e
        name = Path(str(base_path)).name
        if adapter is not False:
            model = cls._merge_adapter(model, Path(adapter))  # type: ignore[arg-type]
            name += f" + {Path(adapter).name}"  # type: ignore[arg-type]
        return cls(model.to(device), tokenizer, config, name=name)  # type: ignore[arg-type]

    @staticmethod
    def _merge_adapter(model: Any, path: Path) -> Any:
        from peft import PeftModel

        if not (path / ADAPTER_WEIGHTS).exists():
            raise ModelLoadError(f"no adapter at {path} (expected {ADAPTER_WEIGHTS})")
        verify_adapter(path)
        try:
            # Merged once at load: inference then costs the same as the base model.
            return PeftModel.from_pretrained(model, str(path)).merge_and_unload()  # type: ignore[arg-type]
        except (OSError, ValueError, RuntimeError) as e:
            raise ModelLoadError(f"could not apply the adapter in {path}: {e}") from e

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device  # type: ignore[no-any-return]

    def to(self, device: str) -> Rewriter:
        """Move the model to ``device`` (bf16 on CUDA, fp32 on the CPU) and return self."""
        import torch

        device = resolve_device(device)
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        if self._fast_head is not None and device != "cpu":
            raise DeviceError("this Rewriter runs the int8 CPU fast path; load it again with from_pretrained(device=...)")
        with self._lock:
            self.model.to(device=device, dtype=dtype)
        return self

    @overload
    def __call__(self, notes: str) -> Statement: ...
    @overload
    def __call__(self, notes: list[str]) -> Statements: ...
    def __call__(self, notes: str | list[str]) -> Statement | Statements:
        """Rewrite one note, or a list of notes."""
        if isinstance(notes, list):
            return self.rewrite_many(notes)
        return self.rewrite(notes)

    def rewrite_many(self, notes: list[str], batch_size: int = 8, progress: bool = True) -> Statements:
        """Rewrite each of ``notes`` in order, with a progress bar unless ``progress=False``.

        Every note is checked before any model work starts, so a bad one fails fast.
        """
        from tqdm.auto import tqdm

        if not isinstance(notes, (list, tuple)):
            raise InvalidNotesError(f"rewrite_many takes a list of str, not {type(notes).__name__}")
        if batch_size < 1:
            raise InvalidNotesError("batch_size must be at least 1")
        prepared = [prepare_notes(n, self.config.max_notes_chars) for n in notes]
        out = Statements()
        for text, warnings in tqdm(prepared, desc="rewriting", unit="note", disable=not progress):
            with self._lock:
                out.append(self._rewrite(text, warnings))
        return out

    def rewrite(self, notes: str) -> Statement:
        """Rewrite one note into a :class:`Statement`."""
        text_notes, warnings = prepare_notes(notes, self.config.max_notes_chars)
        with self._lock:
            return self._rewrite(text_notes, warnings)

    # -- the pipeline ---------------------------------------------------------------------------

    def _rewrite(self, notes: str, warnings: list[str]) -> Statement:
        import torch

        t0 = time.perf_counter()
        with torch.inference_mode():
            prompt = prompt_ids(self.tokenizer, notes)
            if self._fast_head is not None:
                self._fast_head.set_extra(prompt)  # names from the notes may be copied even if not ASCII
            cache, last = self._extend(None, prompt)
            scores = self._score(cache, last, [self._labels[c] for c in Category])
            probs = torch.softmax(scores, dim=0).tolist()
            category = list(Category)[int(scores.argmax())]
            cache, last = self._extend(cache, self._labels[category])
            subs = category.subcategories
            subcategory = subs[int(self._score(cache, last, [self._sublabels[s] for s in subs]).argmax())]
            cache, last = self._extend(cache, self._sublabels[subcategory])
            head = prompt + self._labels[category] + self._sublabels[subcategory]
            self.last_timings = {"labels_s": time.perf_counter() - t0}
            text, source = self._write(notes, head, cache, last)
        self.last_timings["total_s"] = time.perf_counter() - t0
        notes_figures = extract_figures(notes)
        used = [f for f in notes_figures if f in notes_figures]  # the guard has checked all are kept
        return Statement(
            text=text,
            category=category,
            category_scores=dict(zip(Category, probs, strict=False)),
            subcategory=subcategory,
            figures=used,
            strength=assess_strength(text, has_figures=bool(used)),
            suggestions=suggestions_for(notes, used, category, source),
            source=source,
            notes=notes,
            warnings=warnings,
        )

    def _write(self, notes: str, head: list[int], cache: Any, last: torch.Tensor) -> tuple[str, Literal["model", "fallback"]]:
        """The greedy draft, then beam candidates, then the composer: the first that passes the guard."""
        draft = self._greedy(notes, cache, last)
        problems = check(notes, draft)
        if not problems:
            return draft, "model"
        logger.debug("greedy draft rejected (%s)", "; ".join(problems))
        for candidate in self._beams(notes, head):
            if not check(notes, candidate):
                return candidate, "model"
        category_text = compose(notes, self._category_of(head))
        logger.info("no model candidate passed the guard; using the composer")
        return category_text, "fallback"

    def _category_of(self, head: list[int]) -> Category:
        for c, label in self._labels.items():
            n = len(label)
            for i in range(len(head) - n + 1):
                if head[i : i + n] == label:
                    return c
        return Category.MODEL_DEVELOPMENT

    def _extend(self, cache: Any, ids: list[int]) -> tuple[Any, torch.Tensor]:
        """Feed ``ids`` after ``cache``; return the cache and the logits of the last position."""
        import torch

        out = self.model(input_ids=torch.tensor([ids], device=self.device), cache=cache, use_cache=True, logits_to_keep=1)
        return out.cache, out.logits[0, -1].float()

    def _score(self, cache: Any, last: torch.Tensor, pieces: list[list[int]]) -> torch.Tensor:
        """Log-probability of each continuation in ``pieces`` after ``cache`` (one batched pass)."""
        import torch

        n, width = len(pieces), max(len(p) for p in pieces)
        batch_cache = copy.deepcopy(cache)
        batch_cache.batch_repeat_interleave(n)
        ids = torch.full((n, width), self.tokenizer.pad_token_id or 0, dtype=torch.long, device=self.device)
        mask = torch.zeros((n, cache.get_seq_length() + width), dtype=torch.long, device=self.device)
        mask[:, : cache.get_seq_length()] = 1
        for i, p in enumerate(pieces):
            ids[i, : len(p)] = torch.tensor(p)
            mask[i, cache.get_seq_length() : cache.get_seq_length() + len(p)] = 1
        logits = self.model(input_ids=ids, attention_mask=mask, cache=batch_cache, use_cache=True).logits
        first = torch.log_softmax(last, dim=-1)
        rest = torch.log_softmax(logits.float(), dim=-1)
        return torch.stack(
            [first[p[0]] + sum((rest[i, k - 1, p[k]] for k in range(1, len(p))), torch.tensor(0.0)) for i, p in enumerate(pieces)]
        )

    def _greedy(self, notes: str, cache: Any, last: torch.Tensor) -> str:
        import torch

        from winrewrite.constraint import FigureConstraint

        constraint = FigureConstraint(self.tokenizer, notes, prompt_length=0)
        generated: list[int] = []
        logits = last
        start = time.perf_counter()
        for _ in range(self.config.max_new_tokens):
            scores = constraint(torch.tensor([generated], dtype=torch.long), logits[None])
            token = int(scores[0].argmax())
            if token in self._stop_ids:
                break
            generated.append(token)
            cache, logits = self._extend(cache, [token])
        self.last_timings.update(decode_s=time.perf_counter() - start, decode_tokens=len(generated) + 1)
        return self._decode(generated)

    def _beams(self, notes: str, head: list[int]) -> list[str]:
        import torch
        from transformers import LogitsProcessorList

        from winrewrite.constraint import FigureConstraint

        k = self.config.num_candidates
        if k < 1:
            return []
        ids = torch.tensor([head], device=self.device)
        out = self.model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            num_beams=k,
            num_return_sequences=k,
            do_sample=False,
            max_new_tokens=self.config.max_new_tokens,
            logits_processor=LogitsProcessorList([FigureConstraint(self.tokenizer, notes, prompt_length=len(head))]),
            eos_token_id=sorted(self._stop_ids),
            pad_token_id=self.tokenizer.pad_token_id,
        )
        return [self._decode(row[len(head) :].tolist()) for row in out]

    def _decode(self, ids: list[int]) -> str:
        ids = [i for i in ids if i not in self._stop_ids]
        return " ".join(self.tokenizer.decode(ids, skip_special_tokens=True).split())

    def __repr__(self) -> str:
        return f"Rewriter({self.name!r}, device={self.device})"
