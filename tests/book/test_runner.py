"""The chapter runner outside make (`python -m sgdlab.book`, papermill's `sgdlab` engine) and widget
cells that never hang.

The widget stress test executes every chapter's ipywidgets explorer in one kernel, again and again,
each execution with a 60 s cell timeout, while a busy loop occupies another core. `make test` runs
SGDLAB_WIDGET_REPEATS=2 rounds; the issue's 30 are run by hand:
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
REPEATS = int(os.environ.get("SGDLAB_WIDGET_REPEATS", "2"))
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


def test_engine_really_reads_the_shell_channel_in_slices(tmp_path):
    """papermill calls nbclient's sync `start_new_kernel_client`: the override must be reached."""
    import papermill as pm
    _engine.register()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1 + 1")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "one.ipynb")
    before = _engine.STATS["clients"]
    pm.execute_notebook(str(tmp_path / "one.ipynb"), str(tmp_path / "out.ipynb"), kernel_name="python3",
                        engine_name="sgdlab", progress_bar=False, cwd=str(tmp_path))
    assert _engine.STATS["clients"] == before + 1


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
    with pytest.raises(B.ChapterFailed, match="code cell 4.*x too large"):
        B.run_chapter("tiny", tmp_path / "bad.ipynb", {"x": 30}, timeout=120, notebook=path, cwd=tmp_path,
                      log=lines.append)
    assert not (tmp_path / "bad.ipynb").exists()


# ------------------------------------------------------------------------------ widget stress test

WIDGET_CHAPTERS = [c for c in CHAPTERS if (ROOT / "sgdlab" / "chapters" / c / "explorer.py").exists()]
SETUP = {
    # explorers whose arguments are computed by the chapter: the smallest version of that computation
    "local_maximum": ("A, L = local_maximum_ex.phase_grid(9, 8)\n"
                      "kw = dict(n_runs=50, steps=50, seed=0, executor=None)\n"
                      "D = {'two-point': local_maximum_ex.phase_diagram('quadratic', A, L, **kw),"
                      " 'gaussian': local_maximum_ex.phase_diagram('gaussian', A, L, **kw)}",
                      "local_maximum_wd.explorer(D)"),
}


def widget_notebook(chapters, repeats):
    """One kernel: every chapter's explorer module imported (plus the minimal set-up some need), then
    `repeats` rounds of one explorer cell per chapter."""
    setup = ["import matplotlib\nmatplotlib.use('module://matplotlib_inline.backend_inline')"]
    for ch in chapters:
        setup.append(f"from sgdlab.chapters.{ch} import experiments as {ch}_ex, explorer as {ch}_wd")
        setup.append(SETUP.get(ch, ("", ""))[0])
    cells = ["\n".join(setup)]
    for _ in range(repeats):
        cells += [SETUP.get(ch, ("", f"{ch}_wd.explorer()"))[1] for ch in chapters]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture
def other_core_busy():
    """A busy loop on another core for the duration of the test (killed at the end)."""
    # spins until killed, or until this process is gone (it never outlives an interrupted run)
    p = subprocess.Popen([sys.executable, "-c", "import os\nparent = os.getppid()\n"
                          "while os.getppid() == parent:\n    sum(range(100000))"])
    yield p
    p.kill()
    p.wait(timeout=10)


def test_widget_cells_never_hang(other_core_busy, tmp_path):
    """Every chapter's explorer cell, REPEATS rounds in one kernel, through papermill's `sgdlab`
    engine (what the runner uses) with a 60 s cell timeout: a hang would raise a timeout."""
    import papermill as pm
    _engine.register()
    assert WIDGET_CHAPTERS
    src, out = tmp_path / "w.ipynb", tmp_path / "w.out.ipynb"
    nbformat.write(widget_notebook(WIDGET_CHAPTERS, REPEATS), src)
    t0 = time.monotonic()
    pm.execute_notebook(str(src), str(out), kernel_name="python3", engine_name="sgdlab",
                        execution_timeout=CELL_TIMEOUT, cwd=str(tmp_path), progress_bar=False)
    assert other_core_busy.poll() is None   # the other core was busy throughout
    cells = nbformat.read(out, as_version=4).cells[1:]
    assert len(cells) == REPEATS * len(WIDGET_CHAPTERS)
    times = {}
    for k, cell in enumerate(cells):
        ch = WIDGET_CHAPTERS[k % len(WIDGET_CHAPTERS)]
        times.setdefault(ch, []).append(cell.metadata.papermill.duration)
        assert not [o for o in cell.outputs if o.get("output_type") == "error"], ch
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in cell.outputs), \
            f"{ch}: the explorer cell displayed no widget"
    assert max(max(t) for t in times.values()) < CELL_TIMEOUT
    print(f"\n{REPEATS} rounds of {len(WIDGET_CHAPTERS)} explorer cells in {time.monotonic() - t0:.1f} s "
          "(kernel start included); per chapter slowest/mean: " +
          ", ".join(f"{ch} {max(t):.1f}/{sum(t) / len(t):.1f} s" for ch, t in times.items()))
