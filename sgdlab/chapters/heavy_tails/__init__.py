"""Chapter `heavy_tails`: Heavy-tailed noise with truncation eliminates sharp minima (Wang, Oh & Rhee).

Notebook `book/heavy_tails.ipynb`; modules `theory` (closed forms), `experiments` (runs in the core and the
agreement rows), `plots` (figures), `explorer` (live widgets); tests `tests/chapters/test_heavy_tails.py`.
"""
