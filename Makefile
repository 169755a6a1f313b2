# Patchbay developer entry points. Only Python 3.11+, pip and make are assumed.
#   make run    set up and open the desktop app
#   make test   set up and run the whole suite: lint, types, import contract, tests,
#               then the engine and server tests again without PySide6 installed
#   make bundle build the desktop bundle dist/patchbay-studio/ (packaging/README.md)

PYTHON ?= python3
VENV := .venv
HEADLESS := .venv-headless
BIN := $(VENV)/bin
QT_PACKAGES := PySide6-Addons PySide6-Essentials shiboken6 NodeGraphQt qasync pytest-qt

.PHONY: run test check pytest headless-test clean bundle

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bundle]"
	touch $@

$(HEADLESS)/.installed: pyproject.toml
	$(PYTHON) -m venv $(HEADLESS)
	$(HEADLESS)/bin/python -m pip install --quiet --upgrade pip
	$(HEADLESS)/bin/python -m pip install --quiet -e ".[test]"
	$(HEADLESS)/bin/python -m pip uninstall --quiet --yes $(QT_PACKAGES)
	touch $@

run: $(VENV)/.installed
	$(BIN)/patchbay-studio $(FILE)

check: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# One pytest process per layer: what a Qt test leaves behind (windows, event loops,
# open sockets) never reaches another layer's tests.
pytest: $(VENV)/.installed
	$(BIN)/python -m pytest tests/engine tests/server
	$(BIN)/python -m pytest tests/widgets
	$(BIN)/python -m pytest tests/app

headless-test: $(HEADLESS)/.installed
	PATCHBAY_EXPECT_NO_QT=1 $(HEADLESS)/bin/python -m pytest tests/engine tests/server -p no:cacheprovider; \
	  status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ]

test: check pytest headless-test

bundle: $(VENV)/.installed
	$(BIN)/pyinstaller --noconfirm --distpath dist --workpath build packaging/patchbay.spec

clean:
	rm -rf $(VENV) $(HEADLESS) .mypy_cache .ruff_cache .pytest_cache
