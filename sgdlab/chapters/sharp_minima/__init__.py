"""Chapter `sharp_minima`: SGD may prefer sharper minima (Ziyin, Li & Ueda, §5.3).

Notebook `book/sharp_minima.ipynb`; modules `theory` (closed forms), `experiments` (runs in the core and the
agreement rows), `plots` (figures), `explorer` (live widgets); tests `tests/chapters/test_sharp_minima.py`.
"""
