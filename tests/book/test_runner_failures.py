"""How the chapter runner reports and cleans up failures: a dead kernel is reported with its cell, cell
numbers count the source's code cells (not papermill's injected cell), SIGTERM removes the partial
notebook, and partial notebooks of killed runs are removed at the next run."""
import glob
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from sgdlab.book import ChapterFailed, run_chapter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _nb(path, *cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


def test_dead_kernel_is_reported_with_its_cell(tmp_path):
    nb = _nb(tmp_path / "crash.ipynb", "y = 2", "import os\nos._exit(3)  # the kernel dies here")
    with pytest.raises(ChapterFailed) as info:
        run_chapter("crash", tmp_path / "out" / "crash.ipynb", notebook=nb, timeout=120, log=lambda *a: None)
    assert info.value.cell_no == 3 and "os._exit(3)" in info.value.source
    assert not glob.glob(str(tmp_path / "out" / "*.ipynb")) and not glob.glob(str(tmp_path / "out" / ".*"))


def test_cell_numbers_ignore_the_injected_parameters_cell(tmp_path):
    nb = _nb(tmp_path / "fail.ipynb", "y = x + 1", "raise RuntimeError('broken on purpose')")
    with pytest.raises(ChapterFailed) as info:
        run_chapter("fail", tmp_path / "fail_out.ipynb", {"x": 5}, notebook=nb, timeout=120, log=lambda *a: None)
    assert info.value.cell_no == 3 and "broken on purpose" in info.value.error


def test_partials_of_killed_runs_are_removed_at_the_next_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = out / f".ok.partial-{dead.pid}-abc.ipynb"
    stale.write_text("{}")
    alive = out / f".ok.partial-{os.getpid()}-def.ipynb"     # a run still going: kept
    alive.write_text("{}")
    nb = _nb(tmp_path / "ok.ipynb", "y = 2")
    run_chapter("ok", out / "ok.ipynb", notebook=nb, timeout=120, log=lambda *a: None, print_glue=False)
    assert not stale.exists() and alive.exists() and (out / "ok.ipynb").exists()


def test_sigterm_leaves_no_partial_notebook(tmp_path):
    nb = _nb(tmp_path / "slow.ipynb", "import time\ntime.sleep(120)")
    out = tmp_path / "out"
    code = (f"import sys\nfrom sgdlab.book import run_chapter\n"
            f"run_chapter('slow', {str(out / 'slow.ipynb')!r}, notebook={str(nb)!r}, timeout=300)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not glob.glob(str(out / ".slow.partial-*")):
        time.sleep(0.5)
    time.sleep(6)                       # the kernel is busy in the sleeping cell
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert not os.listdir(out), f"left behind: {os.listdir(out)}"
