#!/usr/bin/env python
"""Stage the Jupyter Book sources in _build/site: config, toc, markdown pages and the *executed*
chapter notebooks (from _build/executed), so that Jupyter Book renders executed notebooks without
ever executing them and never sees a source notebook next to an executed one.

Fails (exit 1, with the reason) if a chapter notebook under book/ is not in _toc.yml, or if a toc
entry has no source or no executed notebook. Parts left without chapters are dropped from the
staged toc. Files are copied only when their content changed, so Sphinx rebuilds only what changed.
"""
import filecmp
import json
import os
import shutil
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXECUTED = os.path.join(ROOT, "_build", "executed")


def copy_if_changed(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if not os.path.exists(dst) or not filecmp.cmp(src, dst, shallow=False):
        shutil.copy2(src, dst)


def page_notebook(nb):
    """The executed notebook as the page shows it: no ipywidgets state (the frozen widgets would pull
    the widget manager from a CDN and do nothing without a kernel; the live explorers stay in the
    notebooks), and papermill's injected-parameters cell removed from the page like the parameters cell."""
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb.get("cells", []):
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell["metadata"]["tags"] = tags + ["remove-cell"]
    return nb


def stage_notebook(src, dst):
    """Copy an executed notebook to the site as the page shows it (only when its content changed)."""
    with open(src, encoding="utf-8") as fh:
        text = json.dumps(page_notebook(json.load(fh)), indent=1, ensure_ascii=False)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if not os.path.exists(dst) or open(dst, encoding="utf-8").read() != text:
        with open(dst, "w", encoding="utf-8") as fh:
            fh.write(text)


def stage_static(site):
    """The JavaScript the explorers need, served by the book itself (never from a CDN): BokehJS from
    the installed bokeh package, and the book's stylesheet, into the site's _static folder (see
    html_js_files and html_css_files in _config.yml)."""
    sys.path.insert(0, ROOT)
    from sgdlab.chapters._explorer import bokeh_js_files
    staged = []
    for src in bokeh_js_files() + [os.path.join(ROOT, "book", "_static", "sgdlab.css")]:
        rel = os.path.join("_static", os.path.basename(src))
        copy_if_changed(src, os.path.join(site, rel))
        staged.append(rel)
    return staged


def resolve(entry, errors):
    """Source path (relative to ROOT) to stage for a toc entry, or None with an error recorded."""
    name = entry
    ipynb = os.path.join(ROOT, name + ".ipynb")
    md = os.path.join(ROOT, name + ".md")
    if os.path.exists(ipynb):
        executed = os.path.join(EXECUTED, os.path.basename(name) + ".ipynb")
        if not os.path.exists(executed):
            errors.append(f"{name}.ipynb has not been executed ({executed} missing): run `make book`")
            return None
        return executed, name + ".ipynb"
    if os.path.exists(md):
        return md, name + ".md"
    errors.append(f"_toc.yml lists {name!r} but neither {name}.ipynb nor {name}.md exists")
    return None


def main(site=os.path.join(ROOT, "_build", "site")):
    with open(os.path.join(ROOT, "_toc.yml"), encoding="utf-8") as fh:
        toc = yaml.safe_load(fh)
    errors, staged = [], {}
    listed = {toc["root"]}
    parts = []
    for part in toc.get("parts", []):
        chapters = []
        for ch in part.get("chapters") or []:
            listed.add(ch["file"])
            chapters.append(ch)
        if chapters:
            parts.append(dict(part, chapters=chapters))
    for name in sorted(listed):
        got = resolve(name, errors)
        if got:
            staged[got[1]] = got[0]
    book_dir = os.path.join(ROOT, "book")
    for fname in sorted(os.listdir(book_dir)):
        if fname.endswith(".ipynb") and not fname.startswith("_") and f"book/{fname[:-6]}" not in listed:
            errors.append(f"chapter book/{fname} is not in _toc.yml: add `- file: book/{fname[:-6]}` to its part")
    if errors:
        print("stage_site: cannot build the book:\n  - " + "\n  - ".join(errors), file=sys.stderr)
        return 1
    for rel, src in staged.items():
        if rel.endswith(".ipynb"):
            stage_notebook(src, os.path.join(site, rel))
        else:
            copy_if_changed(src, os.path.join(site, rel))
    for extra in ["_config.yml", "book/references.bib"]:
        copy_if_changed(os.path.join(ROOT, extra), os.path.join(site, extra))
    # the staged toc: the same, without empty parts
    staged_toc = dict(toc, parts=parts)
    text = yaml.safe_dump(staged_toc, sort_keys=False)
    path = os.path.join(site, "_toc.yml")
    if not os.path.exists(path) or open(path, encoding="utf-8").read() != text:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    static = stage_static(site)
    # remove staged files that are no longer in the toc
    keep = set(staged) | set(static) | {"_config.yml", "_toc.yml", "book/references.bib"}
    for dirpath, _, files in os.walk(site):
        if "_build" in dirpath.split(os.sep):
            continue
        for f in files:
            rel = os.path.relpath(os.path.join(dirpath, f), site)
            if rel not in keep:
                os.unlink(os.path.join(dirpath, f))
    print(f"stage_site: {len(staged)} pages staged in {os.path.relpath(site, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
