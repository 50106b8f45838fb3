"""Chapter `gibbs`: The long run: Boltzmann–Gibbs measure and global convergence time (Azizian et al. 2024/2025; Ziyin et al. Prop. 6).

Notebook `book/gibbs.ipynb`; modules `theory` (critical points, costs, energies, densities, the Prop. 6
noise), `experiments` (runs in the core, the parameters, the stream plan and the agreement rows),
`plots` (figures), `explorer` (live widgets); tests `tests/chapters/test_gibbs.py`.
"""

# Errors of the sources this chapter documents (its "Notes on the papers"), for the book's errata page.
ERRATA = [
    dict(paper="azizian2024longrun", location="talk on the paper, slide “Minimizers of the energy”",
         printed="$E_1 = (f(y) - f(x_2))/\\sigma_2^2$, …; $E_1 < E_2$ and so "
                 "$\\mu_\\infty(x_1) \\ll \\mu_\\infty(x_2)$",
         correct="$\\mu_\\infty(x_1) \\gg \\mu_\\infty(x_2)$ (since $\\mu_\\infty \\propto e^{-E/\\eta}$); "
                 "$E_1 = 2(f(y) - f(x_2))/\\sigma_2^2$",
         label="erratum-gibbs-talk-energies"),
    dict(paper="azizian2024longrun", location="talk on the paper, noise proportional to $f$",
         printed="$E_i = 2\\log f(K_i)/\\sigma^2$, $\\mu_\\infty(K_i) \\approx f(K_i)^{-2/(\\sigma^2\\eta)}$",
         correct="needs $f > 0$ at the critical points (e.g. noise $\\propto f + c$, $c > 0$); minima with "
                 "$f = 0$ are absorbing and the formulas give $E_i = -\\infty$",
         label="erratum-gibbs-noise-offset"),
    dict(paper="ziyin2021sgd", location="App. D.5, Eq. 113–114",
         printed="a solution $C \\ge 0$ of Eq. 112 exists if $\\mathbb E_p[L'] < c_0$",
         correct="$C(w) \\ge 0$ for every $w$ needs $c_0 \\ge \\frac{2S}{\\lambda} \\sup_w "
                 "\\int_{-\\infty}^w L' p$; e.g. $p = \\mathcal N(-1, \\tfrac12)$, $L = w^2/2$, "
                 "$c_0 = -\\tfrac12$ satisfies Eq. 114 but gives $C < 0$ in the left tail",
         label="erratum-gibbs-eq114"),
]
