"""The Colab install cell of every chapter, and glue without myst-nb.

The cell (first code cell, id "colab-install", tag remove-cell) installs `sgdlab[book]` from the
repository of _config.yml when sgdlab is not importable; SGDLAB_PIP_SPEC overrides the spec. Here it
runs against the locally built wheel, in the fresh venv of the install test with sgdlab removed
(Colab has numpy, pandas, matplotlib, ipywidgets, ...: only sgdlab is missing). That test is in
test_install.py, next to the other users of that venv (one file runs on one pytest-xdist worker, and it
uninstalls sgdlab from the venv for a while).
"""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from installkit import ROOT, clean_env, colab_cell

NOTEBOOKS = sorted(p for p in (ROOT / "book").glob("*.ipynb"))


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
