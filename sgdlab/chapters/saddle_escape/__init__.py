"""Chapter `saddle_escape`: SGD escapes saddles arbitrarily slowly (Ziyin, Li & Ueda, §5.2).

Notebook `book/saddle_escape.ipynb`; modules `theory` (closed forms), `experiments` (runs in the core and the
agreement rows), `plots` (figures), `explorer` (live widgets); tests `tests/chapters/test_saddle_escape.py`.
"""
