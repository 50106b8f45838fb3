"""The template chapter (book/_template.ipynb + sgdlab/chapters/_template/) runs, on the kit, and
follows the chapters' contract, so a chapter copied from it starts right."""
import os
import subprocess
import sys

from sgdlab.book import notebook_parameters, read_glue
from sgdlab.chapters._template import experiments as ex

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NB = os.path.join(ROOT, "book", "_template.ipynb")


def test_parameters_cell_is_the_table():
    cell = notebook_parameters(NB)   # papermill reports the defaults as source text
    assert list(cell) == [p.name for p in ex.PARAMS]
    assert ex.PARAMS.validate(cell) == ex.PARAMS.validate()


def test_template_executes_and_agrees(tmp_path):
    out = tmp_path / "t.ipynb"
    r = subprocess.run([sys.executable, "scripts/run_chapter.py", "_template", str(out), "-p", "n_runs", "300",
                        "-p", "steps", "800", "--timeout", "300"], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    g = read_glue(out)
    assert g["agreement_all_pass"] is True and g["n_diverged"] == 0
    assert abs(g["mean_abs"] - g["mean_abs_theory"]) < 0.05
