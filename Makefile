# The course's only driver. Two commands matter for a learner:
#   make lab    create .venv if missing, install the course, open JupyterLab on notebooks/
#   make test   create/update .venv if needed, then lint, unit tests and nbval over every notebook
# Override the torch build with e.g. `make TORCH="torch==2.5.1" lab`.

PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed

.PHONY: venv lab test lint format notebooks sync translations bench fresh-check colab-check book book-test browser clean

# Reinstall when the dependency list changes. torch first: a local CPU wheel here,
# while an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install "$(TORCH)"
	$(BIN)/python -m pip install -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

# Jupyter refuses to run as root unless told to (containers, cloud VMs often run as root).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(ALLOW_ROOT)

# tests/offline/sitecustomize.py refuses network connections in pytest and in every
# notebook kernel it starts: the course must never download anything.
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=tests/offline $(BIN)/python -m pytest tests notebooks --ignore=tests/book $(NBVAL)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate from the solutions and course.toml: badges/setup cells, lessons, course tables,
# figures. `notebooks` then re-executes every notebook in place and extracts the figures again.
sync: $(STAMP)
	$(BIN)/python -m course_tools.sync

notebooks: sync
	$(BIN)/python -m course_tools.execute --all
	$(BIN)/python -m course_tools.figures

# The 中文 edition: how much of each catalogue is translated, then every missing or stale entry
# (translations/README.md says how to translate; `make sync` then writes notebooks/zh/).
translations: $(STAMP)
	$(BIN)/python -m course_tools.translations status
	$(BIN)/python -m course_tools.translations check

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

fresh-check:
	bash scripts/fresh_check.sh

# Every lesson as on Colab: Python 3.12 (COLAB_PYTHON or python3.12 on PATH), the newest torch,
# numpy and matplotlib, the course installed by the setup cell itself from a clone of HEAD.
colab-check: $(STAMP)
	$(BIN)/python -m course_tools.colab_check

# The course website (see README, "Read online"): the `docs` extra, installed on demand.
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install -e ".[docs]"
	@touch $(DOCS_STAMP)

# Static HTML in _build/html from the committed notebooks (never executed); warnings are errors.
book: $(DOCS_STAMP)
	$(BIN)/python -m course_tools.site --out _build/html

# Build the site into a temporary folder and check it (pages, links, images, glossary), then open
# it in headless Chromium offline; screenshots go to _build/screenshots/. Needs `make browser`.
book-test: $(DOCS_STAMP)
	PYTHONPATH=tests/offline $(BIN)/python -m pytest tests/book

# Debian's Chromium for the browser check, and a font with Chinese glyphs for the screenshots
# (apt-get, as root). Does nothing when both are already installed.
browser:
	@(test -x /usr/bin/chromium && dpkg -s fonts-wqy-microhei >/dev/null 2>&1) || \
		(apt-get update && apt-get install -y chromium fonts-wqy-microhei)

clean:
	rm -rf $(VENV) _build .pytest_cache .ruff_cache
