"""The chapter runner outside make (`python -m sgdlab.book`, papermill's `sgdlab` engine) and widget
cells that never hang.

The widget stress test executes every chapter's ipywidgets explorer in one kernel, again and again,
each execution with a 60 s cell timeout, while a busy loop occupies another core. `make test` runs
SGDLAB_WIDGET_REPEATS=3 executions per chapter; the issue's 30 are run by hand:
    SGDLAB_WIDGET_REPEATS=30 .venv/bin/python -m pytest tests/book/test_runner.py -k widget
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from queue import Empty

import nbformat
import pytest

import sgdlab.book as B
from sgdlab import _engine

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = B.chapters()
REPEATS = int(os.environ.get("SGDLAB_WIDGET_REPEATS", "3"))
CELL_TIMEOUT = 60


def _run(args, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), **kw)


# --------------------------------------------------------------------------------- sliced waits

class FakeChannel:
    """A shell channel whose reply is in the socket from `arrive` on, but a single long poll started
    before that never sees it (the missed wake-up of nbclient#312): only a poll started after the
    arrival returns it."""

    def __init__(self, arrive):
        self.arrive = time.monotonic() + arrive
        self.calls = []

    async def get_msg(self, timeout=None):
        start = time.monotonic()
        self.calls.append(timeout)
        if start >= self.arrive:
            return {"msg": "reply"}
        await asyncio.sleep(timeout)   # sleeps through the arrival: the missed wake-up
        raise Empty


def test_sliced_wait_picks_up_a_reply_a_long_poll_misses():
    ch = FakeChannel(arrive=0.3)
    t0 = time.monotonic()
    msg = asyncio.run(_engine.sliced(ch.get_msg, interval=0.2)(timeout=30))
    assert msg == {"msg": "reply"} and time.monotonic() - t0 < 2
    assert all(t <= 0.2 + 1e-9 for t in ch.calls)
    # the unsliced call is the hang: the reply is only seen when the whole timeout has passed
    ch = FakeChannel(arrive=0.3)
    with pytest.raises(Empty):
        asyncio.run(ch.get_msg(timeout=1.0))


def test_sliced_wait_still_times_out_at_the_deadline():
    ch = FakeChannel(arrive=1e9)
    t0 = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(_engine.sliced(ch.get_msg, interval=0.2)(timeout=0.9))
    assert 0.85 < time.monotonic() - t0 < 3


def test_cell_timeout_setting(monkeypatch):
    monkeypatch.delenv("SGDLAB_CELL_TIMEOUT", raising=False)
    assert _engine.cell_timeout(None) == 900 and _engine.cell_timeout(30) == 30
    monkeypatch.setenv("SGDLAB_CELL_TIMEOUT", "45")
    assert _engine.cell_timeout(None) == 45
    monkeypatch.setenv("SGDLAB_CELL_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="SGDLAB_CELL_TIMEOUT"):
        _engine.cell_timeout(None)


def test_papermill_engine_is_registered():
    """`papermill --engine sgdlab` (entry point `papermill.engine`; the editable install of make)."""
    r = _run([sys.executable, "-c", "from papermill.engines import papermill_engines as e; "
              "print(e.get_engine('sgdlab').__module__)"], cwd="/")
    assert r.returncode == 0 and r.stdout.strip() == "sgdlab._engine", r.stderr


# ---------------------------------------------------------------------------- the runner's checks

def test_help_of_every_chapter():
    for ch in CHAPTERS:
        r = _run([sys.executable, "-m", "sgdlab.book", "help", ch], cwd="/")
        assert r.returncode == 0, r.stderr
        params = B.chapter_params(ch)
        names = list(params.params) if params is not None else list(B.notebook_parameters(B.chapter_notebook(ch)))
        if not names:
            assert r.stdout.strip() == f"chapter {ch!r} has no parameters"
            continue
        assert f"parameters of chapter {ch!r}" in r.stdout
        assert all(n in r.stdout for n in names)


def test_run_chapter_script_prints_help_without_output():
    r = _run([sys.executable, "scripts/run_chapter.py", CHAPTERS[0], "--help-params"], cwd=ROOT)
    assert r.returncode == 0 and f"parameters of chapter {CHAPTERS[0]!r}" in r.stdout, r.stderr


def test_make_chapter_without_params_prints_help():
    r = subprocess.run(["make", "-n", "chapter", "NAME=gibbs"], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert "run_chapter.py gibbs --help-params" in r.stdout
    r = subprocess.run(["make", "-n", "chapter", "NAME=gibbs", "PARAMS=-p eta 0.003"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert "--help-params" not in r.stdout and "-p eta 0.003" in r.stdout


@pytest.mark.parametrize("argv, code, text", [
    (["run", "nope"], 2, "no chapter named 'nope'"),
    (["help", "nope"], 2, "no chapter named 'nope'"),
    (["run", "gibbs", "-p", "etaa", "0.1"], 2, "unknown parameter(s) 'etaa'"),
    (["run", "gibbs", "-y", "[1, 2]"], 2, "-y expects a YAML mapping"),
    (["run", "gibbs", "--timeout", "0"], 2, "timeout: must be a positive number"),
])
def test_runner_rejects_bad_input_before_running(argv, code, text, tmp_path):
    t0 = time.perf_counter()
    r = _run([sys.executable, "-m", "sgdlab.book", *argv, *(["-o", tmp_path / "x.ipynb"] if argv[0] == "run" else [])],
             cwd=tmp_path)
    assert r.returncode == code and text in r.stderr, (r.returncode, r.stderr)
    assert not (tmp_path / "x.ipynb").exists()
    assert time.perf_counter() - t0 < 120   # no kernel was started


def test_runner_checks_values_with_the_chapters_params(tmp_path):
    with_params = [c for c in CHAPTERS if B.chapter_params(c) is not None]
    if not with_params:
        pytest.skip("no chapter declares a kit PARAMS yet (names are checked against the parameters cell)")
    ch = with_params[0]
    p = next(iter(B.chapter_params(ch)))
    bad = next(v for v in p.invalid_values() if isinstance(v, (str, float, int)) and not isinstance(v, bool))
    r = _run([sys.executable, "-m", "sgdlab.book", "run", ch, "-y", json.dumps({p.name: bad}),
              "-o", tmp_path / "x.ipynb"], cwd=tmp_path)
    assert r.returncode == 2 and p.name in r.stderr, r.stderr


def test_runner_executes_and_prints_the_glued_results(tmp_path):
    """A tiny notebook through the same runner: glued values printed, failure names the cell."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 2", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import ipywidgets as W\nW.VBox([W.IntSlider(value=x)])"),
                nbformat.v4.new_code_cell("from sgdlab.chapters._kit import glue\nglue('twice', 2 * x)"),
                nbformat.v4.new_code_cell("assert x < 10, 'x too large'")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    lines = []
    glued = B.run_chapter("tiny", tmp_path / "out.ipynb", {"x": 3}, timeout=120, notebook=path,
                          cwd=tmp_path, log=lines.append)
    assert glued == {"twice": 6} and "  twice = 6" in lines
    with pytest.raises(B.ChapterFailed, match="code cell 5.*x too large"):
        B.run_chapter("tiny", tmp_path / "bad.ipynb", {"x": 30}, timeout=120, notebook=path, cwd=tmp_path,
                      log=lines.append)
    assert not (tmp_path / "bad.ipynb").exists()


# ------------------------------------------------------------------------------ widget stress test

SETUP = {
    # explorers whose arguments are computed by the chapter: the smallest version of that computation
    "local_maximum": ("A, L = ex.phase_grid(9, 8)\n"
                      "kw = dict(n_runs=50, steps=50, seed=0, executor=None)\n"
                      "D = {'two-point': ex.phase_diagram('quadratic', A, L, **kw),"
                      " 'gaussian': ex.phase_diagram('gaussian', A, L, **kw)}",
                      "wd.explorer(D)"),
}


def widget_notebook(chapter, repeats):
    setup, call = SETUP.get(chapter, ("", "wd.explorer()"))
    cells = [f"import matplotlib\nmatplotlib.use('module://matplotlib_inline.backend_inline')\n"
             f"from sgdlab.chapters.{chapter} import experiments as ex, explorer as wd\n{setup}"]
    cells += [call] * repeats
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture
def other_core_busy():
    """A busy loop on another core for the duration of the test (killed at the end)."""
    p = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield p
    p.kill()
    p.wait(timeout=10)


@pytest.mark.parametrize("chapter", [c for c in CHAPTERS
                                     if (ROOT / "sgdlab" / "chapters" / c / "explorer.py").exists()])
def test_widget_cells_never_hang(chapter, other_core_busy, tmp_path):
    from papermill.engines import NotebookExecutionManager
    nb = widget_notebook(chapter, REPEATS)
    times = []

    class Timed(_engine.SlicedWaitClient):
        async def async_execute_cell(self, cell, cell_index, *a, **kw):
            t0 = time.monotonic()
            try:
                return await super().async_execute_cell(cell, cell_index, *a, **kw)
            finally:
                times.append(time.monotonic() - t0)

    man = NotebookExecutionManager(nb, output_path=str(tmp_path / "w.ipynb"), progress_bar=False)
    Timed(man, timeout=CELL_TIMEOUT, kernel_name="python3", startup_timeout=120,
          resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert other_core_busy.poll() is None
    widget_runs = times[1:]
    assert len(widget_runs) == REPEATS
    assert max(widget_runs) < CELL_TIMEOUT
    out = man.nb.cells[1:]
    for cell in out:
        assert not [o for o in cell.outputs if o.get("output_type") == "error"]
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in cell.outputs), \
            "the explorer cell displayed no widget"
    print(f"{chapter}: {REPEATS} explorer executions, {sum(widget_runs):.1f} s, slowest {max(widget_runs):.2f} s")
