# studyforge: `make run` starts the platform on its embedded defaults, `make test` runs the suite.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip's mirror configuration prints a warning per package; keep real errors only.
QUIET_PIP := 2>&1 | { grep -v -E "^WARNING: Location|^$$" || true; }

# llama.cpp's OpenAI-compatible server for the AI adapter tests. The default native build
# crashes with "illegal instruction" on these machines; this portable AVX2 build does not.
LLAMA_STAMP := $(VENV)/.llama
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

.PHONY: run test bench lint system-deps assets clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip $(QUIET_PIP)
	$(BIN)/python -m pip install -q -e '.[dev]' $(QUIET_PIP)
	touch $(STAMP)

$(LLAMA_STAMP): $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install -q 'llama-cpp-python[server]==0.3.36' $(QUIET_PIP)
	touch $(LLAMA_STAMP)

assets:
	bash scripts/fetch-htmx.sh

system-deps:
	bash scripts/system-deps.sh

run: $(STAMP) assets
	$(BIN)/studyforge serve

test: $(STAMP) $(LLAMA_STAMP) assets system-deps
	$(BIN)/python -m pytest

bench: $(STAMP) system-deps
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
