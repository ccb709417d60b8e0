"""The main class: a fine-tuned model that turns raw notes into a :class:`~winrewrite.Statement`."""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, overload

from winrewrite.assess import assess_strength, measures, suggestions_for, unsaid_words
from winrewrite.categories import Category
from winrewrite.composer import compose
from winrewrite.config import RewriterConfig
from winrewrite.errors import DeviceError, InvalidNotesError, ModelLoadError
from winrewrite.figures import extract_figures
from winrewrite.guard import check, passing_clauses
from winrewrite.head import HEAD_FILE, POOLING, SUBCATEGORIES, CategoryHead
from winrewrite.hedges import keep_hedges
from winrewrite.notes import prepare_notes
from winrewrite.prompt import category_label, encode, instruction_length, prompt_ids, subcategory_label
from winrewrite.statement import Statement, Statements
from winrewrite.topics import join_statements, split_topics

if TYPE_CHECKING:
    import torch

    from winrewrite.constraint import FigureConstraint
    from winrewrite.decoder import LeanDecoder

logger = logging.getLogger(__name__)

SHIPPED_ADAPTER = Path(__file__).parent / "adapter"
_TOP = 64  # tokens per row moved off the device at each greedy step
_CPU_BATCH, _GPU_BATCH = 8, 1024  # rewrite_many's default batch size
ADAPTER_WEIGHTS = "adapter_model.safetensors"


class _Written(NamedTuple):
    """What the model pass gives one note: its statement and labels."""

    text: str
    source: Literal["model", "fallback"]
    rejected: list[str]  # the problems of the model's candidates, for a fallback's suggestions
    category: Category
    subcategory: str
    probs: list[float]  # the category probabilities, in Category's order


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


def _load_tokenizer(folder: str | Path, embedded: bool) -> Any:
    """The base model's tokenizer (the embedded model's read directly from its tokenizer.json), with the
    vocabulary scans the decoding constraint needs already done (while the weights load)."""
    from winrewrite.constraint import token_table, whole_word_tokens

    if embedded:
        from winrewrite.embedded import load_tokenizer

        tokenizer = load_tokenizer(Path(folder))
    else:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(folder)
    whole_word_tokens(token_table(tokenizer))
    return tokenizer


def verify_adapter(path: Path) -> None:
    """Check every file listed in the ``sha256.txt`` beside an adapter (its weights, its category head)."""
    sums = path / "sha256.txt"
    if not sums.exists():
        return
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        expected, name = line.split(maxsplit=1)
        actual = hashlib.sha256((path / name).read_bytes()).hexdigest() if (path / name).exists() else "missing"
        if actual != expected:
            raise ModelLoadError(f"{name} in {path} does not match sha256.txt ({actual[:12]} != {expected[:12]})")


def read_head(adapter: Path) -> CategoryHead | None:
    """The category head stored beside an adapter (``finetune/category_head.py``), if there is one and it
    was fitted on the features this version computes (else, with a warning, None: labels are scored as text)."""
    from safetensors import SafetensorError

    path = adapter / HEAD_FILE
    if not path.exists():
        return None
    try:
        fitted_on = CategoryHead.pooling(path)
        if fitted_on != POOLING:
            logger.warning(
                "%s was fitted on %s features, not %s: categories are scored as text until it is refit "
                "(python -m finetune.category_head %s)", path, fitted_on, POOLING, adapter
            )
            return None
        return CategoryHead.load(path)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError) as e:
        raise ModelLoadError(f"{path} is malformed: {e}") from e


Prefilled = tuple[Any, "torch.Tensor", "torch.Tensor"]  # after a batch of prompts: cache, last logits, mask
Pass = Callable[..., list[list[tuple[str, float]]]]  # (notes, heads, prefilled=) -> each note's candidates, best first


def _logit(ids: list[int], values: list[float], logits: torch.Tensor, row: int, token: int) -> float:
    """``logits[row, token]``, read from the row's best ``ids`` and their ``values`` when it is among them
    (nearly always: on a GPU each read of the tensor waits for the device)."""
    for i, value in zip(ids, values, strict=True):
        if i == token:
            return value
    return float(logits[row, token])


class Rewriter:
    """Turns raw notes about a win into one categorized, quantified accomplishment statement.

    The fine-tuned model scores the six categories and the two subcategories of the winner, then
    writes the statement under a figure constraint: beam-search candidates, best first, and its
    greedy statement for notes none of them passes (on a GPU the other way round); a guard checks
    each; only if none passes does the deterministic composer write it (``source="fallback"``).

    >>> rw = Rewriter.from_pretrained()  # doctest: +SKIP
    >>> s = rw("cut p99 340ms->62ms w/ int8 + onnx")  # doctest: +SKIP
    >>> s.category.value, "340ms" in s.text  # doctest: +SKIP
    ('model_performance', True)
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        config: RewriterConfig | None = None,
        *,
        name: str = "",
        head: CategoryHead | None = None,
    ) -> None:
        self.model = model.eval()
        self.category_head = head  # None: the category and subcategory labels are scored as text instead
        self.tokenizer = tokenizer
        self.config = config or RewriterConfig()
        self.name = name
        self._lock = threading.RLock()  # one model, many threads: calls take turns
        self._pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self._stop_ids = {tokenizer.eos_token_id, *tokenizer.convert_tokens_to_ids(["\n", "<end_of_turn>"])} - {None}
        self._labels = {c: encode(tokenizer, category_label(c)) for c in Category}
        self._sublabels = {s: encode(tokenizer, subcategory_label(s)) for c in Category for s in c.subcategories}
        self._instruction_length = instruction_length(tokenizer)  # prompt tokens left out of the head's features
        if self.config.threads:
            import torch

            torch.set_num_threads(self.config.threads)
        self._fast_head = None
        self._lean: LeanDecoder | None | bool = False  # False: not built yet
        self.last_timings: dict[str, float] = {}  # seconds per stage of the latest call, and tokens decoded
        from winrewrite.fastpath import RestrictedHead, make_fast, row_int8_activations

        labels = [i for ids in [*self._labels.values(), *self._sublabels.values()] for i in ids]
        if isinstance(getattr(model, "lm_head", None), RestrictedHead):  # loaded fast from the cache
            self._fast_head = model.lm_head
        elif self.config.fast_cpu and self.device.type == "cpu" and hasattr(model, "lm_head") and hasattr(model.model, "layers"):
            self._fast_head = make_fast(self.model, tokenizer, always=labels)
        if self._fast_head is not None and self.config.int8_activations and row_int8_activations(self.model):
            logger.info("CPU fast path: int8 activations, one scale per row (fbgemm)")
        # On a GPU the statement is written in the same vocabulary as on the CPU fast path (whose head holds
        # no other tokens): the statement vocabulary, the labels and, per batch, the notes' own tokens.
        self._vocabulary: torch.Tensor | None = None
        self._allowed: torch.Tensor | None = None  # this batch's: the vocabulary and the notes' own tokens
        self._allowed_ids: torch.Tensor | None = None  # the same, as sorted ids
        if self.device.type != "cpu":
            import torch

            from winrewrite.fastpath import head_vocabulary

            self._vocabulary = torch.zeros(len(tokenizer), dtype=torch.bool, device=self.device)
            self._vocabulary[[*head_vocabulary(tokenizer), *labels]] = True

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
            device: ``"auto"`` (CUDA in bf16 if present, else the CPU), ``"cpu"``, ``"cuda"``, ...
            dtype: ``"float32"``, ``"bfloat16"``, ``"float16"`` or a ``torch.dtype``; by default bf16 (CUDA,
                and the CPU fast path, which then quantizes the layers to int8) or fp32 (``fast_cpu=False``).
        """
        import torch

        device = resolve_device(device)
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype, None)
            if not isinstance(dtype, torch.dtype):
                raise ModelLoadError("dtype must be 'float32', 'bfloat16', 'float16' or a torch.dtype")
        # bf16 on CUDA, and on the CPU fast path too (it runs bf16 activations: an fp32 copy would only cost memory)
        fast = device == "cpu" and (config or RewriterConfig()).fast_cpu
        dtype = dtype or (torch.bfloat16 if device.startswith("cuda") or fast else torch.float32)
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
        adapter_path = Path(adapter) if adapter is not False else None  # type: ignore[arg-type]
        # The default model's fast form is kept beside it: later loads skip the float weights, merge and quantization.
        cache_file = None
        if fast and base is None:
            from winrewrite.fastpath import fast_cache_file

            cache_file = fast_cache_file(Path(base_path), adapter_path)
        if cache_file is None or not cache_file.exists():
            # imported here, before the tokenizer's thread starts: two threads resolving transformers' lazy
            # names at once can find them half-built
            from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: F401
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:  # the tokenizer parses while the weights load
                pending = pool.submit(_load_tokenizer, base_path, base is None)
                model = cls._load_cached(cache_file, Path(base_path)) if cache_file else None
                cached = model is not None
                if model is None:
                    from transformers import AutoModelForCausalLM

                    model = AutoModelForCausalLM.from_pretrained(base_path, dtype=dtype)
                tokenizer = pending.result()
        except (OSError, ValueError) as e:
            raise ModelLoadError(f"could not load the base model from {base_path}: {e}") from e
        name = Path(str(base_path)).name
        head = None
        if adapter_path is not None:
            if cached:
                verify_adapter(adapter_path)  # the shipped files are still checked, merged or not
            else:
                model = cls._merge_adapter(model, adapter_path)
            name += f" + {adapter_path.name}"
            head = read_head(adapter_path)
        rewriter = cls(model.to(device), tokenizer, config, name=name, head=head)  # type: ignore[arg-type]
        if cache_file and not cached:
            from winrewrite.fastpath import save_fast

            try:
                save_fast(rewriter.model, cache_file)
            except OSError as e:  # a read-only cache costs speed, not correctness
                logger.warning("could not cache the fast model in %s: %s", cache_file, e)
            else:  # read back: the first load then runs the same model as every later one (winrewrite/gemma.py)
                model = cls._load_cached(cache_file, Path(base_path))
                if model is not None:
                    rewriter = cls(model, tokenizer, config, name=name, head=head)
        return rewriter

    @staticmethod
    def _load_cached(path: Path, base: Path) -> Any:
        """The cached fast model at ``path``, or None when there is none (or it is damaged: then it is rebuilt)."""
        from winrewrite.fastpath import load_fast

        if not path.exists():
            return None
        try:
            model = load_fast(path, base)
            logger.info("fast model read from %s", path)
            return model
        except Exception as e:  # a damaged cache file must never stop a load: it is rebuilt instead
            logger.warning("ignoring the damaged fast-model cache %s (%s); rebuilding it", path, e)
            return None

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

    def rewrite_many(self, notes: list[str], batch_size: int | None = None, progress: bool = True) -> Statements:
        """Rewrite ``notes`` in batches of ``batch_size``, in order, with a progress bar unless ``progress=False``.

        The default batch is 8 notes on the CPU and 1024 on a GPU, where a decoding step costs about the
        same for one row as for a thousand.

        Every note is checked before any model work starts, so a bad one fails fast: the error names its
        index in ``notes`` ('note 3: notes are empty: ...').
        """
        from tqdm.auto import tqdm

        prepared = self._prepare_all(notes, "rewrite_many")
        batch_size = self._default_batch() if batch_size is None else batch_size
        if batch_size < 1:
            raise InvalidNotesError("batch_size must be at least 1")
        out = Statements()
        with tqdm(total=len(prepared), desc="rewriting", unit="note", disable=not progress) as bar:
            for i in range(0, len(prepared), batch_size):
                chunk = prepared[i : i + batch_size]
                with self._lock:
                    out.extend(self._rewrite_batch(chunk))
                bar.update(len(chunk))
        return out

    def classify(self, notes: list[str]) -> list[tuple[Category, str]]:
        """The category and subcategory of each of ``notes``, chosen as :meth:`rewrite_many` chooses them but
        without writing statements: one pass over each batch of notes, many times faster than rewriting.

        >>> rewriter.classify(["mentored 2 new grads through their first launches"])  # doctest: +SKIP
        [(<Category.LEADERSHIP: 'leadership'>, 'Mentorship & Standards')]
        """
        import torch

        prepared = [n for n, _ in self._prepare_all(notes, "classify")]
        size = self._default_batch()
        out: list[tuple[Category, str]] = []
        with self._lock, torch.inference_mode():
            for i in range(0, len(prepared), size):
                prompts = [prompt_ids(self.tokenizer, n) for n in prepared[i : i + size]]
                chosen, subs, _, _ = self._label(prompts)
                out.extend(zip(chosen, subs, strict=True))
        return out

    def _prepare_all(self, notes: list[str], method: str) -> list[tuple[str, list[str]]]:
        """Every note checked and prepared (:func:`~winrewrite.notes.prepare_notes`) before any model work."""
        if not isinstance(notes, (list, tuple)):
            raise InvalidNotesError(f"{method} takes a list of str, not {type(notes).__name__}")
        prepared = []
        for i, note in enumerate(notes):
            try:
                prepared.append(prepare_notes(note, self.config.max_notes_chars))
            except InvalidNotesError as e:  # which of thousands of notes it was
                raise type(e)(f"note {i}: {e}") from e
        return prepared

    def _default_batch(self) -> int:
        return _GPU_BATCH if self.device.type == "cuda" else _CPU_BATCH

    def rewrite(self, notes: str) -> Statement:
        """Rewrite one note into a :class:`Statement`."""
        prepared = prepare_notes(notes, self.config.max_notes_chars)
        with self._lock:
            return self._rewrite_batch([prepared])[0]

    # -- the pipeline ---------------------------------------------------------------------------

    def _rewrite_batch(self, batch: list[tuple[str, list[str]]]) -> list[Statement]:
        """Labels for every note, then its statement: the model's candidates, checked by the guard, in batches."""
        t0 = time.perf_counter()
        self.last_timings = {}
        written = self._write_by_win([n for n, _ in batch])
        self.last_timings["total_s"] = time.perf_counter() - t0
        categories = list(Category)
        statements = []
        for (note, warnings), w in zip(batch, written, strict=True):
            figures = extract_figures(note)  # the guard (or the composer) has kept every one
            statements.append(
                Statement(
                    text=w.text,
                    category=w.category,
                    category_scores=dict(zip(categories, w.probs, strict=True)),
                    subcategory=w.subcategory,
                    figures=figures,
                    strength=assess_strength(w.text, has_figures=measures(note, figures)),
                    suggestions=suggestions_for(note, figures, w.category, w.source, w.rejected, w.text),
                    source=w.source,
                    notes=note,
                    warnings=warnings,
                )
            )
        return statements

    def _write_by_win(self, notes: list[str]) -> list[_Written]:
        """:meth:`_write` for each note; notes that say they tell several wins (:func:`~winrewrite.topics.split_topics`)
        get one statement per win, joined into one sentence if each came from the model and the whole passes the
        guard for the whole notes (labelled as the whole notes, as :meth:`classify` labels them); else they are
        written whole, as any other note."""
        import torch

        wins = [split_topics(n) for n in notes]
        first = iter(self._write([w for parts in wins for w in parts]))
        written: dict[int, _Written] = {}
        joined: dict[int, str] = {}  # notes whose wins' statements make one that passes for the whole notes
        for i, parts in enumerate(wins):
            mine = [next(first) for _ in parts]
            if len(parts) == 1:
                written[i] = mine[0]
                continue
            text = join_statements([w.text for w in mine])
            if all(w.source == "model" for w in mine) and not check(notes[i], text):
                joined[i] = text
            logger.info("notes that tell %d wins: %s", len(parts), "statements joined" if i in joined else "written whole")
        if joined:
            with torch.inference_mode():
                chosen, subs, probs, _ = self._label([prompt_ids(self.tokenizer, notes[i]) for i in joined])
            for i, c, sub, p in zip(joined, chosen, subs, probs, strict=True):
                written[i] = _Written(joined[i], "model", [], c, sub, p)
        whole = [i for i in range(len(notes)) if i not in written]
        written.update(zip(whole, self._write([notes[i] for i in whole]), strict=True))
        return [written[i] for i in range(len(notes))]

    def _write(self, notes: list[str]) -> list[_Written]:
        """The labels and the statement of each note, in one batch (:meth:`_settle`)."""
        import torch

        if not notes:
            return []
        t0 = time.perf_counter()
        with torch.inference_mode():
            prompts = [prompt_ids(self.tokenizer, n) for n in notes]
            chosen, subs, probs, read = self._label(prompts)
            heads = [p + self._labels[c] + self._sublabels[s] for p, c, s in zip(prompts, chosen, subs, strict=True)]
            self.last_timings["labels_s"] = self.last_timings.get("labels_s", 0.0) + time.perf_counter() - t0
            settled = self._settle(notes, heads, chosen, self._after_heads(heads, read))
        return [
            _Written(text, source, rejected, category, subcategory, p)
            for (text, source, rejected), category, subcategory, p in zip(settled, chosen, subs, probs, strict=True)
        ]

    def _settle(
        self, notes: list[str], heads: list[list[int]], chosen: list[Category], prefilled: Prefilled | None = None
    ) -> list[tuple[str, Literal["model", "fallback"], list[str]]]:
        """For each note, the candidate of the model that passes the guard and reads fluently to it
        (:meth:`_problems`) and adds the fewest words the notes do not say (:func:`~winrewrite.assess.unsaid_words`),
        from two passes: its beam candidates, best first, and its greedy statement, in
        the order :meth:`_greedy_first` gives, the second only for the notes the first left without one
        (each pass decodes all its notes in one batch; ``prefilled``, the state after the heads, is continued
        by a pass that covers all the notes, the second pass getting a copy). Then the longest run of leading
        clauses of a candidate that passes (:func:`~winrewrite.guard.passing_clauses`), and last the composer;
        with it, for a fallback, the problems the model's candidates had (for the suggestions)."""
        passes: list[tuple[str, Pass]] = [("greedy", self._greedy), ("beams", self._beams)]
        if not self._greedy_first():
            passes.reverse()
        if not self.config.num_candidates:
            passes.remove(("beams", self._beams))
        settled: list[tuple[str, Literal["model", "fallback"]] | None] = [None] * len(notes)
        tried: list[list[str]] = [[] for _ in notes]
        rejected: list[list[str]] = [[] for _ in notes]
        spare = copy.deepcopy(prefilled) if prefilled is not None and len(passes) > 1 else None  # one note's: small
        for name, run in passes:
            todo = [i for i, s in enumerate(settled) if s is None]
            if not todo:
                break
            start = time.perf_counter()
            state = prefilled if len(todo) == len(notes) else None  # the state of every note, or none
            found = run([notes[i] for i in todo], [heads[i] for i in todo], prefilled=state)
            self.last_timings[f"{name}_s"] = self.last_timings.get(f"{name}_s", 0.0) + time.perf_counter() - start
            prefilled, spare = spare, None  # the first pass may have changed the state in place
            for i, candidates in zip(todo, found, strict=True):
                passing = []
                for written, log_prob in candidates:
                    candidate = keep_hedges(notes[i], written)  # the notes' hedges on figures, not the model's
                    tried[i].append(candidate)
                    if not (problems := self._problems(notes[i], candidate, log_prob)):
                        passing.append(candidate)
                        continue
                    rejected[i] += problems
                    logger.debug("%s candidate rejected (%s)", name, "; ".join(problems))
                if passing:  # the one that adds fewest words the notes do not say; the model's order breaks ties
                    settled[i] = (min(passing, key=lambda c: len(unsaid_words(notes[i], c))), "model")
        trimmed = 0
        for i, s in enumerate(settled):
            if s is not None:
                continue
            cuts = (passing_clauses(notes[i], c) for c in tried[i])
            cut = next((c for c in cuts if c is not None and not self._adds_too_much(notes[i], c)), None)
            if cut is not None:
                logger.info("no model candidate passed the guard whole; keeping its leading clauses")
                settled[i] = (cut, "model")
                trimmed += 1
            else:
                logger.info("no model candidate passed the guard; using the composer")
                settled[i] = (keep_hedges(notes[i], compose(notes[i], chosen[i])), "fallback")  # model candidates have theirs
        self.last_timings["trimmed"] = self.last_timings.get("trimmed", 0) + trimmed
        return [(*s, rejected[i] if s[1] == "fallback" else []) for i, s in enumerate(settled) if s is not None]

    def _adds_too_much(self, notes: str, text: str) -> bool:
        limit = self.config.max_unsaid_words
        return bool(limit) and len(unsaid_words(notes, text)) >= limit

    def _greedy_first(self) -> bool:
        """Whether the greedy statement is tried before the beams: ``RewriterConfig.greedy_first``, by default
        on a GPU only. On the CPU the beams first cost less at the median: most greedy statements of unseen
        notes fail the guard (about 3 in 5), and a beam search that stops at its first passing candidate is
        then the only pass (``python -m benchmarks.bench``: p50 0.94 s greedy first, 0.72 s beams first)."""
        if self.config.greedy_first is not None:
            return self.config.greedy_first
        return self.device.type != "cpu"

    def _after_heads(self, heads: list[list[int]], read: Any) -> Prefilled | None:
        """The state after ``heads`` (cache, last logits, mask) when the category head has already read a
        single prompt (``read``): only its label lines are run. Else None: the first pass reads the heads."""
        import torch

        if read is None:
            return None
        cache, mask = read
        labels = torch.tensor([heads[0][mask.shape[1] :]], device=self.device)
        mask = torch.cat([mask, torch.ones_like(labels)], dim=1)
        cache, logits = self._run(labels, mask, cache)
        return cache, logits, mask

    def _problems(self, notes: str, text: str, log_prob: float) -> list[str]:
        """The guard's problems with a candidate, and whether the model itself finds it unlikely: a mean
        log-probability per token under ``min_token_log_prob`` means the figure constraint pushed the model
        off its own path, and such text reads garbled ('by rollover from spiked in funnel'); and whether it adds
        ``max_unsaid_words`` words or more that the notes do not say ('... for the retailer's brand promotion
        business', of notes that name no retailer)."""
        problems = check(notes, text)
        if log_prob < self.config.min_token_log_prob:
            problems.append(f"reads garbled to the model (mean token log-probability {log_prob:.2f})")
        if (limit := self.config.max_unsaid_words) and len(unsaid := unsaid_words(notes, text)) >= limit:
            problems.append(f"adds {len(unsaid)} words the notes do not say ({', '.join(unsaid[:5])})")
        return problems

    def _allow(self, prompts: list[list[int]]) -> None:
        """Let the batch's own tokens be written besides the statement vocabulary: names from the notes may
        be copied even if they are not ASCII."""
        import torch

        if self._fast_head is not None:
            self._fast_head.set_extra([i for p in prompts for i in p])
        if self._vocabulary is not None:
            self._allowed = self._vocabulary.clone()
            self._allowed[torch.tensor([i for p in prompts for i in p], device=self.device)] = True
            self._allowed_ids = self._allowed.nonzero().squeeze(1)

    def _label(self, prompts: list[list[int]]) -> tuple[list[Category], list[str], list[list[float]], Any]:
        """Each prompt's category, subcategory and category probabilities, and what :meth:`_classify` read; the
        batch's own tokens are allowed from here on (:meth:`_allow`)."""
        import torch

        self._allow(prompts)
        scores, subs, read = self._classify(prompts)
        categories = list(Category)
        chosen = [categories[int(i)] for i in scores.argmax(-1)]
        subs = subs or self._score_subcategories([p + self._labels[c] for p, c in zip(prompts, chosen, strict=True)], chosen)
        return chosen, subs, torch.softmax(scores, dim=-1).tolist(), read

    def _classify(self, prompts: list[list[int]]) -> tuple[torch.Tensor, list[str] | None, Any]:
        """Category scores [rows, 6]; with a category head, each row's subcategory (else None: the
        subcategory labels are scored once the category is chosen) and, for a single prompt, the
        (cache, mask) of the pass that read it, which the statement then continues from (else None)."""
        import torch

        if self.category_head is None:
            return self._score(prompts, [[self._labels[c] for c in Category]] * len(prompts)), None, None
        ids, mask = self._pad(prompts)
        single = len(prompts) == 1  # a batch would need its label lines padded in the middle: it prefills anew
        features, cache = self._pool(ids, mask, self.category_head.layer, use_cache=single)
        categories, subcategories = self.category_head(features)
        subs = []
        for row, c in enumerate(categories.argmax(-1).tolist()):
            own = [SUBCATEGORIES.index(s) for s in list(Category)[c].subcategories]
            subs.append(SUBCATEGORIES[own[int(torch.argmax(subcategories[row, own]))]])
        return categories, subs, (cache, mask) if single else None

    def features(self, prompts: list[list[int]], layer: int) -> torch.Tensor:
        """The category head's input for a batch of prompts: pooled hidden states, on the CPU
        (:func:`~winrewrite.head.pooled_features`); ``finetune/category_head.py`` fits on the same."""
        return self._pool(*self._pad(prompts), layer)[0]

    def _pool(self, ids: torch.Tensor, mask: torch.Tensor, layer: int, use_cache: bool = False) -> tuple[torch.Tensor, Any]:
        from winrewrite.head import pooled_features

        features, cache = pooled_features(self.model, ids, mask, self._instruction_length, layer, use_cache)
        return features.cpu(), cache

    def _score_subcategories(self, prompts: list[list[int]], chosen: list[Category]) -> list[str]:
        scores = self._score(prompts, [[self._sublabels[s] for s in c.subcategories] for c in chosen])
        return [c.subcategories[int(i)] for c, i in zip(chosen, scores.argmax(-1), strict=True)]

    def _pad(self, sequences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Left-padded ids and attention mask, on the model's device."""
        import torch

        width = max(len(s) for s in sequences)
        ids = torch.full((len(sequences), width), self._pad_id, dtype=torch.long)
        mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for row, seq in enumerate(sequences):
            ids[row, width - len(seq) :] = torch.tensor(seq)
            mask[row, width - len(seq) :] = 1
        return ids.to(self.device), mask.to(self.device)

    def _prefill(self, sequences: list[list[int]]) -> tuple[Any, torch.Tensor, torch.Tensor]:
        """Run left-padded ``sequences``; return the cache, the last position's logits and the attention mask."""
        ids, mask = self._pad(sequences)
        cache, logits = self._run(ids, mask)
        return cache, logits, mask

    def _run(self, ids: torch.Tensor, mask: torch.Tensor, cache: Any = None) -> tuple[Any, torch.Tensor]:
        """Run ``ids`` [rows, width] after ``cache`` (``mask`` covers both); return the cache and the last
        position's logits in fp32, -inf outside the statement vocabulary (GPU)."""
        out = self.model(input_ids=ids, attention_mask=mask, cache=cache, use_cache=True, logits_to_keep=1)
        logits = out.logits[:, -1].float()
        return out.cache, logits if self._allowed is None else logits.masked_fill(~self._allowed, -float("inf"))

    def _score(self, prefixes: list[list[int]], pieces: list[list[list[int]]]) -> torch.Tensor:
        """Log-probability of each row's candidate continuations after its prefix: a [rows, K] tensor.

        The prefixes run once; their cache is repeated for the K continuations, which run in one pass.
        """
        import torch

        cache, last, mask = self._prefill(prefixes)
        k = len(pieces[0])
        flat = [p for row in pieces for p in row]
        width = max(len(p) for p in flat)
        cache.batch_repeat_interleave(k)
        ids = torch.full((len(flat), width), self._pad_id, dtype=torch.long)
        piece_mask = torch.zeros((len(flat), width), dtype=torch.long)
        for row, piece in enumerate(flat):
            ids[row, : len(piece)] = torch.tensor(piece)
            piece_mask[row, : len(piece)] = 1
        attention = torch.cat([mask.repeat_interleave(k, dim=0), piece_mask.to(self.device)], dim=1)
        out = self.model.model(input_ids=ids.to(self.device), attention_mask=attention, cache=cache, use_cache=True)
        hidden = out.last_hidden_state
        first = torch.log_softmax(last, dim=-1)
        scores = torch.empty(len(flat))
        for row, piece in enumerate(flat):  # one row at a time: a [width, vocab] block, never [rows, width, vocab]
            total = first[row // k, piece[0]]
            if len(piece) > 1:
                logp = torch.log_softmax(self.model.lm_head(hidden[row, : len(piece) - 1]).float(), dim=-1)
                total = total + logp[torch.arange(len(piece) - 1), torch.tensor(piece[1:])].sum()
            scores[row] = total
        return scores.view(len(prefixes), k)

    def _greedy(
        self, notes: list[str], heads: list[list[int]], prefilled: Prefilled | None = None
    ) -> list[list[tuple[str, float]]]:
        """The greedy statement of each note of a batch, under its own figure constraint (with
        ``require_all``), with its mean log-probability per token (the stop token included) under the model,
        as a list of one candidate per note (like :meth:`_beams`).

        ``prefilled``: the state after the heads, else they are read first. Each step moves only every row's
        ``_TOP`` best tokens off the device; the constraint picks the best one it allows, and masks the whole
        row only when they cannot decide.
        """
        import torch

        cache, logits, mask = prefilled or self._prefill(heads)
        lean = self._start_lean(cache, mask)
        constraints = self._constraints(notes)
        strings = constraints[0].table.strings if constraints else ()
        generated: list[list[int]] = [[] for _ in notes]
        texts = [""] * len(notes)
        alive = [True] * len(notes)
        log_prob = [0.0] * len(notes)
        start = time.perf_counter()
        for _ in range(self.config.max_new_tokens):
            values, ids, norms_t = self._top(logits)
            values_l, ids_l, norms = values.tolist(), ids.tolist(), norms_t.tolist()
            step = []
            for row, constraint in enumerate(constraints):
                token = self._pad_id
                if alive[row]:
                    token = constraint.best_allowed(texts[row], ids_l[row], values_l[row], logits[row], generated[row])
                    log_prob[row] += _logit(ids_l[row], values_l[row], logits, row, token) - norms[row]
                    if token in self._stop_ids:
                        alive[row], token = False, self._pad_id
                    else:
                        generated[row].append(token)
                        texts[row] += strings[token]
                step.append(token)
            if not any(alive):
                break
            if lean is not None:
                logits = lean.step(torch.tensor(step), torch.tensor(alive))
                continue
            mask = torch.cat([mask, torch.tensor([[int(a)] for a in alive], device=self.device)], dim=1)
            ids = torch.tensor(step, device=self.device)[:, None]
            cache, logits = self._run(ids, mask, cache)
        tokens = sum(len(g) + 1 for g in generated)
        self.last_timings["decode_s"] = self.last_timings.get("decode_s", 0.0) + time.perf_counter() - start
        self.last_timings["decode_tokens"] = self.last_timings.get("decode_tokens", 0) + tokens
        return [[(self._decode(g), lp / (len(g) + 1))] for g, lp in zip(generated, log_prob, strict=True)]

    def _constraints(self, notes: list[str]) -> list[FigureConstraint]:
        """One figure constraint per note, requiring every figure before the statement may end."""
        from winrewrite.constraint import FigureConstraint

        return [FigureConstraint(self.tokenizer, n, prompt_length=0, stop_ids=self._stop_ids, require_all=True) for n in notes]

    def _columns(self) -> torch.Tensor | None:
        """The only vocabulary ids whose logits can be finite in this batch (the rest are -inf): the CPU fast
        path's head columns, or on a GPU the statement vocabulary and the notes' tokens; None for all."""
        return self._fast_head.columns if self._fast_head is not None else self._allowed_ids

    def _top(self, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Each row's ``_TOP`` best logits, their ids, and the row's log-normaliser (logsumexp); only among
        :meth:`_columns` (a fifth to a quarter of the vocabulary), which halves the cost of a step's top-k."""
        import torch

        columns = self._columns()
        if columns is None:
            values, ids = logits.topk(min(_TOP, logits.shape[-1]), dim=-1)
            return values, ids, torch.logsumexp(logits.float(), dim=-1)
        kept = logits.index_select(-1, columns)
        values, ids = kept.topk(min(_TOP, len(columns)), dim=-1)
        return values, columns[ids], torch.logsumexp(kept.float(), dim=-1)

    def _start_lean(self, cache: Any, mask: torch.Tensor) -> LeanDecoder | None:
        """The lean step, taking over from a prefill's ``cache``, when there is one and the statement fits
        its window; else None (transformers decodes)."""
        lean = self._lean_decoder()
        if lean is None or not lean.fits(mask.shape[1], self.config.max_new_tokens):
            return None
        lean.start(cache, mask, self.config.max_new_tokens)
        return lean

    def _lean_decoder(self) -> LeanDecoder | None:
        """The lean decoding step of the CPU fast path (``winrewrite/decoder.py``), built at first use;
        None when the model is not a fast Gemma 3, or with ``RewriterConfig(lean_decoder=False)``."""
        if self._lean is False:
            from winrewrite.decoder import LeanDecoder

            fit = self._fast_head is not None and self.config.lean_decoder
            self._lean = LeanDecoder.for_model(self.model) if fit else None
        return self._lean  # type: ignore[return-value]

    def _beams(
        self, notes: list[str], heads: list[list[int]], early: bool = True, prefilled: Prefilled | None = None
    ) -> list[list[tuple[str, float]]]:
        """``num_candidates`` beam-search candidates for each note (:mod:`winrewrite.beams`), all notes in
        one batch, best first, with their mean log-probability per token. Each prompt runs once (or not
        at all: ``prefilled`` is the state after them); its cache is repeated for the beams.

        ``early``: a note's search ends once its best candidate that passes :meth:`_problems` can no longer
        be beaten, by the test the search ends on (an estimate: now and then a full search would rank
        another candidate first), with the candidates found so far."""
        import torch

        from winrewrite.beams import beam_search

        k = self.config.num_candidates
        if k < 1 or not notes:
            return [[] for _ in notes]
        constraints = self._constraints(notes)
        cache, logits, mask = prefilled or self._prefill(heads)
        cache.batch_repeat_interleave(k)
        mask, logits = mask.repeat_interleave(k, dim=0), logits.repeat_interleave(k, dim=0)
        lean = self._start_lean(cache, mask)
        columns = self._columns()

        def advance(tokens: list[int], parents: list[int]) -> torch.Tensor:
            nonlocal mask
            rows = torch.tensor(parents, device=self.device)
            ids = torch.tensor(tokens, device=self.device)
            if lean is not None:  # with columns, only those: all the search reads of a row
                lean.reorder(rows)
                return lean.step(ids, torch.ones(len(tokens), dtype=torch.bool), narrow=columns is not None)
            cache.reorder_cache(rows)
            mask = torch.cat([mask.index_select(0, rows), torch.ones_like(mask[: len(tokens), :1])], dim=1)
            return self._run(ids[:, None], mask, cache)[1]

        def passes(note: int, ids: list[int], score: float) -> bool:
            return not self._problems(notes[note], keep_hedges(notes[note], self._decode(ids)), score)

        found = beam_search(
            logits, advance, constraints, k, self.config.max_new_tokens, self._stop_ids, passes if early else None, columns
        )
        return [[(self._decode(c), score) for c, score in candidates] for candidates in found]

    def _decode(self, ids: list[int]) -> str:
        ids = [i for i in ids if i not in self._stop_ids]
        return " ".join(self.tokenizer.decode(ids, skip_special_tokens=True).split())

    def __repr__(self) -> str:
        return f"Rewriter({self.name!r}, device={self.device})"
