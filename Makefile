# Quick start: `make run` (console against the built-in simulator, or the Slack bot when tokens are set)
# and `make test`. Each target installs what it needs into .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test unit soak bench lint typecheck clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

# The unit ring alone (domain, use cases with fakes, listeners, house rules): a few seconds.
unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

# The model-based test with twenty times the scenarios of `make test`, on SQLite and PostgreSQL (its time
# limit grows with the scenarios: tests/model/test_model.py, TIME_LIMIT).
soak: $(STAMP)
	PCC_MODEL_EXAMPLES=500 $(BIN)/pytest -q tests/model/test_model.py tests/model/test_model_cases.py tests/model/test_model_quorum.py

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
