# Minhu: `make run` (install, migrate, load the demo, serve) and `make test` (everything).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run install system-deps test test-sqlite test-postgres lint bench route-bench demo clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt pyproject.toml
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/minhu migrate --noinput -v0
	$(BIN)/minhu demo --if-empty
	@echo ""
	@echo "Minhu is serving at http://127.0.0.1:$(PORT)/  (residents' H5: http://127.0.0.1:$(PORT)/h5/ , API docs: http://127.0.0.1:$(PORT)/api/docs/)"
	@$(BIN)/minhu demo --logins
	$(BIN)/minhu runserver 127.0.0.1:$(PORT)

# Chromium (Debian) for the browser tests, and the PostgreSQL server for the second pass.
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium postgresql >/dev/null; \
	  else echo "Please install Debian packages: chromium postgresql (sudo apt-get install chromium postgresql)"; exit 2; fi; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/minhu makemigrations --check --dry-run -v1

test-sqlite: install system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install system-deps
	scripts/with-postgres.sh $(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

test: lint test-sqlite test-postgres

route-bench: install
	$(BIN)/python benchmarks/route_bench.py

bench: install
	$(BIN)/minhu bench

clean:
	rm -rf $(VENV) var
