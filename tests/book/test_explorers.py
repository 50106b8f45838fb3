"""The kernel-free explorers on the built pages, in Chromium with the network blocked: each slider is
moved to several grid points and the plotted data and the ✓/✗ verdict must be the values the chapter
glued for that point (scripts/check_explorers.py). A tampered glue file must be caught."""
import json
import os
import shutil
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import check_explorers  # noqa: E402

HTML = os.path.join(ROOT, "_build", "html")
EXECUTED = os.path.join(ROOT, "_build", "executed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
              pytest.mark.skipif(not os.path.exists(os.path.join(HTML, "index.html")),
                                 reason="the book has not been built here (`make test` builds it)")]


def test_sliders_show_the_glued_grid_points():
    checked, problems = check_explorers.check(HTML, EXECUTED)
    assert checked > 0, "no explorer found on the built pages"
    assert not problems, "\n".join(problems)


def test_a_wrong_glued_value_is_caught(tmp_path):
    found = check_explorers.summaries(EXECUTED)
    if not found:
        pytest.skip("no explorer in the executed chapters")
    ch = sorted(found)[0]
    nb = json.load(open(os.path.join(EXECUTED, ch + ".ipynb"), encoding="utf-8"))
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook", {})
            if meta.get("name", "").startswith("explorer"):
                key = meta["mime_prefix"] + "text/plain"
                text = out["data"][key]
                text = "".join(text) if isinstance(text, list) else text
                # every verdict flipped
                out["data"][key] = (text.replace("'ok': True", "'ok': SWAP").replace("'ok': False", "'ok': True")
                                    .replace("'ok': SWAP", "'ok': False"))
    (tmp_path / (ch + ".ipynb")).write_text(json.dumps(nb))
    _, problems = check_explorers.check(HTML, str(tmp_path))
    assert problems, "a changed verdict in the glued data went unnoticed"
