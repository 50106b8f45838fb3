"""Build the Cython core of sgdlab.

Compiled with -O3 and OpenMP when the compiler supports it (probed below); otherwise the core is
built serial and a message says so. The flags themselves are in sgdlab/_flags.py (shared with the
plain-C peer of `make bench`); ``-ffp-contract=off`` keeps floating-point results identical to the
NumPy reference for deterministic dynamics (no fused multiply-adds).
Set ``SGDLAB_DEBUG=1`` for a build with bounds checks and without -O3.
"""
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py


def _load_flags():
    """sgdlab/_flags.py, loaded by path (importing sgdlab needs the core this script builds)."""
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sgdlab", "_flags.py")
    spec = importlib.util.spec_from_file_location("_sgdlab_flags", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _openmp_flag():
    """Return the OpenMP compile/link flag if the C compiler accepts it, else None."""
    if os.environ.get("SGDLAB_NO_OPENMP"):
        return None
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    cc = cc.split()[0]
    if shutil.which(cc) is None:
        return None
    src = "#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n"
    with tempfile.TemporaryDirectory() as tmp:
        c = os.path.join(tmp, "probe.c")
        with open(c, "w") as fh:
            fh.write(src)
        try:
            r = subprocess.run([cc, "-fopenmp", c, "-o", os.path.join(tmp, "probe")],
                               capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return None
    return "-fopenmp" if r.returncode == 0 else None


debug = bool(os.environ.get("SGDLAB_DEBUG"))
omp = _openmp_flag()
if omp is None:
    print("sgdlab: OpenMP not available; building the core serial (one thread).", file=sys.stderr)

cflags = _load_flags().core_cflags(debug)
lflags = []
if omp:
    cflags.append(omp)
    lflags.append(omp)

# _driver first: it takes as long to compile as the other four together, and the modules are compiled
# in this order by one thread per CPU this process may use, at most one per module (build_ext_parallel)
modules = ["_driver", "landscapes", "noise", "optimizers", "_random"]
cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
jobs = max(1, min(cpus, len(modules)))
extensions = [
    Extension(f"sgdlab.{m}", [f"sgdlab/{m}.pyx"], include_dirs=[np.get_include(), "sgdlab"],
              extra_compile_args=cflags, extra_link_args=lflags,
              define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")])
    for m in modules
]

directives = {
    "language_level": 3,
    "boundscheck": debug,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": debug,
    "nonecheck": False,
    "embedsignature": True,
}


class build_ext_parallel(build_ext):
    """build_ext with the modules compiled in parallel (`jobs` threads) unless `--parallel`/`-j` says
    otherwise: on 2 cores the core builds in about half the time."""

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:
            self.parallel = jobs


class build_py_with_notebooks(build_py):
    """Also copy the chapter notebooks (book/*.ipynb, not _*) into the built package as
    sgdlab/_notebooks/, so that an installed sgdlab can run its chapters (`python -m sgdlab.book`)."""

    def run(self):
        super().run()
        here = os.path.dirname(os.path.abspath(__file__))
        book = os.path.join(here, "book")
        if not os.path.isdir(book):   # e.g. an sdist made without MANIFEST.in
            print("sgdlab: no book/ folder; the wheel carries no chapter notebooks", file=sys.stderr)
            return
        target = os.path.join(self.build_lib, "sgdlab", "_notebooks")
        self.mkpath(target)
        for name in sorted(os.listdir(book)):
            if name.endswith(".ipynb") and not name.startswith("_"):
                self.copy_file(os.path.join(book, name), os.path.join(target, name))


setup(ext_modules=cythonize(extensions, compiler_directives=directives, nthreads=jobs,
                            compile_time_env={"SGDLAB_OPENMP": bool(omp)}),
      cmdclass={"build_py": build_py_with_notebooks, "build_ext": build_ext_parallel})
