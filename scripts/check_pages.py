#!/usr/bin/env python
"""Check the rendered book as a reader sees it, in headless Chromium at 1280 px with the network blocked.

    .venv/bin/python scripts/check_pages.py [_build/html] [--no-shots]

Per page (every HTML page of the site except search/genindex):
- offline: any request that is not a local file fails the page (the network is blocked);
- no raw TeX in the rendered text outside math and code (`$`, `\\mathbb`, `\\begin`, `\\frac`, ...),
  no MathJax error;
- no formula (display or inline) wider than the text column, no table wider than the column;
- every content image loads and is shown at >= 80 % of its natural width;
- no Python traceback or error output; no internal word ("spec") in the text;
- every internal link points to an existing page and anchor.
Full-page screenshots go to _build/screenshots/<page>.png. Exit status 1 if any page has a problem.
"""
from __future__ import annotations

import glob
import html.parser
import os
import re
import shutil
import sys
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOTS = os.path.join(ROOT, "_build", "screenshots")
MIN_IMAGE_SCALE = 0.8

RAW_TEX = re.compile(r"\$|\\(mathbb|mathrm|begin|end|frac|sqrt|left|right|operatorname|tfrac|dfrac|big)\b")
INTERNAL_WORDS = re.compile(r"\bspecs?\b", re.IGNORECASE)

# In the page: measure everything that can be measured only after layout and MathJax.
_PAGE_JS = r"""
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await MathJax.startup.promise; } catch (e) {}
  }
  const art = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  if (!art) return {colWidth: 0, math: [], mathErrors: 0, images: [], tables: [], text: '', errors: [], empty: true};
  const cs = getComputedStyle(art);
  const colLeft = art.getBoundingClientRect().left + parseFloat(cs.paddingLeft);
  const colWidth = art.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const out = {colWidth, math: [], mathErrors: 0, images: [], tables: [], text: '', errors: []};
  // math: the rendered width of each formula against the column
  for (const m of art.querySelectorAll('mjx-container')) {
    const w = m.firstElementChild ? m.firstElementChild.getBoundingClientRect().width : m.getBoundingClientRect().width;
    const disp = m.getAttribute('display') === 'true';
    const tex = (m.querySelector('mjx-assistive-mml') ? '' : '') + (m.getAttribute('aria-label') || '');
    if (w > colWidth + 1) out.math.push({display: disp, width: Math.round(w), tex: m.textContent.slice(0, 80)});
  }
  out.mathErrors = art.querySelectorAll('mjx-merror, .MathJax_Error').length;
  for (const img of art.querySelectorAll('img')) {
    out.images.push({src: img.getAttribute('src') || '', natural: img.naturalWidth, shown: img.getBoundingClientRect().width,
                     complete: img.complete, hidden: img.offsetParent === null,
                     anim: !!img.closest('.animation')});
  }
  for (const t of art.querySelectorAll('table')) {
    if (t.closest('details:not([open])')) continue;
    const w = t.getBoundingClientRect().width;
    if (w > colWidth + 1) out.tables.push({width: Math.round(w), head: t.textContent.trim().slice(0, 60)});
  }
  // text outside math, code, scripts and styles
  const skip = new Set(['SCRIPT', 'STYLE', 'PRE', 'CODE', 'MJX-CONTAINER', 'TEXTAREA', 'svg']);
  const walk = (n) => {
    if (n.nodeType === 3) { out.text += n.textContent; return; }
    if (n.nodeType !== 1 || skip.has(n.tagName) || (n.classList && (n.classList.contains('math') || n.classList.contains('highlight')))) { out.text += ' '; return; }
    for (const c of n.childNodes) walk(c);
    if (getComputedStyle(n).display !== 'inline') out.text += '\n';
  };
  walk(art);
  out.errors = Array.from(art.querySelectorAll('.output.traceback, .output.error, div.cell_output .traceback')).map(e => e.textContent.slice(0, 200));
  return out;
}
"""


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs = set(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])


def _is_redirect(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        head = fh.read(2000).lower()
    return 'http-equiv="refresh"' in head and "<article" not in head


def pages_of(html_root):
    """The book's pages (not search/index pages, not the root's redirect to the first page)."""
    pages = sorted(glob.glob(os.path.join(html_root, "**", "*.html"), recursive=True))
    return [p for p in pages if "/_static/" not in p and "/_sources/" not in p and "/_images/" not in p
            and os.path.basename(p) not in ("genindex.html", "search.html", "py-modindex.html")
            and not _is_redirect(p)]


def check_links(html_root):
    """{page: [problems]} for internal links to missing pages or anchors."""
    parsed = {}
    for p in glob.glob(os.path.join(html_root, "**", "*.html"), recursive=True):
        lp = _Links()
        with open(p, encoding="utf-8") as fh:
            lp.feed(fh.read())
        parsed[os.path.abspath(p)] = lp
    out = {}
    for p in pages_of(html_root):
        probs = []
        for href in parsed[os.path.abspath(p)].hrefs:
            u = urllib.parse.urlparse(href)
            if u.scheme or href.startswith(("mailto:", "javascript:", "//")):
                continue
            target = os.path.abspath(os.path.join(os.path.dirname(p), urllib.parse.unquote(u.path))) if u.path else os.path.abspath(p)
            if os.path.isdir(target):
                target = os.path.join(target, "index.html")
            if not os.path.exists(target):
                probs.append(f"broken link {href!r} (no {os.path.relpath(target, html_root)})")
                continue
            if u.fragment and target.endswith(".html") and target in parsed and u.fragment not in parsed[target].ids:
                probs.append(f"broken anchor {href!r}")
        if probs:
            out[p] = sorted(set(probs))
    return out


def check_site(html_root, shots=True, pages=None):
    """{page: [problems]} for every page of the built site (empty lists for clean pages)."""
    from playwright.sync_api import sync_playwright
    html_root = os.path.abspath(html_root)
    pages = pages or pages_of(html_root)
    problems = {p: [] for p in pages}
    for p, probs in check_links(html_root).items():
        if p in problems:
            problems[p] += probs
    if shots:
        os.makedirs(SHOTS, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
        for p in pages:
            probs = problems[p]
            failed = []
            page = ctx.new_page()
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:", "blob:", "about:"))
                       else (failed.append(route.request.url), route.abort())[1])
            page.on("requestfailed", lambda req: failed.append(req.url))
            page.goto("file://" + p, wait_until="load")
            page.wait_for_timeout(300)
            m = page.evaluate(_PAGE_JS)
            col = m["colWidth"]
            for url in sorted(set(failed)):
                probs.append(f"request not served by the book (offline): {url[:120]}")
            for f in m["math"]:
                probs.append(f"{'display' if f['display'] else 'inline'} math {f['width']} px wider than the "
                             f"{col:.0f} px column: {f['tex']!r}")
            if m["mathErrors"]:
                probs.append(f"{m['mathErrors']} MathJax errors")
            for t in m["tables"]:
                probs.append(f"table {t['width']} px wider than the {col:.0f} px column: {t['head']!r}")
            for im in m["images"]:
                if im["hidden"]:
                    continue
                if not im["complete"] or im["natural"] == 0:
                    probs.append(f"image does not load: {im['src'][:80]}")
                elif im["natural"] > 60 and im["shown"] < MIN_IMAGE_SCALE * im["natural"]:
                    probs.append(f"image shown at {im['shown'] / im['natural']:.0%} of its natural width "
                                 f"({im['natural']} px): {im['src'][:80]}")
            text = m["text"]
            for line in text.splitlines():
                if RAW_TEX.search(line):
                    probs.append(f"raw TeX in the text: {line.strip()[:120]!r}")
                if INTERNAL_WORDS.search(line):
                    probs.append(f"internal word in the text: {line.strip()[:120]!r}")
            if "Traceback (most recent call last)" in text or m["errors"]:
                probs.append("Python traceback or error output on the page")
            if shots:
                name = os.path.relpath(p, html_root).replace(os.sep, "_").replace(".html", ".png")
                page.screenshot(path=os.path.join(SHOTS, name), full_page=True)
            page.close()
        browser.close()
    return problems


def main(argv):
    shots = "--no-shots" not in argv
    args = [a for a in argv if not a.startswith("--")]
    root = args[0] if args else os.path.join(ROOT, "_build", "html")
    problems = check_site(root, shots=shots)
    bad = 0
    for p, probs in problems.items():
        rel = os.path.relpath(p, root)
        if probs:
            bad += 1
            print(f"{rel}: {len(probs)} problem(s)")
            for pr in probs[:40]:
                print(f"  - {pr}")
        else:
            print(f"{rel}: ok")
    print(f"{len(problems) - bad} of {len(problems)} pages clean" + (f"; screenshots in {SHOTS}" if shots else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
