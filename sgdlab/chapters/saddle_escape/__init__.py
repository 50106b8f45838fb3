"""Chapter `saddle_escape`: SGD escapes saddle points arbitrarily slowly (Ziyin, Li & Ueda, §5.2).

Notebook `book/saddle_escape.ipynb`; modules `theory`, `experiments`, `plots`, `explorer`; tests
`tests/chapters/test_saddle_escape.py`.

`ERRATA`: the errors of the paper that the chapter's notes state, with the label of each note.
"""

ERRATA = [
    dict(paper="ziyin2021sgd", location="Definition 2",
         printed="$\\gamma := \\frac1t\\lim_{t\\to\\infty}\\mathbb E\\ln|w_t|$",
         correct="$\\gamma=\\lim_{t\\to\\infty}\\frac1t\\mathbb E\\ln|w_t|$",
         label="erratum-saddle_escape-def2"),
    dict(paper="ziyin2021sgd", location="Fig. 6 caption (Appendix A.2)",
         printed="$\\gamma$ “defined in Equation (82)”",
         correct="defined in Definition 2 and estimated by Eq. 9",
         label="erratum-saddle_escape-fig6"),
    dict(paper="ziyin2021sgd", location="Appendix D.2 (proof of Prop. 3)",
         printed="“$\\mu$ is convex in $\\lambda$”, so the critical point is the maximum",
         correct="$\\mu$ is concave on $(0,1)$ ($\\mu''<0$), which makes $\\lambda^*$ the maximum",
         label="erratum-saddle_escape-convex"),
    dict(paper="ziyin2021sgd", location="Prop. 3, Eq. 85",
         printed="$\\gamma^*<\\varepsilon$ if $|a|\\le2|-e^\\varepsilon\\sqrt{e^{2\\varepsilon}-1}-e^{2\\varepsilon}+1|$",
         correct="$\\gamma^*\\le\\varepsilon$ if and only if $|a|\\le2|-e^\\varepsilon\\sqrt{e^{2\\varepsilon}-1}-e^{2\\varepsilon}+1|$",
         label="erratum-saddle_escape-prop3"),
    dict(paper="ziyin2021sgd", location="Definition 2, Prop. 3",
         printed="$\\gamma^*=\\sup_\\lambda\\gamma(\\lambda)$ over all $\\lambda$",
         correct="the supremum over all $\\lambda$ is infinite ($\\mu$ is unbounded for $\\lambda>1$); Prop. 3 holds for $0<\\lambda\\le1$",
         label="erratum-saddle_escape-sup"),
    dict(paper="ziyin2021sgd", location="Section 6.2, Appendix A.2, Fig. 6 caption",
         printed="γ from the first 50 steps (6.2), at step 100 (A.2); settles in about 20 steps (A.2) or 40 (caption)",
         correct="inconsistent; for this model the estimator is unbiased at every step, and only its noise depends on t",
         label="erratum-saddle_escape-steps"),
]
