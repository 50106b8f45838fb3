"""sgdlab as `pip install` gives it: the wheel, installed in a venv outside the checkout, used from a
folder outside the checkout (so the source tree can never shadow the install).

The venv and the wheel come from tests/book/conftest.py (`fresh_venv`, `sgdlab_wheel`).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from installkit import ROOT, clean_env, colab_cell, pip_install, run, venv_python

CHAPTER = os.environ.get("SGDLAB_INSTALL_TEST_CHAPTER", "sharp_minima")
CHAPTER_PARAMS = ["-p", "n_runs", "100", "-p", "steps", "500"]


def source_packages():
    """Every package of the source tree (a folder of sgdlab/ with an __init__.py), dotted."""
    return sorted(".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "sgdlab").rglob("__init__.py")
                  if "__pycache__" not in p.parts)


def chapter_names():
    return sorted(p.stem for p in (ROOT / "book").glob("*.ipynb") if not p.name.startswith("_"))


def test_wheel_has_every_package_the_core_and_the_notebooks(sgdlab_wheel):
    names = zipfile.ZipFile(sgdlab_wheel).namelist()
    for pkg in source_packages():
        assert f"{pkg.replace('.', '/')}/__init__.py" in names, f"{pkg} missing from the wheel"
    for mod in ("_random", "landscapes", "noise", "optimizers", "_driver"):
        assert any(n.startswith(f"sgdlab/{mod}.") and n.endswith(".so") for n in names), f"core {mod} missing"
    for ch in chapter_names():
        assert f"sgdlab/_notebooks/{ch}.ipynb" in names, f"notebook of chapter {ch} missing"
    assert not any(n.startswith(("tests/", "book/", "scripts/")) for n in names)
    meta = zipfile.ZipFile(sgdlab_wheel).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    for req in ("sphinx-mathjax-offline", "sphinx-proof", "jupyter-book", "myst-nb", "papermill",
                "ipywidgets", "pandas", "bokeh"):
        assert req in meta, f"{req} is not a declared requirement"
    eps = zipfile.ZipFile(sgdlab_wheel).read(
        next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "[papermill.engine]" in eps and "sgdlab = sgdlab._engine:SgdlabEngine" in eps


IMPORT_ALL = r"""
import importlib, json, pkgutil, sys
import sgdlab
mods, failed = [], {}
for info in pkgutil.walk_packages(sgdlab.__path__, "sgdlab."):
    try:
        importlib.import_module(info.name)
        mods.append((info.name, info.ispkg))
    except Exception as exc:
        failed[info.name] = f"{type(exc).__name__}: {exc}"
print(json.dumps({"file": sgdlab.__file__, "prefix": sys.prefix, "modules": mods, "failed": failed}))
"""


def test_every_subpackage_imports_from_outside_the_checkout(fresh_venv, outside):
    r = venv_python(fresh_venv, IMPORT_ALL, cwd=outside)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["failed"] == {}, out["failed"]
    assert Path(out["file"]).is_relative_to(fresh_venv), out["file"]
    found = {name for name, ispkg in out["modules"] if ispkg} | {"sgdlab"}
    missing = set(source_packages()) - found
    assert not missing, f"packages of the source tree not installed: {sorted(missing)}"
    modules = {name for name, _ in out["modules"]}
    src_modules = {".".join(p.with_suffix("").relative_to(ROOT).parts) for p in (ROOT / "sgdlab").rglob("*.py")
                   if p.name != "__init__.py" and "__pycache__" not in p.parts and not p.name.startswith("test")}
    assert src_modules <= modules, f"modules not installed: {sorted(src_modules - modules)}"


def test_a_chapter_runs_with_the_venvs_papermill(fresh_venv, outside):
    """`papermill --engine sgdlab` on the notebook the wheel ships, kernel python3 of the venv."""
    nb = venv_python(fresh_venv, f"import sgdlab.book as b; print(b.chapter_notebook({CHAPTER!r}))",
                     cwd=outside).stdout.strip()
    assert Path(nb).is_relative_to(fresh_venv)
    out = outside / "out.ipynb"
    t0 = time.perf_counter()
    run([fresh_venv / "bin" / "papermill", "--engine", "sgdlab", "-k", "python3", "--execution-timeout", "600",
         "--no-progress-bar", nb, out, *CHAPTER_PARAMS], cwd=outside, env=clean_env(), timeout=1200)
    took = time.perf_counter() - t0
    nbj = json.loads(out.read_text())
    errors = [o for c in nbj["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    # the kernel was the venv's python (ipykernel's kernelspec in the venv), importing the installed sgdlab
    glued = venv_python(fresh_venv, f"import sgdlab.book as b, json; print(json.dumps(b.read_glue({str(out)!r})))",
                        cwd=outside).stdout
    glued = json.loads(glued)
    assert glued, "the chapter glued nothing"
    print(f"{CHAPTER} with papermill in the fresh venv: {took:.1f} s, {len(glued)} glued values")


def test_runner_module_in_the_venv(fresh_venv, outside):
    """`python -m sgdlab.book` from an installed wheel: lists the shipped chapters, rejects bad input."""
    r = run([fresh_venv / "bin" / "python", "-m", "sgdlab.book", "list"], cwd=outside, env=clean_env())
    assert r.stdout.split() == chapter_names()
    r = run([fresh_venv / "bin" / "python", "-m", "sgdlab.book", "run", CHAPTER, "-p", "no_such", "1"],
            cwd=outside, env=clean_env(), check=False)
    assert r.returncode == 2 and "unknown parameter(s) 'no_such'" in r.stderr, r.stderr
    r = run([fresh_venv / "bin" / "python", "-m", "sgdlab.book", "run", "no_such_chapter"],
            cwd=outside, env=clean_env(), check=False)
    assert r.returncode == 2 and "no chapter named 'no_such_chapter'" in r.stderr, r.stderr


# ------------------------------------------------------------------------------------ Dask workers

SWEEP = r"""
import json, sys, numpy as np, sgdlab
from sgdlab.tasks import quadratic_escape
from dask.distributed import Client
GRID = {"a": [-2.0, -1.0, -0.25], "lr": [0.3, 0.8, 1.4]}
with Client(scheduler_file=sys.argv[1], timeout=120) as client:
    client.wait_for_workers(2, timeout=180)
    where = client.run(lambda: __import__("sgdlab").__file__)
    pids = client.run(lambda: __import__("os").getpid())
    remote = sgdlab.sweep(quadratic_escape, GRID, n_runs=600, seeds=(0, 1), chunk_runs=150, executor=client)
local = sgdlab.sweep(quadratic_escape, GRID, n_runs=600, seeds=(0, 1), chunk_runs=200)
np.savez(sys.argv[2], **{k: remote.data[k].values for k in remote.data.data_vars})
same = {k: bool(np.array_equal(remote.data[k].values, local.data[k].values)) for k in local.data.data_vars}
print(json.dumps({"where": where, "pids": pids, "same": same, "dims": list(remote.data.escaped.dims)}))
"""


def _start(args, log, env):
    return subprocess.Popen([str(a) for a in args], stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True, cwd=log.name.rsplit("/", 1)[0])


def _stop(procs):
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


def test_dask_sweep_on_real_workers_is_identical(fresh_venv, outside):
    """A scheduler and two workers as separate processes (loopback only) running the fresh venv's
    Python; the sweep on them equals the in-process sweep there and in the checkout's Python."""
    bin_ = fresh_venv / "bin"
    sched_file = outside / "scheduler.json"
    env = clean_env(DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="60s")
    procs = []
    logs = [open(outside / f"{n}.log", "w") for n in ("scheduler", "worker1", "worker2")]
    try:
        procs.append(_start([bin_ / "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                             "--no-dashboard", "--scheduler-file", sched_file], logs[0], env))
        deadline = time.monotonic() + 120
        while not sched_file.exists():
            assert procs[0].poll() is None, (outside / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "scheduler did not start in 120 s"
            time.sleep(0.2)
        for log in logs[1:]:
            procs.append(_start([bin_ / "dask", "worker", "--scheduler-file", sched_file, "--host", "127.0.0.1",
                                 "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                                 "--local-directory", outside], log, env))
        r = run([bin_ / "python", "-c", SWEEP, sched_file, outside / "remote.npz"], cwd=outside, env=env,
                timeout=600)
    finally:
        _stop(procs)
        for log in logs:
            log.close()
    assert all(p.poll() is not None for p in procs)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert len(out["where"]) == 2 and all(a.startswith("tcp://127.0.0.1:") for a in out["where"])
    assert all(Path(f).is_relative_to(fresh_venv) for f in out["where"].values()), out["where"]
    assert len(set(out["pids"].values())) == 2 and all(pid not in (os.getpid(),) for pid in out["pids"].values())
    assert out["dims"] == ["a", "lr", "seed", "run"]
    assert out["same"] and all(out["same"].values()), out["same"]
    # and the checkout's own in-process sweep (this Python) gives the same numbers
    import sgdlab
    from sgdlab.tasks import quadratic_escape
    here = sgdlab.sweep(quadratic_escape, {"a": [-2.0, -1.0, -0.25], "lr": [0.3, 0.8, 1.4]}, n_runs=600,
                        seeds=(0, 1), chunk_runs=600)
    remote = np.load(outside / "remote.npz")
    for k in here.data.data_vars:
        assert np.array_equal(remote[k], here.data[k].values), k
    assert 0 < float(here.data.escaped.mean()) < 1   # a grid with both outcomes: the comparison bites


# ------------------------------------------------------------------ the Colab install cell (test_colab.py)
# here, not in test_colab.py: it uninstalls sgdlab from the install test's venv for a while, so it must
# run on the same pytest-xdist worker as the other tests of that venv (one file, one worker)

def test_colab_cell_installs_sgdlab_where_it_is_missing_and_does_nothing_where_it_is(
        fresh_venv, sgdlab_wheel, outside):
    src = colab_cell(sorted((ROOT / "book").glob("*.ipynb"))[0])[1]
    py = fresh_venv / "bin" / "python"
    offline = dict(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(__import__("installkit").wheelhouse()))
    run([py, "-m", "pip", "uninstall", "--yes", "--quiet", "sgdlab"], env=clean_env(), cwd=outside)
    try:
        r = venv_python(fresh_venv, "import importlib.util; print(importlib.util.find_spec('sgdlab'))", cwd=outside)
        assert r.stdout.strip() == "None", "sgdlab still importable after uninstall"
        # the cell, then (same process, as the next cell of a Colab kernel would) the chapter's imports
        code = src + "\nimport sgdlab, sgdlab.simulate, sgdlab.chapters._kit, sgdlab.book\nprint('AT', sgdlab.__file__)"
        spec = f"sgdlab[book] @ {sgdlab_wheel.as_uri()}"
        r = venv_python(fresh_venv, code, cwd=outside, env=clean_env(SGDLAB_PIP_SPEC=spec, **offline))
        where = r.stdout.strip().splitlines()[-1]
        assert where.startswith("AT ") and where[3:].startswith(str(fresh_venv)), r.stdout
    finally:   # leave the session's venv as it was
        pip_install(fresh_venv, "--no-deps", "--force-reinstall", sgdlab_wheel)
    # where sgdlab is importable the cell does nothing: a spec that cannot install proves pip never ran
    r = venv_python(fresh_venv, src + "\nprint('NOTHING')", cwd=outside,
                    env=clean_env(SGDLAB_PIP_SPEC="/nonexistent/sgdlab.whl", PIP_NO_INDEX="1"))
    assert r.stdout.strip() == "NOTHING" and r.stderr.strip() == "", (r.stdout, r.stderr)
    # and where it is missing, a spec that cannot install fails loudly (the check above can fail)
    run([py, "-m", "pip", "uninstall", "--yes", "--quiet", "sgdlab"], env=clean_env(), cwd=outside)
    try:
        r = venv_python(fresh_venv, src, cwd=outside, check=False,
                        env=clean_env(SGDLAB_PIP_SPEC="/nonexistent/sgdlab.whl", PIP_NO_INDEX="1"))
        assert r.returncode != 0 and "CalledProcessError" in r.stderr
    finally:
        pip_install(fresh_venv, "--no-deps", "--force-reinstall", sgdlab_wheel)
