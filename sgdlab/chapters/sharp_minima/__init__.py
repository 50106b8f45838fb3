"""Chapter `sharp_minima`: SGD may prefer sharper minima (Ziyin, Li & Ueda, §5.3).

Notebook `book/sharp_minima.ipynb`; modules `theory` (closed forms), `experiments` (parameters, runs in the
core and the agreement rows), `plots` (figures), `explorer` (live widgets); tests
`tests/chapters/test_sharp_minima.py`.

`ERRATA`: the errors of the paper that the chapter's "Notes on the paper" establish, each with the label of
its paragraph (for the book's errata page).
"""

ERRATA = [
    dict(paper="ziyin2021sgd", location="App. D.3, Eq. 92–93 (proof of Prop. 4)",
         printed=r"$\mathbb E\ln r_t=\tfrac12\ln[8\lambda\max(|1-2\lambda|,|1-10\lambda|)]$, "
                 r"so $w_1\to0$ for $\lambda\le(1+\sqrt6)/20\approx0.1725$",
         correct=r"$\mathbb E\ln r_t=\tfrac12\ln[16\lambda\max(|1-2\lambda|,|1-10\lambda|)]$ (the factor 2 of "
                 r"$r(-1)$ in Eq. 91 is dropped), negative iff $\lambda<(2-\sqrt2)/8\approx0.0732$; "
                 r"$(1+\sqrt6)/20$ solves the printed Eq. 92 where $b=1/\lambda-6<0$",
         label="erratum-sharp_minima-eq93"),
    dict(paper="ziyin2021sgd", location="App. D.3, after Eq. 91",
         printed=r"$b=1/\lambda-6$ is the value of $b$ such that $r_t$ is minimized for both cases",
         correct=r"it minimises $r(+1)$ and the product $r(+1)r(-1)$, but $r(-1)=1+2\lambda+b\lambda$ increases "
                 r"with $b\ge0$; the corrected bound $(2-\sqrt2)/8$ is the best the argument gives for any $b>0$",
         label="erratum-sharp_minima-d3-b"),
    dict(paper="ziyin2021sgd", location="Eq. 12",
         printed=r"sharpness $4$ (flat) and $4+4a$ (sharp)",
         correct=r"these are single diagonal Hessian entries (Eq. 11); the traces of Definition 3 are $8-2a$ and "
                 r"$8+10a$ (largest eigenvalues $4$ and $4+6a$); the ordering is unchanged",
         label="erratum-sharp_minima-eq12"),
    dict(paper="ziyin2021sgd", location="Prop. 4 (§5.3)",
         printed=r"$a>0$, iterates confined to $|w_1|,|w_2|\le1$",
         correct=r"also needs $a\le1$: for $a>1$ the sharp minima $(0,\pm\sqrt{(1+a)/2})$ lie outside the box",
         label="erratum-sharp_minima-a-le-1"),
]
