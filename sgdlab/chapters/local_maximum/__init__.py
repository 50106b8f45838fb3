"""Chapter `local_maximum`: SGD converges to a local maximum (Ziyin, Li & Ueda, §4–5.1).

Notebook `book/local_maximum.ipynb`; modules `theory` (closed forms), `experiments` (runs in the core and the
agreement rows), `plots` (figures), `explorer` (live widgets); tests `tests/chapters/test_local_maximum.py`.
"""
