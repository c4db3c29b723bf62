# Two commands for a fresh clone: `make run` and `make test` (see README).
PYTHON ?= python3.11
VENV ?= .venv
BIN = $(VENV)/bin
PORT ?= 5000
export FLASK_APP = app:create_app

.PHONY: install run test lint bench-matching chromium clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

install: $(BIN)/.installed

# Debian's chromium for the browser tests (Playwright drives it; no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	  else echo "chromium missing: sudo apt-get install chromium (browser tests will be skipped)"; fi; }

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	@echo "永嘉科技大市场: http://127.0.0.1:$(PORT)"
	$(BIN)/gunicorn --workers 2 --bind 127.0.0.1:$(PORT) "app:create_app()"

test: install chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

bench-matching: install
	$(BIN)/python -m matching bench --docs 100000 --queries 1000

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache
