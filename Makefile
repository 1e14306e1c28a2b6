# Lifeline. The two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROCFILE := $(if $(STRIPE_SECRET_KEY),Procfile,Procfile.standin)

.PHONY: FORCE run test install install-dev chromium migrate seed static ci clean bench-tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; it cannot
# download its own browser here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

var:
	mkdir -p var/broker/queue var/broker/processed

migrate: install var
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

static: install
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

# Everything on http://127.0.0.1:8000; Ctrl-C stops every process honcho started.
run: seed static var/make-run.sentinel

# A file target on purpose: when make is sent SIGINT it deletes this file (GNU make removes
# an interrupted recipe's target), which tells scripts/supervise.py to stop honcho.
var/make-run.sentinel: FORCE
	$(BIN)/python scripts/supervise.py $@ $(PROCFILE)

FORCE:

test: install-dev chromium var
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) var staticfiles db.sqlite3

# The load tool for bench/appeal_page.py (Debian's wrk).
bench-tools:
	@command -v wrk >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }
