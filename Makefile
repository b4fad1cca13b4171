# fakedetect: `make` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install demo test lint bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask,collect]'
	$(BIN)/python -c "from fakedetect._compiled.warm import compile_kernels; compile_kernels()"
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install fakedetect with its dev extras

demo: $(STAMP) ## Run the main job end to end on simulated data (minutes)
	$(BIN)/python -m fakedetect.demo

test: $(STAMP) ## Run the full test suite
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP) ## Check the code with ruff
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP) ## Run every benchmark (long: tens of minutes)
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean: ## Remove the virtual environment, outputs, the feature cache and the local MLflow store
	rm -rf $(VENV) out mlflow.db mlflow.db.lock mlruns data/demo .cache/fakedetect
