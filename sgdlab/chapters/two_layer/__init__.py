"""Chapter `two_layer`: A width-1 two-layer network: minibatch noise makes a saddle attractive (Ziyin, Li, Simon & Ueda, ICLR 2022).

Notebook `book/two_layer.ipynb`; modules `theory` (closed forms), `experiments` (runs in the core and the
agreement rows), `plots` (figures), `explorer` (live widgets); tests `tests/chapters/test_two_layer.py`.
"""
