#!/usr/bin/env bash
# On a machine with a CUDA GPU: the GPU tests, then the benchmark on the GPU (throughput over 40 copies
# of the benchmark notes in batches of 1024). PYTHON picks the interpreter (default: the project's venv);
# arguments go to the benchmark (e.g. --no-latency).
set -euo pipefail
PYTHON=${PYTHON:-.venv/bin/python}
status=0  # the benchmark runs even if a test fails; the exit status reports both
"$PYTHON" -m pytest -m gpu -p no:cacheprovider -q tests/test_gpu.py || status=$?
"$PYTHON" -m benchmarks.bench --device cuda --repeat "${REPEAT:-40}" "$@" || status=$?
exit $status
