"""Binder without Docker: replay what repo2docker does with binder/, and check the launch buttons.

repo2docker, for a repository with binder/runtime.txt, binder/requirements.txt and binder/postBuild:
a Python of the version runtime.txt names, `pip install -r binder/requirements.txt`, then
`binder/postBuild` run from the repository root; JupyterLab then opens the launch button's urlpath.
Here: python3.11 -m venv (outside the checkout), the same two steps on a clean copy of the checkout's
files, then a chapter executed with papermill in that venv from the folder JupyterLab would use.
The requirements step is cached while binder/requirements.txt and the lock are unchanged (as
Docker caches that layer); postBuild (which builds and installs sgdlab) runs every time.
"""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import yaml

from installkit import (PYTHON311, ROOT, TIMINGS, _hash_files, cached_venv, clean_env, copy_checkout,
                        pip_install, run)

CHAPTER = os.environ.get("SGDLAB_INSTALL_TEST_CHAPTER", "sharp_minima")


def test_binder_config_pins_python_and_the_lock():
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    reqs = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert "-r ../requirements.txt" in reqs
    assert any(re.fullmatch(r"jupyterlab==[\d.]+", r) for r in reqs)
    lock = (ROOT / "requirements.txt").read_text()
    for pinned in ("ipywidgets==", "jupyterlab_widgets==", "Cython==", "numpy==", "papermill=="):
        assert pinned in lock
    post = (ROOT / "binder" / "postBuild")
    assert os.access(post, os.X_OK) and "pip install --no-deps --no-build-isolation ." in post.read_text()


def test_launch_buttons_open_the_chapter_notebook():
    """sphinx-book-theme builds `{binderhub}/v2/gh/{org}/{repo}/{branch}?urlpath=lab/tree/{path_to_book}{page}.ipynb`
    and `{colab}/github/{org}/{repo}/blob/{branch}/{path_to_book}{page}.ipynb`: with path_to_book ""
    the page book/<chapter> opens book/<chapter>.ipynb, a file of the repository."""
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo, lb = cfg["repository"], cfg["launch_buttons"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repo["url"])
    assert lb["binderhub_url"] == "https://mybinder.org" and lb["notebook_interface"] == "jupyterlab"
    assert repo.get("path_to_book", "") in ("", None), "launch links would point to ./book/... or elsewhere"
    assert repo["branch"] == "main"
    assert cfg.get("sphinx", {}).get("recursive_update") is True   # keeps launch_buttons next to theme options
    html = ROOT / "_build" / "html" / "book"
    built = sorted(html.glob("*.html")) if html.is_dir() else []
    org_repo = repo["url"].removeprefix("https://github.com/")
    for page in built:   # a built book (make book) must carry exactly these links
        if not (ROOT / "book" / f"{page.stem}.ipynb").exists():
            continue
        text = page.read_text()
        assert (f"https://mybinder.org/v2/gh/{org_repo}/main?urlpath=lab/tree/book/{page.stem}.ipynb" in text), page
        assert f"https://colab.research.google.com/github/{org_repo}/blob/main/book/{page.stem}.ipynb" in text, page


def test_binder_replay(sgdlab_wheel, tmp_path):
    key = _hash_files([ROOT / "binder" / "requirements.txt", ROOT / "requirements.txt",
                       ROOT / "binder" / "runtime.txt"], PYTHON311)
    venv = cached_venv("binder", key, lambda v: pip_install(v, "-r", ROOT / "binder" / "requirements.txt"))
    repo = tmp_path / "repo"
    copy_checkout(repo)
    env = clean_env(PATH=f"{venv / 'bin'}{os.pathsep}{clean_env()['PATH']}", VIRTUAL_ENV=venv,
                    PIP_NO_INDEX="1", PIP_FIND_LINKS=str(__import__("installkit").wheelhouse()))
    # the compiled core of the wheel build (same sources) keeps postBuild from compiling it again
    core = sorted(Path(os.environ.get("SGDLAB_TEST_CACHE", Path.home() / ".cache" / "sgdlab-tests")).glob("core-*"))
    if core:
        time.sleep(0.05)
        for f in core[-1].rglob("*"):
            if f.is_file() and f.name != ".complete":
                target = repo / f.relative_to(core[-1])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(f.read_bytes())
    # the cached venv may hold sgdlab from an earlier replay: start from the requirements layer only
    run([venv / "bin" / "python", "-m", "pip", "uninstall", "--yes", "--quiet", "sgdlab"], env=env, cwd=tmp_path,
        check=False)
    t0 = time.perf_counter()
    r = run(["bash", repo / "binder" / "postBuild"], cwd=repo, env=env, timeout=1800)
    TIMINGS["binder postBuild"] = time.perf_counter() - t0
    assert "postBuild: sgdlab" in r.stdout and str(venv) in r.stdout, r.stdout
    # JupyterLab opens book/<chapter>.ipynb with the kernel's cwd = book/: run it from there
    out = tmp_path / "executed.ipynb"
    t0 = time.perf_counter()
    run([venv / "bin" / "papermill", "--engine", "sgdlab", "-k", "python3", "--execution-timeout", "600",
         "--no-progress-bar", repo / "book" / f"{CHAPTER}.ipynb", out, "-p", "n_runs", "100", "-p", "steps", "500",
         "--cwd", repo / "book"], cwd=repo / "book", env=env, timeout=1200)
    TIMINGS["binder chapter"] = time.perf_counter() - t0
    nb = json.loads(out.read_text())
    assert not [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
                if o.get("output_type") == "error"]
    widgets = nb["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    assert widgets.get("state"), "no widget state saved: the explorer did not render"
    lab = run([venv / "bin" / "jupyter", "labextension", "list"], env=env, cwd=tmp_path)
    assert re.search(r"@jupyter-widgets/jupyterlab-manager.*enabled", lab.stdout + lab.stderr)
