"""Ctrl-C on `make book` / `make chapter` stops the running chapter at once, and leaves no partial
notebook behind that could look finished (the chapter runs in make's process group: `timeout
--foreground`)."""
import glob
import os
import signal
import subprocess
import time

import nbformat
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def slow_notebook():
    name = f"_sigtest{os.getpid()}"
    path = os.path.join(ROOT, "book", name + ".ipynb")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import time\nprint('started', flush=True)\ntime.sleep(120)")]
    nbformat.write(nb, path)
    yield name
    os.unlink(path)
    for f in glob.glob(os.path.join(ROOT, "_build", "executed", name + "*")):
        os.unlink(f)


def _alive(pattern):
    r = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return [p for p in r.stdout.split() if int(p) != os.getpid()]


def test_ctrl_c_stops_a_running_chapter(slow_notebook):
    target = f"_build/executed/{slow_notebook}.ipynb"
    make = subprocess.Popen(["make", "--no-print-directory", target], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not _alive(f"run_chapter.py {slow_notebook}"):
            time.sleep(0.5)
        time.sleep(8)          # the kernel is up and sleeping in the chapter's second cell
        assert make.poll() is None, make.stdout.read()
        t0 = time.monotonic()
        os.killpg(make.pid, signal.SIGINT)          # what the terminal does on Ctrl-C
        make.wait(timeout=30)
        stopped = time.monotonic() - t0
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
    assert stopped < 5, f"make took {stopped:.1f} s to stop after Ctrl-C"
    time.sleep(1)
    assert not _alive(f"run_chapter.py {slow_notebook}"), "the chapter kept running after Ctrl-C"
    assert not os.path.exists(os.path.join(ROOT, target)), "a partial notebook looks finished"
