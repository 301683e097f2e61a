# Support Dojo — the two commands are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1
# The ASGI server's frame limit: a 4000-character message is ~16 KB of JSON at worst.
WS_MAX_SIZE ?= 65536

.PHONY: run test worker beat lint fmt migrate seed serve bench clean check screenshots audit \
	audit-baseline validity

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

migrate: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	@if ls scenarios/library/*.yaml >/dev/null 2>&1; then \
		$(BIN)/python manage.py import_scenarios scenarios/library/*.yaml; fi
	@if $(BIN)/python manage.py help load_achievements >/dev/null 2>&1; then \
		$(BIN)/python manage.py load_achievements; fi
	@$(BIN)/python manage.py create_demo_accounts || true
	@# The demo team's trainees and their scored history (a few seconds, first run only).
	@OFFLINE_ENGINE_PACE=0 $(BIN)/python manage.py create_demo_history || true

## make run: install, migrate, load the library and demo accounts, serve HTTP + WebSocket.
## Under the ASGI server every HTTP request runs in a thread of its own: on PostgreSQL the
## connections come from a bounded pool (DB_POOL_MAX_SIZE), not one kept per thread (63 idle
## connections after a load test, out of PostgreSQL's 100). Ignored on SQLite.
run: export DB_POOL_MAX_SIZE ?= 20
## With DJANGO_DEBUG=false it collects static files first: production settings name them by
## content hash from a manifest that only collectstatic writes (without it, every page is a 500).
run: seed
	@if [ "$$($(BIN)/python -c 'from config import settings; print(settings.DEBUG)')" = False ]; \
		then $(BIN)/python manage.py collectstatic --noinput -v0; fi
	@echo "Support Dojo on http://$(HOST):$(PORT)/  (demo@example.com / dojo-demo-pass)"
	$(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) \
		--ws-max-size $(WS_MAX_SIZE) --proxy-headers --lifespan off

## make test: the whole suite (unit, integration; browser journeys when Chromium is present).
test: $(VENV)/.dev
	$(BIN)/pytest $(PYTEST_ARGS)

## make screenshots: PNGs of the main pages at 1280×800 and 390×844 in artifacts/screenshots/.
screenshots: $(VENV)/.dev
	DOJO_SCREENSHOTS=1 DOJO_REQUIRE_BROWSER=1 $(BIN)/pytest tests/e2e/test_screenshots.py -q \
		-p no:cacheprovider $(PYTEST_ARGS)
	@echo "Screenshots in artifacts/screenshots/"

## make serve: the production topology. HTTP through granian's WSGI interface (one worker per
## core) on PORT, /ws/ through uvicorn on WS_PORT (one worker per core with REDIS_URL, else one);
## a reverse proxy splits them (bench/nginx.conf). Needs SECRET_KEY and ALLOWED_HOSTS.
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
WS_PORT ?= 8001
serve: $(VENV)/.runtime
	@test -n "$$SECRET_KEY" || { echo "make serve runs with DJANGO_DEBUG=false: set SECRET_KEY" \
		"and ALLOWED_HOSTS (and DATABASE_URL, REDIS_URL)"; exit 2; }
	DJANGO_DEBUG=false $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=false $(BIN)/python manage.py collectstatic --noinput -v0
	@echo "HTTP on $(HOST):$(PORT) (granian WSGI), WebSockets on $(HOST):$(WS_PORT) (uvicorn)."
	@echo "Reverse proxy (nginx), as in bench/nginx.conf:"; sed -n '/^upstream/,$$p' bench/nginx.conf
	@ws_workers=$$( [ -n "$$REDIS_URL" ] && echo $(WORKERS) || echo 1 ); \
	trap 'kill 0' INT TERM EXIT; \
	DJANGO_DEBUG=false $(BIN)/granian --interface wsgi --host $(HOST) --port $(PORT) \
		--workers $(WORKERS) --no-ws --log-level warning config.wsgi:application & \
	DJANGO_DEBUG=false $(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(WS_PORT) \
		--workers $$ws_workers --ws-max-size $(WS_MAX_SIZE) --proxy-headers --lifespan off \
		--no-access-log & \
	wait

## make bench: measure the production topology against in-run references and write
## bench/RESULTS.md (~12-18 min; BENCH_QUICK=1 for ~5). PostgreSQL `dojo_bench` + Redis DB 8.
bench: $(VENV)/.dev
	$(BIN)/python -m bench.run

## make validity: how well the customer and the rubric follow what the trainee meant, on the
## labelled corpus in validity/corpus/; writes docs/validity.md, fails when a target is missed.
validity: $(VENV)/.runtime
	$(BIN)/python -m validity.run --check

## make worker: a Celery worker with the periodic sweeps (beat) inside it (needs REDIS_URL).
## Scale out with `make worker BEAT=0` for every further worker: one beat per deployment.
BEAT ?= 1
worker: $(VENV)/.runtime
	$(BIN)/celery -A config worker --loglevel=INFO --concurrency=$${CELERY_CONCURRENCY:-2} \
		$(if $(filter 1,$(BEAT)),--beat --schedule=$(VENV)/celerybeat-schedule)

## make beat: the sweeps on their own, for deployments that run every worker with BEAT=0.
beat: $(VENV)/.runtime
	$(BIN)/celery -A config beat --loglevel=INFO --schedule=$(VENV)/celerybeat-schedule

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Our apps' migrations must be safe to run under the previous release (django-migration-linter).
# Initial migrations are exempt: they create tables no deployed code uses yet. The linter reads
# the SQL of the configured database, so it runs on PostgreSQL, as production does (and CI).
MIGRATION_APPS := accounts scenarios sessions_app performance gamification
check: $(VENV)/.dev
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	@case "$${DATABASE_URL:-}" in \
	  postgres*) $(BIN)/python manage.py lintmigrations --no-cache --ignore-initial-migrations \
	    --include-apps $(MIGRATION_APPS) ;; \
	  *) echo "lintmigrations: skipped, it needs PostgreSQL (set DATABASE_URL=postgres://...)" ;; \
	esac

## make audit: known-vulnerable dependencies (pip-audit) and risky code (bandit, with the
## reviewed baseline .ci/bandit-baseline.json). An unreachable vulnerability service warns loudly.
audit: $(VENV)/.dev
	$(BIN)/python .ci/audit.py

audit-baseline: $(VENV)/.dev
	$(BIN)/python .ci/audit.py --update-baseline

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
