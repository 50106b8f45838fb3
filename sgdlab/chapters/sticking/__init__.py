"""Chapter `sticking`: Convergence, sticking and escape near maxima (Dudukalov et al.).

Notebook `book/sticking.ipynb`; modules `theory` (closed forms), `experiments` (runs in the core and the
agreement rows), `plots` (figures), `explorer` (live widgets); tests `tests/chapters/test_sticking.py`.
"""
