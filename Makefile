# The two commands of the README. Both work on a fresh Debian machine with Python 3.11.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint services-up services-down pytest bench bench-sockets messages

# Installs with uv from PyPI when it can be had, else with pip (MEGILANCE_INSTALL_WITH_PIP=1 forces pip).
$(VENV)/.run-installed: requirements.txt
	@bash scripts/install-requirements.sh requirements.txt $(VENV) $(PYTHON)
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt
	@bash scripts/install-requirements.sh requirements-dev.txt $(VENV) $(PYTHON)
	@touch $(VENV)/.run-installed $@

## make run: the whole product on http://127.0.0.1:$(PORT) with the embedded default
run: $(VENV)/.run-installed
	@echo "==> Preparing the database"
	@$(PY) manage.py migrate --noinput --verbosity 0
	@echo "==> Loading the demo data (once)"
	@PORT=$(PORT) $(PY) manage.py seed_demo
	PORT=$(PORT) $(PY) manage.py serve

## make test: the whole suite against private PostgreSQL and Redis
test: $(VENV)/.dev-installed
	bash scripts/test.sh

# mypy checks the apps listed in MYPY_APPS (with the django and DRF plugins); add an app once it is clean.
MYPY_APPS ?= core risk megilance devtools support accounts analytics discovery messaging payments contracts gigs marketplace
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy $(MYPY_APPS)

# For development: keep PostgreSQL and Redis up between runs, then `make pytest ARGS="-k login"`.
services-up:
	scripts/services.sh start .var/services
services-down:
	scripts/services.sh stop .var/services
pytest: $(VENV)/.dev-installed
	source .var/services/env && DJANGO_SETTINGS_MODULE=megilance.settings.test $(PY) -m pytest --reuse-db $(ARGS)

## make bench: the product against its floor at marketplace scale (starts PostgreSQL and Redis when they are
## not up, installs wrk from Debian when missing); writes BENCHMARKS.md and bench/figures/. ARGS="--quick" for
## a smoke run at 10,000 projects. bench/projects_search.py measures browsing and search in process.
bench: $(VENV)/.dev-installed
	test -f .var/services/env || scripts/services.sh start .var/services
	source .var/services/env && $(PY) bench/run.py $(ARGS)

## make messages: collects the translatable texts of the templates and the Python code into locale/{es,de}, then
## compiles them. Translate every new or fuzzy entry in the .po files and run it again; commit the .po and .mo files
## (core/tests/test_catalogues.py fails on an untranslated or fuzzy entry).
MESSAGE_IGNORES := --ignore=.venv --ignore=.var --ignore=var --ignore=staticfiles --ignore=bench --ignore='*/tests/*' \
	--ignore=tests --ignore=devtools --ignore='templates/drf_spectacular/*' \
	--ignore='templates/devtools/*' --ignore=docs --ignore=deploy --ignore=scripts
messages: $(VENV)/.dev-installed
	DJANGO_SETTINGS_MODULE=megilance.settings.test $(PY) manage.py makemessages -l es -l de --no-obsolete $(MESSAGE_IGNORES)
	DJANGO_SETTINGS_MODULE=megilance.settings.test $(PY) manage.py makemessages -d djangojs -l es -l de --no-obsolete $(MESSAGE_IGNORES)
	DJANGO_SETTINGS_MODULE=megilance.settings.test $(PY) manage.py compilemessages --ignore=.venv

## make bench-sockets: 1,000 sockets in 500 chats on two uvicorn processes sharing channels-redis, 200 messages/s;
## delivery latency, messages not delivered within 15 s, memory per socket (BENCHMARKS.md). ARGS="--sockets 200
## --rate 40" for a smaller run, ARGS="--profile DIR" to record one server with py-spy.
bench-sockets: $(VENV)/.dev-installed
	test -f .var/services/env || scripts/services.sh start .var/services
	source .var/services/env && $(PY) bench/sockets.py $(ARGS)
