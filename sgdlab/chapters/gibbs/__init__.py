"""Chapter `gibbs`: Boltzmann–Gibbs invariant measure and global convergence time (Azizian et al.).

Notebook `book/gibbs.ipynb`; modules `theory` (closed forms), `experiments` (runs in the core and the
agreement rows), `plots` (figures), `explorer` (live widgets); tests `tests/chapters/test_gibbs.py`.
"""
