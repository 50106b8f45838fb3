"""Helpers of the install, Binder-replay and Colab tests (fixtures: conftest.py): sgdlab as a user gets it, outside the checkout.

* `sgdlab_wheel`: the wheel built from a clean copy of the checkout's files (git ls-files: tracked and
  new, not ignored), `pip wheel --no-deps --no-build-isolation`. Compiling the core takes ~1 min on a
  2-core machine, so the compiled modules (and Cython's .c files) are kept in the cache keyed by the
  hash of the core's sources (sgdlab/*.pyx, *.pxd, *.h, _flags.py, setup.py) and put into the clean
  copy before building: setuptools then skips the compile. An empty cache is filled from the
  checkout's own in-place build (`make install`) when that is newer than every core source, so a fresh
  clone compiles the core once, not twice. Any other change (a .py file, a notebook) gives a new wheel.
* `fresh_venv`: a venv made by python3.11 OUTSIDE the checkout, holding the wheel installed with its
  declared dependencies (`sgdlab[book,dask]`, versions constrained by requirements.txt) and nothing
  else. Installing ~120 packages takes minutes on a loaded machine, so the venv is cached and reused
  while the wheel's declared dependencies and the lock are unchanged (the key); sgdlab itself is
  re-installed from the new wheel in every session and `pip check` must pass.
  `SGDLAB_FRESH_VENV=1` forces a venv built from nothing.
* packages come from a local wheelhouse in the cache, downloaded from PyPI once per lock
  (`pip download -r requirements.txt jupyterlab`), then every install is `--no-index`.

Cache: $SGDLAB_TEST_CACHE, default ~/.cache/sgdlab-tests (outside the checkout).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("SGDLAB_TEST_CACHE", Path.home() / ".cache" / "sgdlab-tests"))
PYTHON311 = shutil.which("python3.11") or sys.executable
TIMINGS: dict[str, float] = {}


def run(args, timeout=900, check=True, **kw):
    """subprocess.run with captured text output; on failure the command and its output are shown."""
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    r = subprocess.run([str(a) for a in args], timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"command failed ({r.returncode}): {' '.join(map(str, args))}\n"
                             f"--- stdout\n{(r.stdout or '')[-4000:]}\n--- stderr\n{(r.stderr or '')[-4000:]}")
    return r


def clean_env(**extra):
    """The environment without anything that would make a child see the checkout's sgdlab or venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(str(ROOT)))
    env.update({k: str(v) for k, v in extra.items()})
    return env


@contextlib.contextmanager
def locked(name):
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _hash_files(paths, extra=""):
    h = hashlib.sha256(extra.encode())
    for p in sorted(paths):
        h.update(str(Path(p).relative_to(ROOT)).encode())
        h.update(Path(p).read_bytes())
    return h.hexdigest()[:16]


def checkout_files():
    """Files a clone of the checkout would have (tracked and new, not ignored), relative paths."""
    r = run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"])
    return [f for f in r.stdout.split("\0") if f and (ROOT / f).is_file()]


def copy_checkout(dest):
    for f in checkout_files():
        target = Path(dest) / f
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, target)


def colab_cell(path):
    """The first code cell of a notebook (the Colab install cell) and its source."""
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{path.name}: no code cell"
    cell = code[0]
    src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    return cell, src



# --------------------------------------------------------------------------------------- wheelhouse

def wheelhouse():
    """A folder of wheels for everything requirements.txt and binder/requirements.txt pin."""
    reqs = [ROOT / "requirements.txt", ROOT / "binder" / "requirements.txt"]
    key = _hash_files(reqs, PYTHON311)
    wh = CACHE / "wheelhouse"
    stamp = wh / f".complete-{key}"
    with locked("wheelhouse"):
        if not stamp.exists():
            t0 = time.perf_counter()
            wh.mkdir(parents=True, exist_ok=True)
            run([PYTHON311, "-m", "pip", "download", "--quiet", "--dest", wh, "-r", ROOT / "binder" / "requirements.txt"],
                timeout=1800, env=clean_env())
            for old in wh.glob(".complete-*"):
                old.unlink()
            stamp.touch()
            TIMINGS["wheelhouse download"] = time.perf_counter() - t0
    return wh


def pip_install(venv, *args, timeout=1800, env=None):
    return run([Path(venv) / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile",
                "--no-index", "--find-links", wheelhouse(), *args], timeout=timeout,
               env=env or clean_env(), cwd=tempfile.gettempdir())


def new_venv(path):
    if Path(path).exists():
        shutil.rmtree(path)
    run([PYTHON311, "-m", "venv", path], env=clean_env())
    return Path(path)


# ------------------------------------------------------------------------------------------- wheel

CORE_MODULES = ("_random", "landscapes", "noise", "optimizers", "_driver")


def core_sources():
    """Everything the compiled core is made from (a change of any of them means a new compile)."""
    return [p for pat in ("sgdlab/*.pyx", "sgdlab/*.pxd", "sgdlab/*.h", "sgdlab/_flags.py", "setup.py")
            for p in ROOT.glob(pat)]


def _seed_core_cache_from_checkout(core_cache):
    """`make install` has already compiled these very sources in place (sgdlab/*.c, sgdlab/*.so, same
    setup.py, same flags): when every module is there and newer than every source, those files are the
    core cache, so the wheel build does not compile the core a second time (~45 s on a 2-core machine)."""
    newest = max(p.stat().st_mtime for p in core_sources())
    built = {}
    for mod in CORE_MODULES:
        so = sorted(ROOT.glob(f"sgdlab/{mod}.cpython-*.so"))
        c = ROOT / "sgdlab" / f"{mod}.c"
        if len(so) != 1 or not c.exists() or min(so[0].stat().st_mtime, c.stat().st_mtime) < newest:
            return False
        built[mod] = (so[0], c)
    lib = f"lib.{sysconfig.get_platform()}-{sys.implementation.cache_tag}"
    with locked("core"):
        tmp = Path(tempfile.mkdtemp(dir=CACHE))
        (tmp / "sgdlab").mkdir()
        (tmp / "build" / lib / "sgdlab").mkdir(parents=True)
        for so, c in built.values():
            shutil.copy(c, tmp / "sgdlab" / c.name)
            shutil.copy(so, tmp / "build" / lib / "sgdlab" / so.name)
        (tmp / ".complete").touch()
        for old in CACHE.glob("core-*"):
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, core_cache)
    TIMINGS["core taken from the checkout's build"] = 0.0
    return True


def build_wheel(out_dir):
    """Build the wheel from a clean copy of the checkout, reusing a cached compile of the core."""
    core_key = _hash_files(core_sources(), sys.version)
    core_cache = CACHE / f"core-{core_key}"
    if not (core_cache / ".complete").exists():
        _seed_core_cache_from_checkout(core_cache)
    with tempfile.TemporaryDirectory(prefix="sgdlab-src-") as src:
        src = Path(src)
        copy_checkout(src)
        if (core_cache / ".complete").exists():
            time.sleep(0.05)  # the cached outputs must be newer than the sources just copied
            for f in core_cache.rglob("*"):
                if f.is_file() and f.name != ".complete":
                    target = src / f.relative_to(core_cache)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(f, target)   # fresh mtime: setuptools sees them up to date
        run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "--quiet",
             "-w", out_dir], cwd=src, timeout=1800, env=dict(clean_env(), PATH=os.environ["PATH"]))
        if not (core_cache / ".complete").exists():
            with locked("core"):
                tmp = Path(tempfile.mkdtemp(dir=CACHE))
                for f in list(src.glob("sgdlab/*.c")) + list(src.glob("build/lib*/sgdlab/*.so")):
                    target = tmp / f.relative_to(src)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(f, target)
                (tmp / ".complete").touch()
                for old in CACHE.glob("core-*"):
                    shutil.rmtree(old, ignore_errors=True)
                os.replace(tmp, core_cache)
    wheels = list(Path(out_dir).glob("sgdlab-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def wheel_requirements(wheel):
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        text = z.read(meta).decode()
    return sorted(line for line in text.splitlines()
                  if line.startswith(("Requires-Dist:", "Requires-Python:", "Provides-Extra:")))


def cached_venv(name, key, build):
    """A venv under the cache, rebuilt by `build(path)` when `key` changes (or SGDLAB_FRESH_VENV=1)."""
    path = CACHE / f"venv-{name}-{key}"
    with locked(f"venv-{name}"):
        if os.environ.get("SGDLAB_FRESH_VENV") == "1" or not (path / ".complete").exists():
            for old in CACHE.glob(f"venv-{name}-*"):
                shutil.rmtree(old, ignore_errors=True)
            t0 = time.perf_counter()
            build(new_venv(path))
            (path / ".complete").touch()
            TIMINGS[f"venv {name} built"] = time.perf_counter() - t0
    return path


def venv_python(venv, code, cwd, timeout=600, env=None, check=True):
    return run([Path(venv) / "bin" / "python", "-c", code], cwd=cwd, timeout=timeout,
               env=env or clean_env(), check=check)
