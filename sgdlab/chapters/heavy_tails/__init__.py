"""Chapter `heavy_tails`: Heavy-tailed noise with truncation eliminates sharp minima (Wang, Oh & Rhee).

Notebook `book/heavy_tails.ipynb`; modules `theory` (closed forms), `experiments` (parameters, stream plan,
runs in the core and the agreement rows), `plots` (figures), `explorer` (live widgets); tests
`tests/chapters/test_heavy_tails.py`.

`ERRATA`: the errors of the papers that the chapter's notes state, with the label of each paragraph.
"""

ERRATA = [
    dict(paper="wang2022eliminating", location="Fig. 1 (critical points of the 1-D test function)",
         printed="$m_2=-0.66$ (and, in LD, widths 0.64 and 0.86 of $\\Omega_2$)",
         correct="the printed formula has its minimum at $m_2=-0.6993$; the widths are 0.601 and 0.899 "
                 "(no jump count changes for $b\\in\\{0.28, 0.5\\}$)",
         label="erratum-heavy_tails-m2"),
    dict(paper="wang2022eliminating", location="Fig. 1 (critical points of the 1-D test function)",
         printed="$m_3=0.49$",
         correct="$m_3=0.4962$, which rounds to 0.50 (0.49 truncates it); nothing downstream changes",
         label="erratum-heavy_tails-m3"),
    dict(paper="wang2022eliminating", location="Fig. 3 (modified Himmelblau function)",
         printed="warp $s(x)=\\exp(c_0(x-c_x)+1)$, with $c_x$ not given",
         correct="most likely $\\exp(c_0(x-c_x))+1$ with $c_x\\approx1.4$; not checkable from the sources, so the "
                 "experiment cannot be reproduced from the text",
         label="erratum-heavy_tails-fig3"),
]
