# ghfe — `make run` starts ghfe on a local PostgreSQL; `make test` runs every test.

SHELL := /bin/bash
PG_DEV_DIR   := .local/pg-dev
PG_DEV_PORT  ?= 55432
PG_TEST_DIR  := .local/pg-test
PG_TEST_PORT ?= 55433
PG_E2E_DIR   := .local/pg-e2e
PG_E2E_PORT  ?= 55435

.PHONY: help run test e2e bench bench-reads check-deploy db-stop lint

help: ## this list (a bare `make` prints it)
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## build ghfe and serve it on :8080 against a local PostgreSQL (Ctrl-C stops)
	@scripts/pg.sh start $(PG_DEV_DIR) $(PG_DEV_PORT)
	@cargo build --quiet
	@scripts/run.sh "$$(scripts/pg.sh url $(PG_DEV_DIR) $(PG_DEV_PORT) ghfe)"

test: ## the whole suite against a throwaway PostgreSQL
	@scripts/test.sh $(PG_TEST_DIR) $(PG_TEST_PORT)

e2e: ## the operator pages in headless Chromium (installs Debian's chromium if missing)
	@scripts/e2e.sh $(PG_E2E_DIR) $(PG_E2E_PORT)

bench: ## ghfe beside PostgreSQL's ceiling for its own transaction (about 8 minutes; loopback only)
	@bench/run.sh

bench-reads: ## the operator reads against a 10-million-row delivery log (seeding takes a few minutes)
	@bench/reads/run.sh

check-deploy: ## lint the Dockerfile, test the alert rules, parse the dashboard, render and validate the Helm chart
	@deploy/check.sh

db-stop: ## stop the development PostgreSQL
	@scripts/pg.sh stop $(PG_DEV_DIR)

lint: ## the CI gates besides the tests
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
