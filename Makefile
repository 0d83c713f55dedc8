# Two commands set up and run everything: `make run` and `make test`.
# Both create .venv and install augur with its dependencies on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DATA := data/world-42x12.jsonl
STRANGERS := data/strangers-54x24.jsonl
CHECKPOINT := checkpoints/oracle

.PHONY: run test test-all lint setup clean

setup: $(STAMP)

# torch first, pinned to the CPU build: an unpinned torch pulls gigabytes of CUDA
# packages. With a GPU: make TORCH_SPEC="torch==2.13.0 --index-url <your CUDA index>".
TORCH_SPEC ?= torch==2.13.0

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "augur needs Python >= 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check $(TORCH_SPEC)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

# The main job on the embedded defaults: simulate 730 days of twelve people (persona 42,
# whose next 30 days are the temporal hold-out, and 43-53) and 30 days of 24 more kept
# out of training (54-77: they fit the calibration for people the model never met),
# train the default oracle, print its harness scorecard beside the baselines and the
# ceiling, then serve the playground and the API on 127.0.0.1:8787 until Ctrl-C.
run: $(STAMP)
	$(BIN)/augur data synth --days 730 --seed 42 --personas 12 --out $(DATA)
	$(BIN)/augur data synth --days 30 --seed 54 --personas 24 --out $(STRANGERS)
	$(BIN)/augur train --data $(DATA) --strangers $(STRANGERS) --out $(CHECKPOINT)
	$(BIN)/augur evaluate $(CHECKPOINT)
	$(BIN)/augur serve --models $(dir $(CHECKPOINT)) --default-model $(notdir $(CHECKPOINT))

# The playground's browser test drives Debian's chromium; the script installs it once.
# `make test` leaves out the tests marked slow (a few minutes each: full-size data,
# LLM generation, training end to end); `make test-all` and CI run every test.
test: $(STAMP)
	$(BIN)/ruff check .
	bash scripts/setup-browser.sh
	$(BIN)/pytest -q -m "not slow"

test-all: test
	$(BIN)/pytest -q -m slow

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
