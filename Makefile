# The project's commands. `make dev` runs the whole portal; `make test` runs the whole suite.
# Both work on a fresh machine: they create .venv and install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export SANDBOX_PORT ?= 8001
export PYTHONUNBUFFERED := 1

.PHONY: gettext-tools dev test lint bench sandbox sandbox-demo install install-dev migrate seed vendor clean help messages makemessages

help:
	@echo "make dev      start web, worker, beat and the ButterflyMX sandbox with demo data"
	@echo "make test     run the whole test suite"
	@echo "make lint     ruff, mypy and makemigrations --check"
	@echo "make bench    run every benchmark in bench/ (BENCH_SCALE=small for a quick run)"
	@echo "make sandbox  run the local ButterflyMX sandbox alone; make sandbox-demo prints its demo JSON"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# A stamp per requirements file: reinstall only when it changes.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed messages
install-dev: $(VENV)/.installed-dev messages

# The translation catalogs, compiled at install time (the .mo files are not in git). msgfmt and xgettext
# are GNU gettext's (Debian's package), installed here when missing.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)
gettext-tools:
	@command -v msgfmt >/dev/null && command -v xgettext >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null)
locale/%.mo: locale/%.po | gettext-tools
	msgfmt --check-format -o $@ $<
messages: $(MO_FILES)

# After marking strings: bring every catalog up to date with the code (then translate the new entries;
# `make lint` fails while one is empty or fuzzy: tests/i18n/test_catalogs.py).
makemessages: install-dev gettext-tools
	$(BIN)/python manage.py catalogs

migrate: install
	$(BIN)/python manage.py migrate --noinput

# The sandbox runs for the seed (so the demo links to it at once), then honcho starts it for good.
seed: migrate
	@$(BIN)/python -m sandbox serve --port $(SANDBOX_PORT) > var/sandbox-seed.log 2>&1 & pid=$$!; \
	  $(BIN)/python manage.py seed_demo --wait-for-sandbox 20; status=$$?; \
	  kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; exit $$status

dev: seed
	@echo ""
	@echo "  Portal:   http://127.0.0.1:$(PORT)/"
	@echo "  Sandbox:  http://127.0.0.1:$(SANDBOX_PORT)/  (the local ButterflyMX; see docs/sandbox.md)"
	@echo "  Health:   http://127.0.0.1:$(PORT)/healthz"
	@echo ""
	@# honcho gives each process its own PORT (web's, +100 for the worker, ...): PORTAL_PORT keeps the
	@# web's for all, so the worker registers webhooks at the address the portal really serves on.
	PORT=$(PORT) PORTAL_PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

# The browser tests drive Debian's Chromium, the proxy rate-limit test runs a real nginx and the wallet
# test verifies the .pkpass signature with the openssl command (Debian's packages), installed here as
# `make bench` installs wrk; outside CI a machine without apt rights skips those tests instead (under
# CI=true they must run).
test: install-dev
	@(command -v chromium >/dev/null && command -v openssl >/dev/null && (command -v nginx >/dev/null || test -x /usr/sbin/nginx)) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nginx openssl >/dev/null) || [ "$$CI" != true ]
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev gettext-tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py catalogs --check
	$(BIN)/python -m pytest -p no:cacheprovider -q tests/i18n

# bench_load.py drives gunicorn with wrk (Debian's package), installed here as .ci/run installs chromium.
bench: install-dev
	@command -v wrk >/dev/null && command -v nginx >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx >/dev/null)
	@set -e; for script in bench/bench_*.py; do echo "# $$script"; $(BIN)/python $$script; done

sandbox: install
	$(BIN)/python -m sandbox serve --port $(SANDBOX_PORT)

sandbox-demo: install
	@$(BIN)/python -m sandbox demo-json

vendor:
	scripts/vendor-assets.sh

clean:
	rm -rf $(VENV) var staticfiles
