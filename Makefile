# Two commands matter: `make run` (the app) and `make test` (the whole suite).
# Each sets itself up: Debian libraries Qt needs, a virtualenv in .venv, the package.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench deps test-deps venv clean screenshots package

run: deps venv
	$(VENV)/bin/organiser $(ARGS)

# The suite starts the CLI and the app in hundreds of processes: compiled bytecode saves each of
# them compiling every module again (half a second each) when PYTHONDONTWRITEBYTECODE is set.
# One pytest worker more than there are cores: the network tests spend much of their time waiting
# on other processes (sync nodes in namespaces, Syncthing), and the extra worker uses that time.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
# A worker that crashes ends the run, its test named: with --dist loadgroup, pytest-xdist 3.8 hands a
# replacement worker the crashed one's finished groups again and the run then waits for ever
# (pytest-xdist#1378; seen here after a segfault in a UI test).
test: test-deps venv
	$(PY) -m ruff check organiser tests
	$(PY) -m compileall -q organiser tests
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --max-worker-restart 0 $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check organiser tests

bench: venv
	$(PY) -m tests.perf.store

screenshots: venv
	QT_QPA_PLATFORM=offscreen $(PY) -m organiser.ui.screenshots --out docs/screenshots

deps:
	@sh packaging/ensure-debian-libs.sh

# The tests also drive the tools organisers use beside Organiser (khal, khard, todoman, LibreOffice, Syncthing).
test-deps:
	@sh packaging/ensure-debian-libs.sh --with-test-tools

# The installable .deb (PyInstaller one-folder app inside); CONFIG=site.toml presets /etc/organiser/config.toml.
package: venv
	@sh packaging/ensure-debian-libs.sh --for-packaging
	$(PY) -m pip install --quiet -e '.[package]'
	$(PY) packaging/build.py $(if $(CONFIG),--config $(CONFIG))

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Organiser needs Python 3.11 or newer; this is " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create a virtualenv. On Debian/Ubuntu: sudo apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m compileall -q -j 0 -x 'PySide6/scripts/' $(VENV)/lib >/dev/null
	@touch $(STAMP)

clean:
	rm -rf $(VENV) build dist *.egg-info
