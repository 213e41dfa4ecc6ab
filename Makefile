# Set-up and everyday commands. `make run` and `make test` are the two commands
# a new user needs; both create .venv and install into it.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The CPU build of torch: it installs from a local file on these machines. Any
# unpinned torch would pull a multi-GB CUDA build. GPU users: see the README.
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: run test lint format bench index install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH)" -e ".[dev]"
	$(BIN)/tutor prepare
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/tutor

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 --dist loadfile -q

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Rebuild the bundled index in index/ after editing content/.
index: $(STAMP)
	$(BIN)/tutor index --course

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
