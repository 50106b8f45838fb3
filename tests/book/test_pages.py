"""The reader's-page checks (scripts/check_pages.py) on every page of the built book, in headless
Chromium at 1280 px with the network blocked: nothing fetched from outside the book, no raw TeX, no
formula or table wider than the column, images shown at >= 80 % of their size, no traceback, no
internal word, no broken internal link. `make test` builds the book first (`make book`), so these run on
the real pages; screenshots of every page are saved in _build/screenshots/.

The checker itself is tested on a small hand-written page with one defect of each kind, so a check that
cannot fail would be noticed.
"""
import os
import shutil
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import check_pages  # noqa: E402

HTML = os.path.join(ROOT, "_build", "html")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs "
                                "the Debian package when it can)")

PAGES = check_pages.pages_of(HTML) if os.path.exists(os.path.join(HTML, "index.html")) else []


@pytest.fixture(scope="module")
def problems():
    if not PAGES:
        pytest.skip("the book has not been built here (`make test` builds it; or run `make book`)")
    return check_pages.check_site(HTML, shots=True)


@pytest.mark.parametrize("page", [os.path.relpath(p, HTML) for p in PAGES] or ["(book not built)"])
def test_page_reads_clean(problems, page):
    found = problems[os.path.join(HTML, page)]
    assert not found, f"{page}:\n  - " + "\n  - ".join(found)


def test_every_chapter_and_the_errata_page_are_built():
    if not PAGES:
        pytest.skip("the book has not been built here")
    from sgdlab.chapters import CHAPTERS
    names = {os.path.basename(p)[:-5] for p in PAGES}
    assert set(CHAPTERS) | {"intro", "errata", "references"} <= names


BAD_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<script src="https://cdn.example.org/lib.js"></script></head><body>
<article class="bd-article" style="width:752px;padding:0 32px;box-sizing:border-box">
<p>Broken math: $\\mathbb E x$ and a spec reference.</p>
<img src="wide.png" style="width:300px">
<p><a href="nowhere.html">a link</a> <a href="#nothing">an anchor</a></p>
<table><tr><td style="white-space:nowrap">{wide}</td></tr></table>
</article></body></html>"""


def test_checker_finds_each_kind_of_defect(tmp_path):
    from PIL import Image
    Image.new("RGB", (1000, 200), "white").save(tmp_path / "wide.png")
    (tmp_path / "page.html").write_text(BAD_PAGE.replace("{wide}", "x" * 400))
    found = "\n".join(check_pages.check_site(str(tmp_path), shots=False)[str(tmp_path / "page.html")])
    for what in ["request not served by the book", "raw TeX", "internal word", "shown at 30%",
                 "broken link 'nowhere.html'", "broken anchor '#nothing'", "table"]:
        assert what in found, f"the checker missed: {what}\n{found}"


def test_checker_passes_a_clean_page(tmp_path):
    (tmp_path / "page.html").write_text(
        '<!DOCTYPE html><html><body><article class="bd-article" style="width:752px;padding:0 32px">'
        '<p id="a">Clean text with a <a href="#a">link</a>.</p></article></body></html>')
    assert check_pages.check_site(str(tmp_path), shots=False)[str(tmp_path / "page.html")] == []
