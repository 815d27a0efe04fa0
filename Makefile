# Two entry points: `make demo` runs the quickstart experiment, `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint docs docs-check gallery bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,distributed]"
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/rltheory demo

# Every run shuffles the test order (pytest-randomly); the seed is printed first, and
# `make test SEED=<n>` replays an order.
ifndef SEED
SEED := $(shell od -An -N4 -tu4 /dev/urandom | tr -d ' ')
endif

test: $(STAMP)
	@echo "test order: pytest-randomly seed $(SEED) (replay with: make test SEED=$(SEED))"
	$(PY) -m pytest -n 2 -q -p randomly --randomly-seed=$(SEED); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; \
	exit $$status

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

docs-check: docs
	$(PY) -m pip install --quiet -e ".[docs-check]"
	$(PY) docs/check_pages.py site $(wildcard results/*/report/summary.html) --shots site-check

gallery: $(STAMP)
	$(PY) docs/make_gallery.py --run

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) results site
