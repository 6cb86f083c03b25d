# The README's commands. `make demo` and `make test` do all set-up on a fresh machine.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-shifted lint unit golden schema bench clean

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(PY) -m pipeline.demo

# Both cores (pytest-xdist); each worker starts its own servers. `make test` also runs the
# tests of "now" (marker clock) with every Python process's clock a year ahead.
PYTEST := $(PY) -m pytest -n 2
SHIFTED := PYTHONPATH=$(CURDIR)/tests/clock PIPELINE_CLOCK_SHIFT_DAYS=365

test: setup lint
	$(PYTEST) --durations=15
	$(SHIFTED) $(PYTEST) -W "ignore:Module already imported:pytest.PytestAssertRewriteWarning" -m clock

# The whole suite with the wall clock of every Python process a year ahead
# (tests/clock/sitecustomize.py); the monotonic clock and the Go servers keep real time.
test-shifted: setup
	$(SHIFTED) $(PYTEST) -W "ignore:Module already imported:pytest.PytestAssertRewriteWarning"

lint: setup
	$(VENV)/bin/ruff check pipeline tests bench
	$(VENV)/bin/ruff format --check pipeline tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache  # the stages' import contract (pyproject.toml)

unit: setup
	$(PYTEST) -m "not prometheus and not victoria"

golden: setup
	UPDATE_GOLDEN=1 $(PY) -m pytest tests/test_golden.py

# docs/summary.schema.json from the summary model (tests/test_summary_schema.py checks it)
schema: setup
	$(PY) -c "from pipeline.outputs.summary_model import schema_text; print(schema_text(), end='')" \
		> docs/summary.schema.json

# `make bench` compares with the code before issue 26's speed work (BENCH_BEFORE=<rev> for another)
BENCH_BEFORE ?= 2450c5e
bench: setup
	$(PY) bench/run_bench.py --before $(BENCH_BEFORE)

clean:
	rm -rf $(VENV) .demo reports .mypy_cache .ruff_cache .pytest_cache
