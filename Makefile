# newswire: `make demo` runs it, `make test` checks it. Both set everything up first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit integration bench setup clean

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (need Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/newswire demo

lint: $(STAMP)
	$(BIN)/ruff check pipeline agents schemas tests
	$(BIN)/ruff format --check pipeline agents schemas tests

typecheck: $(STAMP)
	$(BIN)/mypy --strict pipeline agents schemas

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

integration: $(STAMP)
	$(BIN)/pytest tests/integration -q

test: lint typecheck
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/newswire bench flow

clean:
	rm -rf $(VENV) .newswire .mypy_cache .ruff_cache .pytest_cache
