#!/usr/bin/env python
"""Preview some chapters as the reader sees them: build a small book (intro, the chosen chapters,
references) from the executed notebooks in _build/executed, and take full-page screenshots at 1280 px.

    .venv/bin/python scripts/preview.py local_maximum [saddle_escape ...]

Run `make _build/executed/<chapter>.ipynb` first (or `make book`). Output: _build/preview/<names>/html,
screenshots _build/screenshots/preview_<chapter>.png. Each set of chapters builds in its own folder,
so previews of different chapters can run side by side.
"""
import os
import shutil
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stage_site import stage_notebook, stage_static  # noqa: E402


def main(names):
    tag = "_".join(names)
    site = os.path.join(ROOT, "_build", "preview", tag, "site")
    if os.path.exists(site):
        shutil.rmtree(site)
    os.makedirs(os.path.join(site, "book"))
    shutil.copy(os.path.join(ROOT, "_config.yml"), site)
    stage_static(site)
    for f in os.listdir(os.path.join(ROOT, "book")):
        if f.endswith((".md", ".bib")):
            shutil.copy(os.path.join(ROOT, "book", f), os.path.join(site, "book", f))
    for n in names:
        src = os.path.join(ROOT, "_build", "executed", n + ".ipynb")
        if not os.path.exists(src):
            sys.exit(f"{src} missing: run `make _build/executed/{n}.ipynb` first")
        stage_notebook(src, os.path.join(site, "book", n + ".ipynb"))
    with open(os.path.join(ROOT, "_toc.yml"), encoding="utf-8") as fh:
        toc = yaml.safe_load(fh)
    keep = {f"book/{n}" for n in names} | {"book/references", "book/errata"}
    parts = []
    for part in toc.get("parts", []):
        chs = [c for c in part.get("chapters", []) if c["file"] in keep
               and (os.path.exists(os.path.join(site, c["file"] + ".md"))
                    or os.path.exists(os.path.join(site, c["file"] + ".ipynb")))]
        if chs:
            parts.append(dict(part, chapters=chs))
    toc["parts"] = parts
    with open(os.path.join(site, "_toc.yml"), "w", encoding="utf-8") as fh:
        yaml.safe_dump(toc, fh, sort_keys=False)
    out = os.path.join(ROOT, "_build", "preview", tag)
    jb = os.path.join(os.path.dirname(sys.executable), "jupyter-book")
    r = subprocess.run([jb, "build", site, "--path-output", out, "-n", "--keep-going"],
                       capture_output=True, text=True)
    warnings = [l for l in (r.stdout + r.stderr).splitlines() if "WARNING" in l or "ERROR" in l]
    print("\n".join(warnings) or "build: no warnings")
    html = os.path.join(out, "_build", "html")
    shots = os.path.join(ROOT, "_build", "screenshots")
    os.makedirs(shots, exist_ok=True)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                              args=["--no-sandbox"])
        page = b.new_page(viewport={"width": 1280, "height": 900})
        for n in names:
            page.goto("file://" + os.path.join(html, "book", n + ".html"))
            page.wait_for_timeout(1500)
            path = os.path.join(shots, f"preview_{n}.png")
            page.screenshot(path=path, full_page=True)
            print("screenshot:", path)
        b.close()
    print("html:", os.path.join(html, "book"))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
