# Terrain: two commands. `make run` starts the app with demo data; `make test` runs the whole suite.
# `make serve` runs the production shape (gunicorn workers + scheduler process) locally.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= localhost
PORT ?= 5000
export FLASK_APP := app

.PHONY: run serve test install chromium pdf-libs postgresql clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Debian's Chromium for the browser tests (Playwright never downloads a browser here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	fi

# WeasyPrint (rent receipts, PDF documents) needs Pango and fonts from Debian.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
pdf-libs:
	@missing=$$(for p in $(PDF_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

run: install pdf-libs
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	$(BIN)/flask demo accounts --url http://$(HOST):$(PORT)
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# The production shape on this machine: gunicorn with several workers (gunicorn.conf.py) and
# the alert scheduler as its own process. WORKERS=2 by default; DATABASE_URL, SECRET_KEY and
# TERRAIN_STORAGE are read from the environment as in production (docs/deploy.md).
WORKERS ?= 2
serve: install pdf-libs
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	$(BIN)/flask demo accounts --url http://$(HOST):$(PORT)
	$(BIN)/flask alerts run & sched=$$!; trap 'kill $$sched' EXIT; \
	  TERRAIN_BIND=$(HOST):$(PORT) TERRAIN_WORKERS=$(WORKERS) $(BIN)/gunicorn -c gunicorn.conf.py

# Debian's PostgreSQL server binaries: the suite runs a second time on a throwaway cluster
# (tests/pgcluster.py starts it on loopback and deletes it afterwards).
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi

# The whole suite (unit and browser tests) on SQLite and on PostgreSQL, both runs at once.
test: install chromium pdf-libs postgresql
	BIN=$(BIN) scripts/test-both-databases.sh

clean:
	rm -rf $(VENV) .pytest_cache
