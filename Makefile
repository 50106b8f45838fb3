# sgdlab: the two commands are `make book` and `make test`; everything else is set up on the way.
# Each target creates .venv if missing, installs the pinned requirements and (re)builds the
# Cython core only when its sources changed (stamp files in .venv/).

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VPY := $(BIN)/python

# Chapters are independent notebooks and most of a chapter's time is single-threaded Python (figures,
# theory), so they execute JOBS at a time; the test suite runs on JOBS pytest-xdist workers, each test
# file whole on one worker (--dist loadfile: module fixtures are built once). Results do not depend on it: the
# core gives the same bits whatever the number of threads. JOBS=1 runs everything one after another.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
MAKEFLAGS += --jobs=$(JOBS)

DEPS_STAMP := $(VENV)/.deps-stamp
CORE_STAMP := $(VENV)/.core-stamp
CORE_SRC := $(wildcard sgdlab/*.pyx sgdlab/*.pxd sgdlab/*.h) sgdlab/_flags.py setup.py pyproject.toml

.PHONY: all install test bench bench-sweep book chapter lab browser clean distclean
all: book

$(VPY):
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip

$(DEPS_STAMP): requirements.txt | $(VPY)
	$(VPY) -m pip install --quiet -r requirements.txt
	touch $@

# The compiled core: an editable install builds the extensions in place (sgdlab/*.so).
$(CORE_STAMP): $(DEPS_STAMP) $(CORE_SRC)
	@# Give each old module a fresh inode first (running kernels keep the old one instead of crashing on
	@# an overwritten file, and the modules stay importable during the build); keep a copy to put back
	@# if the build fails, drop it if it succeeds.
	@for f in sgdlab/*.so; do [ -e "$$f" ] && cp -p "$$f" "$$f.prev" && cp -p "$$f" "$$f.new" && mv -f "$$f.new" "$$f"; done; \
	if $(VPY) -m pip install --quiet --no-build-isolation --no-deps -e .; then \
	  rm -f sgdlab/*.so.prev; \
	else \
	  for f in sgdlab/*.so.prev; do [ -e "$$f" ] && mv -f "$$f" "$${f%.prev}"; done; \
	  echo "core build failed: the previous build is kept" >&2; exit 1; \
	fi
	touch $@

install: $(CORE_STAMP)

# The page tests check the real book, so the book is built (incrementally) first.
test: install browser book
	$(VPY) -m pytest -q -n $(JOBS) --dist loadfile --durations=15 tests

# Headless Chromium for the browser test of the rendered pages (Debian package; best effort:
# the test is skipped, with its reason, where it cannot be installed).
browser:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing chromium for the browser test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "warning: could not install chromium; the browser test will be skipped"; \
	fi

# Peers measured in the same run: a plain-C version compiled now with the core's flags, the NumPy
# reference and, if it installs, a Numba version. Numba goes into _build/bench/pkgs (--no-deps:
# the project's numpy is kept), never into the project's environment; without it the Numba peer
# is skipped with its reason.
NUMBA_PIN := numba==0.68.1 llvmlite==0.50.0
bench: install
	@PYTHONPATH=_build/bench/pkgs $(VPY) -c "import numba" 2>/dev/null \
	  || $(VPY) -m pip install --quiet --target _build/bench/pkgs --no-deps $(NUMBA_PIN) \
	  || echo "bench: numba could not be installed; the Numba peer is skipped"
	$(VPY) benchmarks/run.py $(BENCH_ARGS)

bench-sweep: install
	$(VPY) benchmarks/sweep.py

# ---------------------------------------------------------------- the book
# A chapter is book/<name>.ipynb (files starting with _ are not chapters), its code the package
# sgdlab/chapters/<name>/. It is executed by papermill into _build/executed/<name>.ipynb, again only
# when its notebook, its own package, the shared modules (sgdlab/*.py, the kit) or the
# compiled core changed: editing one chapter's code re-executes that chapter alone. The site is
# rendered by Jupyter Book from the executed notebooks (staged in _build/site) with execution off,
# warnings as errors.
CHAPTER_TIMEOUT ?= 1800
CELL_TIMEOUT ?= 900
CHAPTERS := $(patsubst book/%.ipynb,%,$(filter-out book/_%,$(wildcard book/*.ipynb)))
# The longest chapters start first (measured at defaults on 2 cores, 2 at a time: heavy_tails ~100 s,
# gibbs ~75, sticking ~70, local_maximum ~45; the others <= 30), so the last to finish is a short one;
# the order changes nothing in the results.
LONG_FIRST := heavy_tails gibbs sticking local_maximum
EXECUTED := $(patsubst %,_build/executed/%.ipynb,$(filter $(CHAPTERS),$(LONG_FIRST)) \
                                                   $(filter-out $(LONG_FIRST),$(CHAPTERS)))
SHARED_PY := $(wildcard sgdlab/*.py) sgdlab/chapters/__init__.py sgdlab/chapters/_kit.py
BOOK_PAGES := _config.yml _toc.yml $(wildcard book/*.md book/*.bib)
JB := $(BIN)/jupyter-book

.SECONDEXPANSION:
_build/executed/%.ipynb: book/%.ipynb $(CORE_STAMP) $(SHARED_PY) $$(wildcard sgdlab/chapters/$$*/*.py) \
                         scripts/run_chapter.py
	@mkdir -p $(@D)
	@# --foreground: the chapter stays in make's process group, so Ctrl-C stops it at once
	@rc=0; timeout --foreground $(CHAPTER_TIMEOUT) $(VPY) scripts/run_chapter.py $* $@ --timeout $(CELL_TIMEOUT) || rc=$$?; \
	if [ $$rc -eq 124 ]; then echo "[book] make book failed: chapter '$*' did not finish within the wall-clock limit of $(CHAPTER_TIMEOUT) s" >&2; exit 1; \
	elif [ $$rc -ne 0 ]; then echo "[book] make book failed: chapter '$*' (see above)" >&2; exit 1; fi

# the errata page collects every chapter's ERRATA list
_build/executed/errata.ipynb: sgdlab/chapters/errata.py $(wildcard sgdlab/chapters/*/__init__.py)

_build/html/index.html: $(EXECUTED) $(BOOK_PAGES) scripts/stage_site.py $(CORE_STAMP)
	$(VPY) scripts/stage_site.py
	$(JB) build _build/site --path-output _build/jb -n -W --keep-going
	rm -rf _build/html && cp -r _build/jb/_build/html _build/html
	@echo "[book] built _build/html/index.html ($(words $(CHAPTERS)) executed pages)"

book: _build/html/index.html

# Rerun one chapter with other parameters: make chapter NAME=saddle_escape PARAMS="-p a -0.5"
# Without PARAMS it prints the chapter's parameters (name, default, meaning, allowed values).
# Outside make: python -m sgdlab.book run saddle_escape -p a -0.5 (same runner, same checks).
chapter: install
	@test -n "$(NAME)" || { echo 'usage: make chapter NAME=<chapter> PARAMS="-p name value ..."' >&2; exit 2; }
ifeq ($(strip $(PARAMS)),)
	$(VPY) scripts/run_chapter.py $(NAME) --help-params
else
	@mkdir -p _build/runs
	timeout --foreground $(CHAPTER_TIMEOUT) $(VPY) scripts/run_chapter.py $(NAME) _build/runs/$(NAME).ipynb \
	  --timeout $(CELL_TIMEOUT) --print-glue $(PARAMS)
endif

# JupyterLab in the venv, for the live widgets (installed on first use only)
lab: install
	@$(VPY) -c "import jupyterlab" 2>/dev/null || $(VPY) -m pip install --quiet jupyterlab==4.6.6
	$(BIN)/jupyter lab book/

clean:
	rm -rf _build build sgdlab/*.c sgdlab/*.so sgdlab/*.html *.egg-info $(CORE_STAMP)

distclean: clean
	rm -rf $(VENV)
