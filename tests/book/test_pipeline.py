"""The book pipeline: papermill executor, glue reader, staged Jupyter Book build with -W.

A minimal book (one small chapter with a parameter cell, a figure, glued values and a widget) is
built in a temporary folder by the same scripts `make book` uses.
"""
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from sgdlab.book import read_glue

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)

MINI = [
    ("markdown", "# A minimal chapter\n\nOne figure, two glued numbers, one widget.", None),
    ("code", "import numpy as np\nimport matplotlib.pyplot as plt\nimport ipywidgets as W\nfrom myst_nb import glue", None),
    ("code", "lr = 0.5\nn_runs = 100", ["parameters"]),
    ("code", "if not 0 < lr < 2:\n    raise ValueError(f'lr: must be in (0, 2), got {lr!r}')", None),
    ("markdown", "## A figure", None),
    ("code", "fig, ax = plt.subplots()\nax.plot(np.arange(10) * lr)\nax.set_xlabel('step')\nplt.show()", None),
    ("code", "glue('twice_lr', 2 * lr, display=False)\nglue('runs', [n_runs, n_runs + 1], display=False)", None),
    ("code", "W.FloatSlider(value=lr, description='lr')", None),
]

FAILING = [
    ("markdown", "# A failing chapter", None),
    ("code", "x = 1", ["parameters"]),
    ("code", "y = x + 1", None),
    ("code", "raise RuntimeError('this chapter is broken on purpose')", None),
]


def _notebook(cells):
    nb = nbformat.v4.new_notebook()
    for kind, src, tags in cells:
        cell = nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def minibook(tmp_path_factory):
    root = tmp_path_factory.mktemp("minibook")
    (root / "book").mkdir()
    (root / "scripts").mkdir()
    for f in ("run_chapter.py", "stage_site.py"):
        shutil.copy(os.path.join(ROOT, "scripts", f), root / "scripts" / f)
    shutil.copy(os.path.join(ROOT, "_config.yml"), root / "_config.yml")
    shutil.copy(os.path.join(ROOT, "book", "references.bib"), root / "book" / "references.bib")
    shutil.copy(os.path.join(ROOT, "book", "references.md"), root / "book" / "references.md")
    (root / "book" / "_static").mkdir()
    shutil.copy(os.path.join(ROOT, "book", "_static", "sgdlab.css"), root / "book" / "_static" / "sgdlab.css")
    (root / "book" / "intro.md").write_text("# Mini book\n\nAn introduction {cite:p}`ziyin2021sgd`.\n")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: Chapters\n    chapters:\n"
        "      - file: book/mini\n  - caption: Empty part\n    chapters: []\n"
        "  - caption: Back matter\n    chapters:\n      - file: book/references\n")
    nbformat.write(_notebook(MINI), root / "book" / "mini.ipynb")
    nbformat.write(_notebook(FAILING), root / "book" / "_broken.ipynb")
    return root


def _run(args, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def built(minibook):
    out = minibook / "_build" / "executed" / "mini.ipynb"
    r = _run([sys.executable, "scripts/run_chapter.py", "mini", str(out), "-p", "lr", "0.25"], minibook)
    assert r.returncode == 0, r.stderr
    r = _run([sys.executable, "scripts/stage_site.py"], minibook)
    assert r.returncode == 0, r.stderr
    r = _run([os.path.join(BIN, "jupyter-book"), "build", "_build/site", "--path-output", "_build/jb",
              "-n", "-W", "--keep-going"], minibook)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return minibook


def test_build_succeeds_without_warnings(built):
    assert (built / "_build" / "jb" / "_build" / "html" / "book" / "mini.html").exists()


def test_glue_reader_returns_the_stored_values(built):
    glued = read_glue(built / "_build" / "executed" / "mini.ipynb")
    assert glued == {"twice_lr": 0.5, "runs": [100, 101]}


def test_injected_parameters_cell_is_hidden(built):
    nb = json.load(open(built / "_build" / "executed" / "mini.ipynb"))
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert injected and "hide-input" in injected[0]["metadata"]["tags"]


def test_html_has_figure_and_no_frozen_widgets(built):
    """The figure is on the page; the ipywidgets state is not (frozen controls do nothing without a
    kernel, and their manager would come from a CDN): stage_site strips it, the notebook keeps it."""
    html = (built / "_build" / "jb" / "_build" / "html" / "book" / "mini.html").read_text()
    assert '<img alt=' in html and "_images/" in html
    assert "application/vnd.jupyter.widget-state+json" not in html
    assert "embed-amd.js" not in html and "require.min.js" not in html
    executed = (built / "_build" / "executed" / "mini.ipynb").read_text()
    assert "application/vnd.jupyter.widget-state+json" in executed


def test_unknown_parameter_name_fails_clearly(minibook, tmp_path):
    r = _run([sys.executable, "scripts/run_chapter.py", "mini", str(tmp_path / "x.ipynb"),
              "-p", "learning_rate", "0.1"], minibook)
    assert r.returncode == 2
    assert "unknown parameter(s) 'learning_rate'" in r.stderr and "lr, n_runs" in r.stderr
    assert not (tmp_path / "x.ipynb").exists()


def test_bad_parameter_value_fails_with_the_chapters_message(minibook, tmp_path):
    r = _run([sys.executable, "scripts/run_chapter.py", "mini", str(tmp_path / "x.ipynb"),
              "-p", "lr", "-1"], minibook)
    assert r.returncode == 1
    assert "chapter mini" in r.stderr and "lr: must be in (0, 2)" in r.stderr
    assert not (tmp_path / "x.ipynb").exists()


def test_failing_chapter_names_itself_and_the_cell(minibook, tmp_path):
    r = _run([sys.executable, "scripts/run_chapter.py", "_broken", str(tmp_path / "b.ipynb")], minibook)
    assert r.returncode == 1
    assert "FAILED: chapter _broken, code cell 3" in r.stderr
    assert "this chapter is broken on purpose" in r.stderr
    assert not (tmp_path / "b.ipynb").exists()


def test_unlisted_chapter_stops_the_build(minibook):
    extra = minibook / "book" / "orphan.ipynb"
    nbformat.write(_notebook(MINI), extra)
    try:
        r = _run([sys.executable, "scripts/stage_site.py"], minibook)
        assert r.returncode == 1 and "book/orphan.ipynb is not in _toc.yml" in r.stderr
    finally:
        extra.unlink()


def test_unknown_chapter_name(minibook, tmp_path):
    r = _run([sys.executable, "scripts/run_chapter.py", "nope", str(tmp_path / "n.ipynb")], minibook)
    assert r.returncode == 2 and "no chapter named 'nope'" in r.stderr
