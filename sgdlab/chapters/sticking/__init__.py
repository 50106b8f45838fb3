"""Chapter `sticking`: Convergence, sticking and escape near critical points (Dudukalov et al. 2025).

Notebook `book/sticking.ipynb`; modules `theory` (closed forms of the book's reconstruction), `experiments`
(parameters, stream plan, runs in the core and the agreement rows), `plots` (figures), `explorer` (live
widgets); tests `tests/chapters/test_sticking.py`.

`ERRATA` is empty: only the paper's abstract and the first paragraph of its introduction were available, so
no statement of the paper could be checked (the chapter's notes say so).
"""

ERRATA: list[dict] = []
