# Minhu: `make run` (install, migrate, load the demo, serve) and `make test` (everything).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: serve run install base-deps system-deps test test-sqlite test-postgres lint bench bench-intake bench-fault route-bench demo clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt pyproject.toml package.json package-lock.json $(wildcard minhu/locale/*/LC_MESSAGES/*.po)
	npm ci --no-audit --no-fund --silent
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	$(BIN)/minhu compilemessages -v0 --ignore=.venv --ignore=node_modules
	touch $@

install: base-deps $(VENV)/.installed

run: install
	$(BIN)/minhu migrate --noinput -v0
	$(BIN)/minhu demo --if-empty
	@echo ""
	@echo "Minhu is serving at http://127.0.0.1:$(PORT)/  (residents' H5: http://127.0.0.1:$(PORT)/h5/ , API docs: http://127.0.0.1:$(PORT)/api/docs/)"
	@$(BIN)/minhu demo --logins
	$(BIN)/minhu runserver 127.0.0.1:$(PORT)

# Production start (see docs/deploy.md): migrate, collectstatic, gunicorn with MINHU_WORKERS
# preloaded workers on MINHU_BIND. Set MINHU_DEBUG=0, MINHU_SECRET_KEY, DATABASE_URL, ... first.
serve: install
	$(BIN)/minhu serve

# Debian packages, installed only when missing (as root; otherwise it says what to install):
# gettext (msgfmt) to compile the translations at install; for the tests, Chromium and CJK fonts
# (browser tests), the PostgreSQL server (second pass), Redis (shared-cache tests, started by
# scripts/with-redis.sh) and nginx (the fault benchmark, the sample configuration's check).
BASE_PACKAGES := gettext
TEST_PACKAGES := chromium fonts-noto-cjk postgresql redis-server nginx
define ensure_debian
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Please install Debian packages:$$missing (sudo apt-get install$$missing)"; exit 2; fi; \
	fi
endef

base-deps:
	$(call ensure_debian,$(BASE_PACKAGES))

system-deps: base-deps
	$(call ensure_debian,$(TEST_PACKAGES))

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/minhu makemigrations --check --dry-run -v1

test-sqlite: system-deps install
	scripts/with-redis.sh $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: system-deps install
	scripts/with-postgres.sh $(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

test: system-deps lint test-sqlite test-postgres

route-bench: install
	$(BIN)/python benchmarks/route_bench.py

bench: install
	$(BIN)/minhu bench

# Intake throughput through gunicorn on a throwaway PostgreSQL (fsync on), beside raw inserts;
# a few minutes. BENCH_ARGS e.g. "--open 500 --concurrency 1,8 --seconds 10".
bench-intake: system-deps install
	$(BIN)/python benchmarks/intake_bench.py $(BENCH_ARGS)

# Fault test: PostgreSQL restarted hard twice and one of two app instances behind nginx killed
# while clients post; prints sent/acknowledged/stored/lost/duplicated (docs/operations.md).
bench-fault: system-deps install
	$(BIN)/python benchmarks/fault_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
