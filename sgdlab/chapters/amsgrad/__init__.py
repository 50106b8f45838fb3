"""Chapter `amsgrad`: AMSGrad may converge to a local maximum (Ziyin, Li & Ueda, §5.4).

Notebook `book/amsgrad.ipynb`; modules `theory` (closed forms), `experiments` (runs in the core and the
agreement rows), `plots` (figures), `explorer` (live widgets); tests `tests/chapters/test_amsgrad.py`.
"""
