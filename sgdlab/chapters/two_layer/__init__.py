"""Chapter `two_layer`: A width-1 two-layer network: minibatch noise makes a saddle attractive (Ziyin, Li, Simon & Ueda, ICLR 2022).

Notebook `book/two_layer.ipynb`; modules `theory` (closed forms), `experiments` (runs in the core, the
parameters, the stream plan and the agreement rows), `plots` (figures), `explorer` (live widgets); tests
`tests/chapters/test_two_layer.py`.
"""

# Errors of the paper this chapter documents (its "Notes on the paper"), for the book's errata page.
ERRATA = [
    dict(paper="ziyin2021sgd", location="Fig. 1 caption, Remark after Prop. 2, §6.1",
         printed="the fourth-order loss as $xw^2/2 + w^4$ (Fig. 1), $xw^2 + w^4$ (Remark) and "
                 "$\\tfrac12 xw^2 + \\tfrac14 w^4$ (§6.1; App. C as $\\tfrac14 bw^4$)",
         correct="one loss, $\\tfrac12 xw^2 + \\tfrac14 w^4$; the others are rescalings ($v = 2w$; for "
                 "$xw^2 + w^4$ also $x \\to 2x$)",
         label="erratum-two_layer-quartic-forms"),
    dict(paper="ziyin2021sgd", location="§6.1",
         printed="the minima of $\\tfrac12 xw^2 + \\tfrac14 w^4$ are at $w = \\pm\\sqrt a$",
         correct="$w = \\pm\\sqrt{-a/2}$ (with $\\mathbb E[x] = a/2$; $\\sqrt a$ is imaginary for $a < 0$)",
         label="erratum-two_layer-minima"),
    dict(paper="ziyin2021sgd", location="§6.1, Fig. 1 right ($a = -1$, $\\lambda = 0.8$)",
         printed="the distribution of $w$ concentrates towards the local maximum; no $w$ converges to the minima",
         correct="about a third of the runs from $U[-1, 1]$ diverge; the statement holds for the survivors",
         label="erratum-two_layer-blowups"),
]
