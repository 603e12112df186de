# VSL Studio. `make run` starts the app on embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint bench worker demo screenshots clean

$(VENV)/.runtime: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

run: $(VENV)/.runtime
	$(PY) -m vsl migrate
	$(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true

worker: $(VENV)/.runtime
	$(PY) -m vsl worker

demo: $(VENV)/.runtime
	$(PY) -m vsl demo

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

test: lint
	$(PY) -m pytest --cov=vsl --cov-report=term:skip-covered --cov-report=xml

bench: $(VENV)/.dev
	$(PY) -m bench

screenshots: $(VENV)/.dev
	VSL_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/e2e -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage coverage.xml
