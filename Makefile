# make run   build the demo data into crm_metrics.duckdb (publishing crm_metrics.serving.duckdb),
#            export the marts to out/marts and write the report to out/report.html (installs
#            the package only: `make install`)
# make test  lint (ruff, sqlfluff) and the whole pytest suite (adds the dev and engine extras:
#            `make setup`)
# make lint  ruff check + format check on python/, contract check, sqlfluff on models/
# make contract  re-render the files generated from contract/raw_schema.yml: models/generated/
#                (sources, seed types, the staging, validation, accepted-row, rejects and
#                findings models and their YAML) and macros/generated/
# make docs      re-render docs/metrics.md from the model YAML
# make dashboard build the Evidence dashboard (dashboard/) on the serving snapshot into
#                dashboard/build: npm ci from its lockfile, Evidence's sources step (copies the
#                snapshot's query results to Parquet), then the static site. SERVING=path shows
#                another snapshot. Needs Node.js and npm; `make run` stays Python-only
# make clean     remove build outputs (keeps .venv)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

VENV := .venv
BIN := $(VENV)/bin
# One stamp per install: the package alone (`make run`), then the dev and engine extras on top.
STAMP := $(VENV)/.installed-main
DEV_STAMP := $(VENV)/.installed-dev
DATABASE ?= crm_metrics.duckdb
OUT ?= out/marts

.PHONY: run test lint contract docs clean install setup dashboard

$(BIN)/python:
	if command -v python3.11 >/dev/null 2>&1; then python3.11 -m venv $(VENV); \
	else python3 -m venv $(VENV); fi

# Reinstall only when pyproject.toml is newer than the stamp. The main job needs the package and
# its dependencies only; tests and lint add pytest, ruff, sqlfluff, and PostgreSQL and Spark.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,engines]'
	touch $(DEV_STAMP)

install: $(STAMP)

setup: $(DEV_STAMP)

run: install
	$(BIN)/crm-metrics build --database $(DATABASE)
	$(BIN)/crm-metrics export --database $(DATABASE) --out $(OUT)
	$(BIN)/crm-metrics report --database $(DATABASE) --out out/report.html

# sqlfluff's dbt templater compiles the models with var crm_compile_offline (.sqlfluff): the
# staging models take the raw tables' columns from the contract instead of the warehouse, so no
# seeds are built first. dbt still opens a database (is_incremental asks whether a table exists):
# a throwaway one, with dbt's target/ and logs/ in the same throwaway folder (parallel runs never
# share them).
lint: setup
	$(BIN)/ruff check python
	$(BIN)/ruff format --check python
	lint_dir=$$(mktemp -d) && trap 'rm -rf "$$lint_dir"' EXIT && \
	export CRM_METRICS_DUCKDB_PATH="$$lint_dir/lint.duckdb" DBT_TARGET_PATH="$$lint_dir/target" \
		DBT_LOG_PATH="$$lint_dir/logs" DBT_SEND_ANONYMOUS_USAGE_STATS=false && \
	$(BIN)/crm-metrics contract check && \
	$(BIN)/sqlfluff lint models --processes 0

# pytest exits 5 when it collects no tests: that is a failure here too. Tests run on both cores
# (pytest-xdist), a test file per worker so module fixtures (one dbt build each) are built once.
test: lint
	status=0; $(BIN)/pytest -n 2 --dist loadfile --durations=15 || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

contract: install
	$(BIN)/crm-metrics contract render

docs: install
	$(BIN)/crm-metrics docs render

# The dashboard's DuckDB source opens dashboard/sources/crm/snapshot.duckdb (Evidence resolves a
# source's file name from the source's folder): a symbolic link to the snapshot to show.
SERVING ?= $(basename $(DATABASE)).serving$(suffix $(DATABASE))
DASHBOARD_STAMP := dashboard/node_modules/.installed

$(DASHBOARD_STAMP): dashboard/package.json dashboard/package-lock.json dashboard/scripts/duckdb-wasm-0.9.mjs
	command -v npm >/dev/null || { echo "make dashboard needs Node.js and npm" >&2; exit 1; }
	cd dashboard && npm ci --no-audit --no-fund
	touch $(DASHBOARD_STAMP)

dashboard: $(DASHBOARD_STAMP)
	test -f $(SERVING) || { echo "no serving snapshot $(SERVING): run make run first, or SERVING=path" >&2; exit 1; }
	ln -sfn $(abspath $(SERVING)) dashboard/sources/crm/snapshot.duckdb
	cd dashboard && npm run sources && npm run build
	@echo "dashboard built from $(SERVING) into dashboard/build (view it: cd dashboard && npm run preview)"

clean:
	rm -rf target logs out dbt_packages .pytest_cache .ruff_cache
	rm -f $(DATABASE) $(DATABASE).wal $(DATABASE).lock $(basename $(DATABASE)).serving$(suffix $(DATABASE))
