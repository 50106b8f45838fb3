#!/usr/bin/env python
"""Move every slider of every kernel-free explorer on the built pages, offline, and compare what the
page then shows (the plotted data and the ✓/✗ verdict) with the values the chapter glued for that grid
point (`explorer_*` summaries of `sgdlab.chapters._explorer.GridExplorer.summary`).

    .venv/bin/python scripts/check_explorers.py _build/html _build/executed

Exit status 1 on any mismatch; prints what was checked.
"""
from __future__ import annotations

import itertools
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_READ_JS = """
([name, sources]) => {
  const doc = Bokeh.documents.find(d => d.get_model_by_name(name + '-status'));
  if (!doc) return null;
  const out = {status: doc.get_model_by_name(name + '-status').text, head: {}};
  for (const s of sources) {
    const src = doc.get_model_by_name(name + '-' + s);
    out.head[s] = {};
    for (const [c, v] of src.data.entries ? src.data.entries() : Object.entries(src.data))
      out.head[s][c] = Array.from(v).slice(0, 3).map(x => (x === null || Number.isNaN(x)) ? null : x);
  }
  return out;
}
"""

_MOVE_JS = """
([name, axis, value]) => {
  const doc = Bokeh.documents.find(d => d.get_model_by_name(name + '-slider-' + axis));
  doc.get_model_by_name(name + '-slider-' + axis).value = value;
  return true;
}
"""


def summaries(executed_dir):
    """{chapter: [explorer summary, ...]} from the glued results of the executed notebooks."""
    sys.path.insert(0, ROOT)
    from sgdlab.book import read_glue
    out = {}
    for f in sorted(os.listdir(executed_dir)):
        if f.endswith(".ipynb") and not f.startswith("tmp"):
            g = read_glue(os.path.join(executed_dir, f))
            found = [v for k, v in g.items() if k.startswith("explorer") and isinstance(v, dict) and "points" in v]
            if found:
                out[f[:-6]] = found
    return out


def _close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def check(html_root, executed_dir, points_per_axis=3):
    from playwright.sync_api import sync_playwright
    problems, checked = [], 0
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
        for ch, exps in summaries(executed_dir).items():
            page = ctx.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "blob:"))
                       else r.abort())
            path = os.path.join(html_root, "book", ch + ".html")
            if not os.path.exists(path):
                path = os.path.join(html_root, ch + ".html")
            page.goto("file://" + path, wait_until="load")
            for s in exps:
                name, axes = s["name"], list(s["axes"].items())
                shape = [len(v) for _, v in axes]
                try:
                    page.wait_for_function("n => window.Bokeh && Bokeh.documents.some(d => d.get_model_by_name(n + '-status'))",
                                           arg=name, timeout=15000)
                except Exception:
                    problems.append(f"{ch}: explorer {name} is not on the page (or BokehJS did not load)")
                    continue
                sources = list(s["points"][0]["head"])
                picks = [sorted({0, n // 2, n - 1})[:points_per_axis] for n in shape]
                for point in itertools.product(*picks):
                    for (axis, _), v in zip(axes, point):
                        page.evaluate(_MOVE_JS, [name, axis, v])
                    got = page.evaluate(_READ_JS, [name, sources])
                    flat = 0
                    for k, n in zip(point, shape):
                        flat = flat * n + k
                    want = s["points"][flat]
                    checked += 1
                    mark = "○" if want["ok"] is None else "✓" if want["ok"] else "✗"
                    if got is None or mark not in got["status"] or want["text"].split()[0] not in got["status"]:
                        problems.append(f"{ch}/{name} at {point}: verdict {got and got['status']!r}, expected {mark} {want['text']!r}")
                    for src, cols in want["head"].items():
                        for col, vals in cols.items():
                            shown = (got or {}).get("head", {}).get(src, {}).get(col)
                            if shown is None or len(shown) != len(vals) or not all(map(_close, shown, vals)):
                                problems.append(f"{ch}/{name} at {point}: {src}.{col} shows {shown}, glued {vals}")
            page.close()
        browser.close()
    return checked, problems


def main(argv):
    html_root = argv[0] if argv else os.path.join(ROOT, "_build", "html")
    executed = argv[1] if len(argv) > 1 else os.path.join(ROOT, "_build", "executed")
    checked, problems = check(html_root, executed)
    print(f"{checked} slider positions checked; {len(problems)} problem(s)")
    for p in problems:
        print("  -", p)
    return 1 if problems or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
