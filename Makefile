# The two set-up commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev browser fonts lint typecheck pytest migrate demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# System packages from Debian: the Chinese font embedded in PDF reports (run and test), and for the
# tests Debian's chromium (page tests; no browser download, there is no internet) and poppler-utils
# (pdftotext/pdftoppm check the reports).
FONT := /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc

fonts:
	@test -f $(FONT) || { echo "installing fonts-wqy-zenhei"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-zenhei; }

browser: fonts
	@command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium and poppler-utils for the tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils; }

migrate: install
	$(BIN)/xinyong db upgrade

demo: migrate fonts
	$(BIN)/xinyong catalog seed
	$(BIN)/xinyong demo load

run: demo
	$(BIN)/xinyong serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations

typecheck: install-dev
	$(BIN)/mypy --strict src/xinyong

pytest: install-dev browser
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
