# geonews — the two set-up commands are `make run` and `make test`.
PYTHON ?= .venv/bin/python
VENV_STAMP = .venv/.installed

.PHONY: run test install lint format bench bench-full docker clean assets

$(VENV_STAMP): pyproject.toml
	test -x .venv/bin/python || python3 -m venv .venv
	.venv/bin/pip install -q --upgrade pip
	.venv/bin/pip install -q -e '.[dev,postgres]'
	touch $(VENV_STAMP)

install: $(VENV_STAMP)

## Serve on http://$(HOST):$(PORT) (default 127.0.0.1:8000; `make run PORT=9000 HOST=0.0.0.0` or the same
## as environment variables) with the embedded SQLite database, migrated and seeded (development mode: the
## built-in cursor secret is accepted; production sets GEONEWS_CURSOR_SECRET instead).
HOST ?= 127.0.0.1
PORT ?= 8000
run: $(VENV_STAMP)
	GEONEWS_DEV_MODE=$${GEONEWS_DEV_MODE:-true} .venv/bin/geonews serve --host '$(HOST)' --port '$(PORT)'

## The test suite: SQLite always; PostgreSQL too when GEONEWS_TEST_POSTGRES_URL is set.
test: $(VENV_STAMP)
	GEONEWS_DEV_MODE=true $(PYTHON) -m pytest -n 2 --dist loadfile

lint: $(VENV_STAMP)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
	.venv/bin/mypy app

format: $(VENV_STAMP)
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

# The benchmark servers run in development mode and without rate limits (they measure throughput).
BENCH_ENV = GEONEWS_DEV_MODE=true GEONEWS_RATE_LIMIT_ENABLED=false

bench: $(VENV_STAMP)
	.venv/bin/pip install -q -e '.[bench]'
	$(BENCH_ENV) $(PYTHON) bench/run.py

# bench-full also generates each corpus into PostgreSQL (databases geonews_bench_SIZE on BENCH_PG) and
# serves the same read workloads from it; `make bench-full BENCH_PG=` runs SQLite only.
BENCH_PG ?= postgresql://postgres@127.0.0.1/postgres

bench-full: $(VENV_STAMP)
	.venv/bin/pip install -q -e '.[bench]'
	$(BENCH_ENV) $(PYTHON) bench/run.py --full $(if $(BENCH_PG),--pg $(BENCH_PG))

## Refresh the explorer's vendored browser libraries (pinned in app/web/assets.json) from the npm registry.
assets: $(VENV_STAMP)
	$(PYTHON) -m app.web.assets

docker:
	docker compose up --build

clean:
	rm -rf .venv geonews.db geonews.db-wal geonews.db-shm
