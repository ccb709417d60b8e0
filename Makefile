# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NOTE ?= moved fraud model to focal loss, precision 74->91 at same recall, ~45 analyst hrs/wk saved

.PHONY: demo test lint finetune evaluate bench bench-llama bench-gpu clean

# torch first, pinned to the CPU build this machine keeps on disk; the project's range then adds nothing.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/winrewrite -v "$(NOTE)"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check winrewrite finetune benchmarks tests
	$(BIN)/mypy winrewrite

test: lint
	$(BIN)/pytest

finetune: $(VENV)/.installed-dev
	$(BIN)/python -m finetune.train
	$(BIN)/python -m finetune.category_head

evaluate: $(VENV)/.installed-dev
	$(BIN)/python -m finetune.evaluate

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks.bench

# Side by side with llama.cpp on the same GGUF weights (builds llama-cpp-python from source: minutes).
bench-llama: $(VENV)/.installed
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python -m benchmarks.bench --llama-cpp

# On a machine with a CUDA GPU and a CUDA build of torch in .venv: the GPU tests and the GPU benchmark.
bench-gpu: $(VENV)/.installed-dev
	PYTHON=$(BIN)/python benchmarks/gpu.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
