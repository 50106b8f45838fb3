# sgdlab: the two commands are `make book` and `make test`; everything else is set up on the way.
# Each target creates .venv if missing, installs the pinned requirements and (re)builds the
# Cython core only when its sources changed (stamp files in .venv/).

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VPY := $(BIN)/python

DEPS_STAMP := $(VENV)/.deps-stamp
CORE_STAMP := $(VENV)/.core-stamp
CORE_SRC := $(wildcard sgdlab/*.pyx sgdlab/*.pxd) setup.py pyproject.toml

.PHONY: all install test bench bench-sweep clean distclean
all: book

$(VPY):
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip

$(DEPS_STAMP): requirements.txt | $(VPY)
	$(VPY) -m pip install --quiet -r requirements.txt
	touch $@

# The compiled core: an editable install builds the extensions in place (sgdlab/*.so).
$(CORE_STAMP): $(DEPS_STAMP) $(CORE_SRC)
	rm -f sgdlab/*.so  # unlink first: running kernels keep the old inode instead of crashing
	$(VPY) -m pip install --quiet --no-build-isolation --no-deps -e .
	touch $@

install: $(CORE_STAMP)

test: install
	$(VPY) -m pytest -q tests

bench: install
	$(VPY) benchmarks/run.py

bench-sweep: install
	$(VPY) benchmarks/sweep.py

clean:
	rm -rf _build build sgdlab/*.c sgdlab/*.so sgdlab/*.html *.egg-info $(CORE_STAMP)

distclean: clean
	rm -rf $(VENV)
