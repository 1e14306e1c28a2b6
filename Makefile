# Lifeline. The two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROCFILE := $(if $(STRIPE_SECRET_KEY),Procfile,Procfile.standin)
SCALE_PROCFILE := $(if $(STRIPE_SECRET_KEY),Procfile.scale,Procfile.scale.standin)
# Without STRIPE_SECRET_KEY the Procfiles start the Stripe stand-in: install it first.
STANDIN := $(if $(STRIPE_SECRET_KEY),,$(VENV)/.installed-standin)

.PHONY: FORCE run run-scale scale-preflight test test-fast lint-imports test-faults bench-load install install-dev chromium nginx fonts apt-install migrate seed static clean bench-tools stripe-proof messages compilemessages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-standin: requirements-standin.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-standin.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements-standin.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; it cannot
# download its own browser here).
chromium:
	@$(MAKE) --no-print-directory apt-install PROGRAM=/usr/bin/chromium PACKAGE=chromium

# Debian's nginx: the cache in front of the appeal page in `make run-scale`
# (docs/page-cache.md), and the test that drives it.
nginx:
	@$(MAKE) --no-print-directory apt-install PROGRAM=/usr/sbin/nginx PACKAGE=nginx

# Debian's fonts for the receipt PDF (donations/receipts/fonts.py): DejaVu Sans (Latin,
# Cyrillic, Arabic) and Droid Sans Fallback (Chinese, Japanese, Korean). Without them
# `manage.py migrate` and the receipts refuse, naming them.
fonts:
	@$(MAKE) --no-print-directory apt-install PROGRAM=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf PACKAGE=fonts-dejavu-core
	@$(MAKE) --no-print-directory apt-install PROGRAM=/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf PACKAGE=fonts-droid-fallback

# One Debian package, installed only when PROGRAM (a program or a font file) is missing.
apt-install:
	@if [ ! -e $(PROGRAM) ]; then \
		echo "Installing Debian's $(PACKAGE)…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(PACKAGE) >/dev/null; \
	fi

var:
	mkdir -p var/broker/queue var/broker/processed

# The languages (docs/languages.md). `make messages` extracts every translatable string into
# locale/<lang>/LC_MESSAGES/django.po (GNU gettext's xgettext, for developers only: installed
# here if missing); translate the new entries, then the build compiles them with Babel
# (scripts/compile_messages.py; the .mo files are not in git).
LANGUAGE_CODES := uk pl de fr es ar
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

messages: install
	@$(MAKE) --no-print-directory apt-install PROGRAM=/usr/bin/xgettext PACKAGE=gettext
	$(BIN)/python manage.py makemessages --no-obsolete --add-location file \
		$(foreach l,$(LANGUAGE_CODES),--locale $(l)) \
		--ignore '.venv/*' --ignore 'tests/*' --ignore 'bench/*' --ignore 'staticfiles/*' \
		--ignore 'var/*' --ignore 'scripts/*'

compilemessages: $(MO_FILES)

locale/%.mo: locale/%.po | $(VENV)/.installed
	$(BIN)/python scripts/compile_messages.py $<

migrate: install var fonts
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

static: install compilemessages
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

# Everything on http://127.0.0.1:8000; Ctrl-C stops every process honcho started.
run: seed static compilemessages $(STANDIN) var/make-run.sentinel

# A file target on purpose: when make is sent SIGINT it deletes this file (GNU make removes
# an interrupted recipe's target), which tells scripts/supervise.py to stop honcho.
var/make-run.sentinel: FORCE
	$(BIN)/python scripts/supervise.py $@ $(PROCFILE)

FORCE:

# Several web processes (WEB_PROCESSES, default 4, × 4 threads), two Celery workers and one
# beat, against PostgreSQL, Redis (or RabbitMQ) and a Redis cache: README, "Running at scale".
# nginx on PORT_WEB (8000) in front, keeping the appeal page (docs/page-cache.md), gunicorn
# on PORT_APP (8001). Refuses unless DATABASE_URL, CELERY_BROKER_URL and CACHE_URL name
# shared servers.
run-scale: scale-preflight seed static $(STANDIN) var/make-run-scale.sentinel

scale-preflight: install nginx
	$(BIN)/python scripts/scale_preflight.py

var/make-run-scale.sentinel: FORCE
	$(BIN)/python scripts/supervise.py $@ $(SCALE_PROCFILE)

# Only the fault tests (private PostgreSQL and Redis restarted under load); `make test` runs
# them too.
test-faults: install-dev var
	$(BIN)/python -m pytest -m faults tests/faults

# N donors for M minutes through 2 web processes and 2 workers (bench/load.py; figures in
# docs/BENCHMARKS.md).
bench-load: install-dev var
	$(BIN)/python bench/load.py $(BENCH_ARGS)

# The layers (docs/architecture.md): import-linter's contracts in .importlinter.
lint-imports: install-dev
	$(BIN)/lint-imports

test: install-dev chromium nginx fonts compilemessages var lint-imports
	$(BIN)/python -m pytest

# The fast tier (tests/unit/): no server process, no stand-in, no browser; under 30 s.
test-fast: install-dev compilemessages lint-imports
	$(BIN)/python -m pytest tests/unit -q

# The same gifts as the suite (4242, a decline then 4242, 3-D Secure, a refund) through our
# services against Stripe's test mode, with STRIPE_SECRET_KEY=sk_test_… (STRIPE_API_BASE for
# the stand-in); no key: says so, sends nothing. README, "Proving it against real Stripe".
stripe-proof: install
	$(BIN)/python scripts/stripe_proof.py

clean:
	rm -rf $(VENV) var staticfiles db.sqlite3

# The load tool for bench/appeal_page.py (Debian's wrk).
bench-tools:
	@command -v wrk >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }
