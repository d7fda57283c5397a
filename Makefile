# IFM: `make run` serves the platform on http://localhost:8000/, `make test` runs every check.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON := .venv/bin/python
MANAGE := DJANGO_SETTINGS_MODULE=saas_platform.settings.local $(PYTHON) manage.py
TEST_SETTINGS := DJANGO_SETTINGS_MODULE=saas_platform.settings.test
DATABASE ?= ifm
PORT ?= 8000
# pytest's worker processes in `make test` (pytest-xdist): one per CPU; `TEST_WORKERS=0` runs in one.
TEST_WORKERS ?= auto

.PHONY: help install services database run test lint typecheck importlint format \
	migrations-check bench \
	bench-ledger bench-imports bench-donors bench-reconcile bench-pages bench-ocr bench-requests \
	bench-migrations bench-webhooks bench-drain

help:
	@echo "make run    install what is missing, migrate, create the demo tenant and serve :8000"
	@echo "make test   lint, import contracts, migrations check and the whole test suite"
	@echo "make lint   ruff (lint and format check)"
	@echo "make typecheck  mypy with django-stubs and djangorestframework-stubs"
	@echo "make importlint  import-linter: the direction of imports between apps (pyproject.toml)"
	@echo "make bench  provisioning benchmark"
	@echo "make bench-migrations  migrate_schemas at 1,000 tenants: nothing to apply, then one new"
	@echo "                   migration (database ifm_bench_scale)"
	@echo "make bench-ledger  accounting reports on a million journal lines, or LINES=... (database ifm_bench)"
	@echo "make bench-imports CSV imports of 10,000 donors and gifts (database ifm_bench_imports)"
	@echo "make bench-donors  donor search, giving summaries and fundraising reports on 100,000"
	@echo "                   donors (database ifm_bench_donors)"
	@echo "make bench-reconcile  auto-match of a 2,000-line bank statement against 100,000 ledger"
	@echo "                   lines (database ifm_bench_reconcile)"
	@echo "make bench-pages   server time of the donor list, search, a donor's page and each"
	@echo "                   role's dashboard on 100,000 donors (database ifm_bench_pages)"
	@echo "make bench-webhooks 10,000 signed Stripe Connect events of 20 organizations sent with"
	@echo "                   duplicates and out of order by 8 senders to gunicorn and a Celery"
	@echo "                   worker: applied once, clearing exact, events/s and p95 to the gift"
	@echo "                   (database ifm_bench_webhooks)"
	@echo "make bench-drain   what one drain of Connect events costs in CPU and statements, by"
	@echo "                   how many gifts it holds: F (every drain) and c (each event)"
	@echo "                   (database ifm_bench_drain)"
	@echo "make bench-ocr     reading 300 generated check scans: per field right, flagged and"
	@echo "                   wrong without a flag, seconds per check (no database)"
	@echo "make bench-requests  a warm authenticated API read over HTTP (gunicorn): IFM beside a"
	@echo "                   bare django-tenants view, and through PgBouncer (ifm_bench_requests)"

install:
	@deploy/bootstrap/install.sh

services:
	@deploy/bootstrap/services.sh

database: install services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(DATABASE)'" | grep -q 1 \
		|| psql -h 127.0.0.1 -U postgres -qc 'CREATE DATABASE "$(DATABASE)"'
	@$(MANAGE) migrate_schemas -v 0
	@$(MANAGE) platform_setup --operator-email operator@ifm.localhost --operator-password operator-demo-2026
	@PLATFORM_PORT=$(PORT) $(MANAGE) demo_setup

# The server and a worker with beat inside it (the schedule: retries, monthly gifts, spare
# schemas; its state in var/); the pages and logins are printed once the server answers.
run: database
	@trap 'kill 0' EXIT INT TERM; mkdir -p var; \
	PLATFORM_PORT=$(PORT) DJANGO_SETTINGS_MODULE=saas_platform.settings.local .venv/bin/celery -A saas_platform worker --beat --schedule var/celerybeat-schedule --loglevel INFO --concurrency 2 -Q default,provisioning,imports,email,webhooks & \
	PLATFORM_PORT=$(PORT) $(MANAGE) runserver 0.0.0.0:$(PORT) & server=$$!; \
	until curl -sf -o /dev/null -H 'Host: localhost:$(PORT)' http://127.0.0.1:$(PORT)/healthz; do \
		kill -0 $$server 2>/dev/null || exit 1; sleep 0.5; done; \
	PLATFORM_PORT=$(PORT) $(MANAGE) demo_welcome; \
	wait

lint: install
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .

# The plugin imports the test settings, which need no database; the cache lives in var/.
typecheck: install
	@$(TEST_SETTINGS) .venv/bin/mypy .

importlint: install
	@.venv/bin/lint-imports

format: install
	@.venv/bin/ruff check --fix .
	@.venv/bin/ruff format .

migrations-check: install services
	@$(TEST_SETTINGS) $(PYTHON) manage.py makemigrations --check --dry-run

# Each test module runs whole on one worker (`--dist loadfile`), each worker with its own test
# database, Redis database and media folder (saas_platform/settings/test.py). Modules are handed
# out in collection order, the slow ones (provisioning, browser) first (`testpaths`), so that no
# long module is left running alone at the end.
test: lint typecheck importlint migrations-check
	@$(TEST_SETTINGS) .venv/bin/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25

bench: database
	@DJANGO_SETTINGS_MODULE=saas_platform.settings.local $(PYTHON) bench/provisioning.py

bench-migrations: install services
	@DJANGO_SETTINGS_MODULE=saas_platform.settings.local $(PYTHON) bench/migrations.py

bench-ledger: install services
	@LINES=$(LINES) DJANGO_SETTINGS_MODULE=saas_platform.settings.local $(PYTHON) bench/ledger.py

bench-imports: install services
	@DJANGO_SETTINGS_MODULE=saas_platform.settings.local $(PYTHON) bench/imports.py

bench-donors: install services
	@DJANGO_SETTINGS_MODULE=saas_platform.settings.local $(PYTHON) bench/donors.py

bench-reconcile: install services
	@DJANGO_SETTINGS_MODULE=saas_platform.settings.local $(PYTHON) bench/reconcile.py

bench-pages: install services
	@DJANGO_SETTINGS_MODULE=saas_platform.settings.local $(PYTHON) bench/pages.py

bench-webhooks: install services
	@DJANGO_SETTINGS_MODULE=saas_platform.settings.local $(PYTHON) bench/webhooks.py

bench-drain: install services
	@DJANGO_SETTINGS_MODULE=saas_platform.settings.local $(PYTHON) bench/drain_cost.py

bench-ocr: install
	@$(PYTHON) bench/ocr.py

bench-requests: install services
	@DJANGO_SETTINGS_MODULE=saas_platform.settings.local $(PYTHON) bench/request_path.py
