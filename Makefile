# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench peers bench-recommend clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,dev]' -c constraints.txt
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tailorwise demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -n 2 --durations=15

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py

# Peer libraries (RecTools) for benchmarks/recommend.py, in their own venv: they pin
# numpy<2 and their own pandas, and only ever run as subprocesses of the benchmark.
PEERS_VENV ?= .venv-peers
PEERS_STAMP := $(PEERS_VENV)/.installed

$(PEERS_STAMP): benchmarks/requirements-peers.txt
	test -x $(PEERS_VENV)/bin/python || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PEERS_VENV)/bin/python -m pip install --quiet -r benchmarks/requirements-peers.txt
	touch $(PEERS_STAMP)

peers: $(PEERS_STAMP)

bench-recommend: $(STAMP) $(PEERS_STAMP)
	$(BIN)/python benchmarks/recommend.py

clean:
	rm -rf $(VENV) $(PEERS_VENV) tailorwise.duckdb rejects
