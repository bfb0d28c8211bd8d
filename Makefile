# Kefu — `make run` sets up and serves the embedded default; `make test` sets up and runs the tests.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export KEFU_PORT ?= 8000

.PHONY: install system-deps run test bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU torch first (pinned; an unpinned resolve pulls the CUDA stack), then the project.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Debian packages the browser tests need (Chromium + CJK font). Installs only when missing and root.
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi wqy; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; \
	  else echo "note: install chromium and fonts-wqy-zenhei for the browser tests"; fi; \
	fi

run: install
	$(BIN)/kefu demo-data --if-empty
	$(BIN)/kefu ingest --if-missing
	$(BIN)/kefu serve --port $(KEFU_PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: install system-deps lint
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/bench_turn.py
	$(BIN)/python bench/bench_retrieval.py

clean:
	rm -rf var/kefu.db var/index .pytest_cache
