"""Open every built page in headless Chromium: no Python traceback, no missing image; screenshots.

Pages: the minimal book of test_pipeline (the real book: test_pages.py). Chromium is installed by `make test` (Debian package `chromium`); the test
is skipped, with that reason, only where it is not available.
"""
import glob
import html.parser
import os
import shutil
import subprocess
import tempfile
import urllib.parse

import pytest

from test_pipeline import built, minibook  # noqa: F401  (fixtures)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = os.path.join(ROOT, "_build", "screenshots")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=3000"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test "
                                "installs the Debian package when it can)")


class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.text, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs).get("src", ""))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _chromium(args, profile):
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


def check_pages(html_root, label):
    pages = sorted(glob.glob(os.path.join(html_root, "**", "*.html"), recursive=True))
    pages = [p for p in pages if "/_static/" not in p and "/_sources/" not in p
             and os.path.basename(p) not in ("genindex.html", "search.html")]
    assert pages, f"no pages under {html_root}"
    os.makedirs(SHOTS, exist_ok=True)
    problems = []
    with tempfile.TemporaryDirectory() as profile:
        for page in pages:
            url = "file://" + page
            dom = _chromium(["--dump-dom", url], profile).stdout
            parsed = _Page()
            parsed.feed(dom)
            text = " ".join(parsed.text)
            rel = os.path.relpath(page, html_root)
            if "Traceback (most recent call last)" in text or "Error in callback" in text:
                problems.append(f"{rel}: shows a Python traceback")
            for src in parsed.images:
                if not src or src.startswith(("data:", "http://", "https://")):
                    continue
                path = os.path.normpath(os.path.join(os.path.dirname(page), urllib.parse.unquote(src.split("#")[0])))
                if not os.path.exists(path):
                    problems.append(f"{rel}: missing image {src}")
            shot = os.path.join(SHOTS, f"{label}-{rel.replace(os.sep, '_')}.png")
            _chromium(["--window-size=1280,2000", f"--screenshot={shot}", url], profile)
            if not os.path.exists(shot) or os.path.getsize(shot) < 1000:
                problems.append(f"{rel}: no screenshot")
    assert not problems, "\n".join(problems)
    return pages


def test_minibook_pages_render(built):  # noqa: F811
    pages = check_pages(str(built / "_build" / "jb" / "_build" / "html"), "mini")
    assert any(p.endswith("mini.html") for p in pages)

# The real book's pages are checked by test_pages.py (offline, math, figures, links, screenshots).
