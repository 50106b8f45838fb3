"""The template chapter (`book/_template.ipynb`): copy this package and the notebook to start a chapter.

Claim of the example: SGD with Gaussian gradient noise on the double well f(w) = w⁴/4 − w²/2 settles
in the wells at ±1, with a stationary spread given by the small-step Gibbs law.
"""
# The paper's errors this chapter shows, listed on the book's errata page (none in the example).
ERRATA = []
