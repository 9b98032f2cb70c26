# Spark: `make run` starts the platform on embedded defaults; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/spark
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0
# The concurrent-orders bench's PostgreSQL database (created when missing) and Redis.
BENCH_PG_URL ?= postgres://postgres@127.0.0.1:5432/spark_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/0
# The chart library served from static/vendor/ (no CDN at run time); `make vendor` re-fetches it.
LWC_VERSION := 5.3.0
LWC_SHA1 := f4a90dca971cf0727f9bbaceb1e5090cb3b5b4c9
LWC_DIR := static/vendor/lightweight-charts

.PHONY: run test quick lint format bench smoke run-streams clean vendor

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[scale]"
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[scale,test]"
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	PORT=$(PORT) $(BIN)/python scripts/run_platform.py

run-streams: $(VENV)/.run-installed
	$(BIN)/python manage.py run_streams

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.test-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The whole suite: lint, SQLite + in-memory layer, then the backend tests on PostgreSQL + Redis.
test: lint
	bash scripts/test_services.sh
	$(BIN)/pytest
	DATABASE_URL=$(PG_TEST_URL) REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest -m backends

# Without browser, soak and monitoring tests: the inner loop while coding.
quick: $(VENV)/.test-installed
	$(BIN)/pytest -m "not e2e and not soak and not monitoring" -x -q

bench: $(VENV)/.test-installed
	BENCH_PG_URL=$(BENCH_PG_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python -m bench $(if $(PROFILE),--profile,)

smoke: $(VENV)/.run-installed
	$(BIN)/python scripts/smoke.py

# Re-fetch the committed chart library from the npm registry: exactly LWC_VERSION, checked.
vendor:
	rm -rf .vendor-tmp && mkdir .vendor-tmp
	cd .vendor-tmp && npm pack --silent lightweight-charts@$(LWC_VERSION)
	echo "$(LWC_SHA1)  .vendor-tmp/lightweight-charts-$(LWC_VERSION).tgz" | sha1sum -c -
	tar -xzf .vendor-tmp/lightweight-charts-$(LWC_VERSION).tgz -C .vendor-tmp
	mkdir -p $(LWC_DIR)
	cp .vendor-tmp/package/dist/lightweight-charts.standalone.production.js .vendor-tmp/package/LICENSE $(LWC_DIR)/
	rm -rf .vendor-tmp

clean:
	rm -rf var/*.sqlite3* .pytest-*
