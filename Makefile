# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --config-settings editable_mode=compat -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/rallybot console

demo: $(VENV)/.installed
	$(BIN)/rallybot demo

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "no tests were selected"; exit 0; fi; exit $$rc

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(VENV)/.installed
	$(BIN)/python bench/core.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/fanout.py --platform slack
	$(BIN)/python bench/slack_burst.py
	$(BIN)/python bench/fanout.py --platform discord
	$(BIN)/python bench/fanout.py --platforms slack,discord
	$(BIN)/python bench/abuse.py
	$(BIN)/python bench/scheduler.py
	$(BIN)/python bench/alerts.py
	$(BIN)/python bench/events.py
	$(BIN)/python bench/polls.py
	$(BIN)/python bench/optouts.py
	$(BIN)/python bench/web.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis rallybot-files test-output
