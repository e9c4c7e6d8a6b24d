# Quick start: `make run` (console against the built-in simulator, or the Slack bot when tokens are set)
# and `make test`. Each target installs what it needs into .venv on first use; bare `make` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help run test unit soak bench lint typecheck deploy-check env-example messages clean
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  make \1\t/' | expand -t 24

# The versions of constraints.txt (the image's dependencies and the dev tools): the same for everyone.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP) ## the console against the built-in simulator, or the Slack bot when its tokens are set
	$(BIN)/python -m bot run

lint: $(STAMP) ## ruff, its formatter, hadolint on the Dockerfile
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP) ## mypy, strict, on the whole tree
	$(BIN)/mypy

test: lint typecheck ## lint, typecheck, then every test (SQLite and an embedded PostgreSQL)
	$(BIN)/pytest

# The unit ring alone (domain, use cases with fakes, listeners, house rules): a few seconds. It keeps
# its bytecode (pytest's rewritten test modules too) in __pycache__ even where the environment says
# PYTHONDONTWRITEBYTECODE (the image does): compiling ~300 modules at every run was a third of its time.
unit: $(STAMP) ## the unit ring alone: a few seconds
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q tests/unit

# The model-based test with twenty times the scenarios of `make test`, on SQLite and PostgreSQL (its time
# limit grows with the scenarios: tests/model/test_model.py, TIME_LIMIT).
soak: $(STAMP) ## the model-based test with twenty times the scenarios
	PCC_MODEL_EXAMPLES=500 $(BIN)/pytest -q tests/model/test_model.py tests/model/test_model_cases.py tests/model/test_model_quorum.py

bench: $(STAMP) ## the benchmarks (docs/benchmarks.md)
	$(BIN)/python -m bench.run

# promtool (Debian: `apt-get install prometheus`) on the shipped alerts, their unit tests, and the scrape
# of a running bot (against the simulator); `.ci/run` installs promtool when it is missing.
PROMTOOL ?= promtool
deploy-check: $(STAMP) ## promtool: check and test the alert rules, check a live scrape's metrics
	$(PROMTOOL) check rules deploy/prometheus/alerts.yml
	cd deploy/prometheus && $(PROMTOOL) test rules alerts.test.yml
	$(BIN)/python -m tests.live_scrape > $(VENV)/scrape.txt
	$(PROMTOOL) check metrics < $(VENV)/scrape.txt

env-example: $(STAMP) ## rewrite .env.example from the settings' table (bot/ops/variables.py)
	$(BIN)/python -m bot.ops.envfile > .env.example

# The catalogue: every _("…") / _n("…", "…", n) extracted into bot/locale/pcc_bot.pot, then each
# language's .po updated (new texts come empty; the catalogue test then names what lacks French).
# The .po files are compiled at first use (bot/support/i18n.py); no .mo is kept.
messages: $(STAMP) ## extract the texts to translate and update each language's catalogue
	$(BIN)/pybabel extract -F babel.cfg -k _n:1,2 --no-wrap --sort-by-file \
		--no-location --project pcc-bot --omit-header -o bot/locale/pcc_bot.pot .
	$(BIN)/pybabel update --no-wrap --ignore-pot-creation-date -i bot/locale/pcc_bot.pot -d bot/locale -D pcc_bot

clean: ## remove .venv and the caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
