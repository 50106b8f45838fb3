"""The Colab install cell of every chapter, and glue without myst-nb.

The cell (first code cell, id "colab-install", tag remove-cell) installs `sgdlab[book]` from the
repository of _config.yml when sgdlab is not importable; SGDLAB_PIP_SPEC overrides the spec. Here it
runs against the locally built wheel, in the fresh venv of the install test with sgdlab removed
(Colab has numpy, pandas, matplotlib, ipywidgets, ...: only sgdlab is missing).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

from installkit import ROOT, clean_env, pip_install, run, venv_python

NOTEBOOKS = sorted(p for p in (ROOT / "book").glob("*.ipynb"))


def colab_cell(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{path.name}: no code cell"
    cell = code[0]
    src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    return cell, src


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_starts_with_the_colab_cell(path):
    cell, src = colab_cell(path)
    # (identified by what it does, not by its id: editors of the notebooks renumber cell ids)
    assert "SGDLAB_PIP_SPEC" in src and 'find_spec("sgdlab")' in src, \
        f"{path.name}: the first code cell is not the Colab install cell (cell id {cell.get('id')!r})"
    assert "remove-cell" in cell["metadata"].get("tags", []), f"{path.name}: Colab cell shown on the page"


def test_colab_cells_are_identical():
    sources = {p.stem: colab_cell(p)[1] for p in NOTEBOOKS}
    assert len(set(sources.values())) == 1, "the Colab cells differ between notebooks"


def test_colab_cell_installs_from_the_books_repository():
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    src = colab_cell(NOTEBOOKS[0])[1]
    m = re.search(r'"(sgdlab\[book\] @ git\+(\S+?))"', src)
    assert m, "no default 'sgdlab[book] @ git+URL' spec in the Colab cell"
    assert m.group(2).removesuffix(".git").rstrip("/") == url, (m.group(2), url)
    binder = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert binder["launch_buttons"].get("colab_url") == "https://colab.research.google.com"


def test_colab_cell_installs_sgdlab_where_it_is_missing_and_does_nothing_where_it_is(
        fresh_venv, sgdlab_wheel, outside):
    src = colab_cell(NOTEBOOKS[0])[1]
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


BLOCK_MYST = r"""
import sys
sys.modules["myst_nb"] = None          # `import myst_nb` now raises ImportError, as on Colab
from sgdlab.chapters import _kit
assert _kit._myst_glue is None
_kit.glue("lr_star", 0.25, display=False)
_kit.glue("curve", [0.5, 0.25])
_kit.glue("shown", 3, display=True)
print("GLUED", _kit.GLUED)
"""


def test_glue_works_without_myst_nb(outside):
    r = subprocess.run([sys.executable, "-c", BLOCK_MYST], cwd=outside, capture_output=True, text=True,
                       timeout=300, env=dict(clean_env(), PYTHONPATH=str(ROOT)))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[-1] == "GLUED {'lr_star': 0.25, 'curve': [0.5, 0.25], 'shown': 3}"
    assert "3" in lines[:-1], "display=True showed nothing"
