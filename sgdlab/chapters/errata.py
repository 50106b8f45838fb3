"""The book's page "Errata to the papers": every chapter's `ERRATA` list in one table per paper.

A chapter lists each error it found in a paper in `sgdlab/chapters/<chapter>/__init__.py`:

    ERRATA = [dict(paper="ziyin2021sgd", location="Eq. 7", printed="…", correct="…",
                   label="erratum-<chapter>-<slug>"), ...]

where `label` is a MyST target `(erratum-<chapter>-<slug>)=` placed before the erratum's paragraph in
the chapter's notes. The page renders the lists as MyST markdown, so the links are checked by Sphinx.
"""
from __future__ import annotations

import importlib

from sgdlab.chapters import CHAPTERS

FIELDS = ("paper", "location", "printed", "correct", "label")


def collect():
    """[(chapter, erratum dict)] in the book's order; ValueError for a malformed entry."""
    out = []
    for ch in CHAPTERS:
        for e in getattr(importlib.import_module(f"sgdlab.chapters.{ch}"), "ERRATA", []):
            missing = [f for f in FIELDS if not e.get(f)]
            if missing:
                raise ValueError(f"{ch}.ERRATA: entry {e!r} lacks {missing}")
            if not e["label"].startswith(f"erratum-{ch}-"):
                raise ValueError(f"{ch}.ERRATA: label {e['label']!r} must start with 'erratum-{ch}-'")
            out.append((ch, e))
    return out


def _cell(text):
    return " ".join(str(text).split())


def errata_markdown():
    """MyST markdown: one section per paper, one entry per erratum (where, what is printed, what is right,
    a link to the chapter's evidence). A list rather than a table: formulas do not wrap in table cells."""
    by_paper: dict[str, list] = {}
    for ch, e in collect():
        by_paper.setdefault(e["paper"], []).append((ch, e))
    if not by_paper:
        return "No errata are listed yet."
    parts = [f"{sum(len(v) for v in by_paper.values())} errata in {len(by_paper)} sources.\n"]
    for paper, items in by_paper.items():
        parts.append(f"## {{cite:t}}`{paper}`\n")
        for ch, e in items:
            parts.append(f"- **{_cell(e['location'])}** ({{ref}}`evidence in {ch} <{e['label']}>`)  \n"
                         f"  printed: {_cell(e['printed'])}  \n"
                         f"  correct: {_cell(e['correct'])}")
        parts.append("")
    return "\n".join(parts)
