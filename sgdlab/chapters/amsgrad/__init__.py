"""Chapter `amsgrad`: AMSGrad may converge to a local maximum (Ziyin, Li & Ueda, §5.4).

Notebook `book/amsgrad.ipynb`; modules `theory` (closed forms, reference optimizer step), `experiments`
(parameters, runs in the core and the agreement rows), `plots` (figures), `explorer` (live widgets); tests
`tests/chapters/test_amsgrad.py`.

`ERRATA`: the errors of the paper that the chapter's "Notes on the paper" establish, each with the label of
its paragraph (for the book's errata page).
"""

ERRATA = [
    dict(paper="ziyin2021sgd", location="Eq. 13",
         printed=r"$m_t=\beta_1 v_{t-1}+(1-\beta_1)\hat g_t$",
         correct=r"$m_t=\beta_1 m_{t-1}+(1-\beta_1)\hat g_t$",
         label="erratum-amsgrad-eq13"),
    dict(paper="ziyin2021sgd", location="App. D.4, Eq. 94–98",
         printed=r"$|\hat g_t|\le1+a$ and $\hat v_t\le1+a$",
         correct=r"$|\hat g_t|\le1-a$ and $v_t,\hat v_t\le(1-a)^2$ (for $a<0$, $|x|$ reaches $1-a$); any bound "
                 r"suffices for Prop. 5",
         label="erratum-amsgrad-eq98"),
    dict(paper="ziyin2021sgd", location="Eq. 108–109 (also Eq. 8, Eq. 81)",
         printed=r"$a/(a-1)\le\lambda'\le(a-\sqrt{a^2-8a+8})/(2(a-1))$ (closed interval)",
         correct=r"open interval: at both endpoints $\mu=0$ with a positive log-step standard deviation, so "
                 r"$\ln|w_t|$ is a driftless walk and $P(|w_t|>\epsilon)\to\tfrac12$",
         label="erratum-amsgrad-eq109-open"),
    dict(paper="ziyin2021sgd", location="App. D.4 (proof of Prop. 5)",
         printed=r"“$\hat v_N\le c-\epsilon$”; Eq. 99 left side; Eq. 106 and 107 “equivalent”; proof ends at "
                 r"“For $\lambda<1$,”",
         correct=r"“$\hat v_n\ge c-\epsilon$ for $n\ge N$”; Eq. 99 left side $\ln|w_t/w_0|-t\mu$; 106 and 107 are "
                 r"not equivalent; the proof never shows that the random limit $c$ puts $\lambda/\sqrt c$ inside "
                 r"Eq. 109 (the lower edge follows from $\hat v\le(1-a)^2$ when $a>-\lambda$; the upper edge is "
                 r"supported only by simulation)",
         label="erratum-amsgrad-prop5-proof"),
    dict(paper="ziyin2021sgd", location="Eq. 103–104 vs Eq. 18",
         printed=r"data point $x_t=-1+a$ (Eq. 104) with gradient $-(1+a)w$ (Eq. 18)",
         correct=r"the gradient at $x=a-1$ is $(a-1)w=-(1-a)w$",
         label="erratum-amsgrad-eq104"),
    dict(paper="ziyin2021sgd", location="§6.4",
         printed=r"without momentum “both Adam and AMSGrad converge to the local maximum with almost the same "
                 r"speed”",
         correct=r"AMSGrad converges (mean $|w_T|$ many orders of magnitude below $10^{-10}$); Adam does not (its "
                 r"late growth rate of $\ln|w|$ is zero, mean $|w_T|\approx0.03$ at the paper's setting)",
         label="erratum-amsgrad-same-speed"),
    dict(paper="ziyin2021sgd", location="§6.4",
         printed="“Figure 5”", correct="Figure 4", label="erratum-amsgrad-fig5"),
]
