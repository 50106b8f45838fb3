"""The book's chapters, one package each, named exactly like the notebook `book/<chapter>.ipynb`.

Each package holds `theory.py` (closed forms, never simulates), `experiments.py` (runs in the core,
agreement rows), `plots.py` (figures) and `explorer.py` (the notebook's live widgets); its tests are
`tests/chapters/test_<chapter>.py`.
"""

# table-of-contents order
CHAPTERS = ("local_maximum", "saddle_escape", "sharp_minima", "amsgrad", "two_layer", "gibbs",
            "heavy_tails", "sticking")
