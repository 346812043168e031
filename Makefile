# The two entry points of README.md; both build .venv first (idempotent, seconds when built).
PY ?= .venv/bin/python
SEED ?= 7
WORK_DIR ?= work_dirs/demo_seed$(SEED)
PYTEST_ARGS ?= -n 2

.PHONY: setup demo test full-table

setup:
	bash tools/setup_env.sh

demo: setup
	$(PY) tools/demo.py --seed $(SEED) --work-dir $(WORK_DIR)

test: setup
	$(PY) -m pytest tests -q $(PYTEST_ARGS)

full-table: setup
	$(PY) tools/demo.py --seed $(SEED) --work-dir work_dirs/table_seed$(SEED) --full-table
