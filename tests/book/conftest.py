"""Session fixtures of the install, Binder-replay and Colab tests; what they do and why is in
installkit.py (the wheel from a clean copy, a venv outside the checkout, a local wheelhouse)."""
from __future__ import annotations

import hashlib
import json
import tempfile
import time

import pytest

from installkit import (PYTHON311, ROOT, TIMINGS, build_wheel, cached_venv, clean_env, pip_install, run,
                        wheel_requirements)


@pytest.fixture(scope="session")
def sgdlab_wheel(tmp_path_factory):
    t0 = time.perf_counter()
    wheel = build_wheel(tmp_path_factory.mktemp("dist"))
    TIMINGS["wheel build"] = time.perf_counter() - t0
    return wheel


@pytest.fixture(scope="session")
def fresh_venv(sgdlab_wheel):
    """python3.11 venv outside the checkout with `sgdlab[book,dask]` from the wheel and its declared
    dependencies only (constrained to the lock's versions)."""
    key = hashlib.sha256(json.dumps([wheel_requirements(sgdlab_wheel), PYTHON311,
                                     (ROOT / "requirements.txt").read_text()]).encode()).hexdigest()[:16]
    spec = f"{sgdlab_wheel}[book,dask]"
    venv = cached_venv("install", key, lambda v: pip_install(v, spec, "-c", ROOT / "requirements.txt"))
    t0 = time.perf_counter()
    # this session's wheel (a cached venv may hold an older build of the same dependencies)
    pip_install(venv, "--force-reinstall", "--no-deps", sgdlab_wheel)
    run([venv / "bin" / "python", "-m", "pip", "check"], env=clean_env(), cwd=tempfile.gettempdir())
    TIMINGS["wheel reinstalled"] = time.perf_counter() - t0
    return venv


@pytest.fixture
def outside(tmp_path):
    """A working directory outside the checkout (no `sgdlab/` source tree to shadow the install)."""
    assert ROOT not in tmp_path.parents
    return tmp_path


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.write_line("install-test set-up times: " + ", ".join(
            f"{k} {v:.0f} s" for k, v in TIMINGS.items()))
