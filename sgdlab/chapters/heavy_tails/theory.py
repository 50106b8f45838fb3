"""Theory of truncated heavy-tailed SGD (Wang, Oh & Rhee, ICLR 2022 [P1]; Wang & Rhee 2025 [P2]).

Everything here is closed-form or 1-D quadrature; nothing is simulated.

* The 1-D four-well test function of P1 Fig. 1 (`f`, `fprime`, `fsecond`) and its critical points
  computed numerically (`critical_points`).
* Jump counts l*_i = ceil(r_i/b) and l_{i,j} (`jump_counts`), the typical transition graph G_b and its
  communication classes (`transition_graph`).
* The constants q_{i,j} of the exit theorem for l*_i = 1 (closed form) and l*_i = 2 (1-D integral),
  `q_matrix`; the exit-time prediction E sigma_i ~ 1/(q_i lambda_i(eta)) (`exit_time_prediction`).
* The limiting CTMC on the widest minima (truncated, irreducible), the untruncated CTMC on all minima
  and their stationary laws (`ctmc_generator`, `stationary`, `predicted_occupancy`).

Conventions: noise Z = sigma * (+-1) * W with W classical Pareto(alpha), so
H(x) = P(|Z| > x) = (x/sigma)^-alpha for x >= sigma, p+ = p- = 1/2. A jump eta*Z has tail
P(|eta Z| > x) = H(1/eta) x^-alpha: the Levy measure nu_alpha(dw) = alpha p+- |w|^(-alpha-1) dw is
normalised so that nu_alpha((x, inf)) = p+ x^-alpha, and every q is in units of that normalisation.
b = None (or inf) means no truncation.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate, optimize

__all__ = ["L_PROJ", "PAPER_CRITICAL_POINTS", "f", "fprime", "fsecond", "critical_points",
           "field_index", "radii", "jump_counts", "transition_graph", "nu_land", "q_matrix",
           "tail_H", "time_scale", "exit_time_prediction", "ctmc_generator", "stationary",
           "predicted_occupancy", "slope_theory", "TOY_FIG2", "two_jump_constant",
           "competing_exit_probability"]

L_PROJ = 1.6
# As printed in P1 (m2 = -0.66 does not match the printed formula, which gives -0.699).
PAPER_CRITICAL_POINTS = {"m": (-1.51, -0.66, 0.49, 1.32), "s": (-1.3, 0.2, 0.7)}
# P1 Fig. 2 toy with three fields: distances m1->s1, s1->m2, m2->s2, s2->m3.
TOY_FIG2 = {"m": (0.0, 0.8, 2.0), "s": (0.2, 1.7)}


# ----------------------------------------------------------------------------- the landscape

def _factors(x):
    x = np.asarray(x, dtype=float)
    d = np.abs(1.65 - x)
    u = 0.01 + 4 * (x - 0.5) ** 2
    v = 0.1 + 4 * (x + 1.5) ** 2
    e = np.exp(-5 * (x + 0.8) ** 2)
    g = [x + 1.6, (x + 1.3) ** 2, (x - 0.2) ** 2, (x - 0.7) ** 2, x - 1.6, (0.05 * d) ** 0.6,
         1 + 1 / u, 1 + 1 / v, 1 - 0.25 * e]
    with np.errstate(divide="ignore", invalid="ignore"):
        d6 = np.where(d > 0, 0.6 * 0.05 ** 0.6 * d ** -0.4 * np.sign(x - 1.65), 0.0)
    dg = [np.ones_like(x), 2 * (x + 1.3), 2 * (x - 0.2), 2 * (x - 0.7), np.ones_like(x), d6,
          -8 * (x - 0.5) / u ** 2, -8 * (x + 1.5) / v ** 2, 2.5 * (x + 0.8) * e]
    return g, dg


def f(x):
    """P1's 1-D test function (Fig. 1), as printed."""
    g, _ = _factors(x)
    return np.prod(g, axis=0)


def fprime(x):
    """Analytic derivative of `f` (product rule over the nine factors, no division by a factor)."""
    g, dg = _factors(x)
    out = 0.0
    for k in range(9):
        term = dg[k]
        for j in range(9):
            if j != k:
                term = term * g[j]
        out = out + term
    return out


def fsecond(x, h=1e-6):
    """f'' by a central difference of the analytic f' (error O(h^2) ~ 1e-10 relative)."""
    x = np.asarray(x, dtype=float)
    return (fprime(x + h) - fprime(x - h)) / (2 * h)


def critical_points(lo=-L_PROJ, hi=L_PROJ, n_grid=32001):
    """Roots of f' in (lo, hi), sorted and classified: dict with arrays m (minima), s (maxima).

    A fine grid brackets the sign changes of f'; each root is polished with Brent's method.
    """
    xs = np.linspace(lo, hi, n_grid)[1:-1]
    d = fprime(xs)
    roots = []
    for k in np.nonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0)[0]:
        roots.append(optimize.brentq(fprime, xs[k], xs[k + 1], xtol=1e-14))
    for k in np.nonzero(d == 0)[0]:
        roots.append(float(xs[k]))
    roots = np.array(sorted(roots))
    curv = fsecond(roots)
    return {"m": roots[curv > 0], "s": roots[curv < 0], "f_m": f(roots[curv > 0]),
            "f2_m": curv[curv > 0], "f_s": f(roots[curv < 0]), "f2_s": curv[curv < 0]}


def field_index(x, s):
    """Index (0-based) of the attraction field (s_{i-1}, s_i) containing x."""
    return int(np.searchsorted(np.asarray(s), x, side="right"))


# ----------------------------------------------------------------------------- jump counts

def _b(b):
    if b is None:
        return math.inf
    b = float(b)
    if not b > 0:
        raise ValueError(f"b: truncation threshold must be > 0 (None for no truncation), got {b!r}")
    return b


def _edges(s):
    return np.concatenate([[-math.inf], np.asarray(s, float), [math.inf]])


def radii(m, s):
    """Effective radii r_i = min(m_i - s_{i-1}, s_i - m_i) with s_0 = -inf, s_n = +inf."""
    e = _edges(s)
    m = np.asarray(m, float)
    return np.minimum(m - e[:-1], e[1:] - m)


def _ceil(d, b):
    if math.isinf(b):
        return 1
    return max(1, math.ceil(d / b - 1e-12))


def jump_counts(m, s, b):
    """(l_star, l) with l_star[i] = ceil(r_i/b) and l[i][j] = jumps needed to reach field j from m_i
    (0 on the diagonal). b = None: no truncation, every count is 1."""
    b = _b(b)
    m = list(map(float, m))
    e = _edges(s)
    n = len(m)
    l = np.zeros((n, n), dtype=int)
    for i in range(n):
        for j in range(n):
            if j > i:
                l[i, j] = _ceil(e[j] - m[i], b)
            elif j < i:
                l[i, j] = _ceil(m[i] - e[j + 1], b)
    lstar = np.array([min(l[i, j] for j in range(n) if j != i) for i in range(n)])
    return lstar, l


def _classes(adj):
    n = len(adj)
    reach = np.array(adj, dtype=bool) | np.eye(n, dtype=bool)
    for k in range(n):  # transitive closure (Warshall)
        reach = reach | (reach[:, [k]] & reach[[k], :])
    seen, classes = set(), []
    for i in range(n):
        if i in seen:
            continue
        cls = [j for j in range(n) if reach[i, j] and reach[j, i]]
        seen.update(cls)
        classes.append(cls)
    return classes, reach


def _graph(lstar, l):
    """G_b from the jump counts: edge i->j iff l_{i,j} = l*_i (P1 Def. 1), with its communication classes."""
    n = len(lstar)
    adj = np.array([[i != j and l[i, j] == lstar[i] for j in range(n)] for i in range(n)])
    classes, reach = _classes(adj)
    absorbing = [not any(adj[i, j] for i in c for j in range(n) if j not in c) for c in classes]
    return {"l_star": lstar, "l": l, "adjacency": adj, "classes": classes, "absorbing": absorbing,
            "irreducible": len(classes) == 1, "widest": [i for i in range(n) if lstar[i] == lstar.max()],
            "reach": reach}


def transition_graph(m, s, b):
    """Typical transition graph G_b (P1 Def. 1): edge i->j iff l_{i,j} = l*_i.

    Returns dict: l_star, l, adjacency (bool matrix), classes (lists of 0-based indices), absorbing
    (bool per class), irreducible, widest (indices with l* = max l*), reach.
    """
    return _graph(*jump_counts(m, s, b))


# ----------------------------------------------------------------------------- the constants q

def nu_land(y, lo, hi, b, alpha, p_plus=0.5, p_minus=0.5):
    """nu_alpha({w : y + phi_b(w) in (lo, hi)}), phi_b the truncation at b (b = inf: none).

    Jumps with |w| >= b land at y +- b (an atom carrying nu mass p+- b^-alpha).
    """
    b = _b(b)
    tot = 0.0
    # right jumps: landing y + min(w, b), w > 0
    if hi > y and y + b > lo:
        a0 = max(lo - y, 0.0)
        t = p_plus * a0 ** -alpha if a0 > 0 else math.inf
        if hi - y <= b:
            t -= p_plus * (hi - y) ** -alpha
        tot += t
    # left jumps: landing y - min(w, b)
    if lo < y and y - b < hi:
        a0 = max(y - hi, 0.0)
        t = p_minus * a0 ** -alpha if a0 > 0 else math.inf
        if y - lo <= b:
            t -= p_minus * (y - lo) ** -alpha
        tot += t
    return tot


def _q_two_jumps(i, j, m, e, b, alpha):
    """q_{i,j} for l*_i = 2 (1-D): first jump from m_i beyond y, gradient flow back through y (time
    dy/|f'(y)|), second jump from y lands in field j. By parts, the nu mass of first jumps that pass
    y is p+- |y - m|^-alpha (the atom at +-b included for |y - m| <= b), so

        q_{i,j} = int_{m-b}^{m+b} nu(first jump passes y) * nu_land(y -> field j) / |f'(y)| dy.
    """
    mi = m[i]
    lo_i, hi_i = e[i], e[i + 1]
    total = 0.0
    for side in (+1, -1):
        end = mi + side * b
        end = min(end, hi_i) if side > 0 else max(end, lo_i)
        a, c = (mi, end) if side > 0 else (end, mi)
        # nu_land(y -> field j) vanishes unless field j is within b of y: restrict to where it can live
        brk = sorted({x for x in (e[j] + b, e[j] - b, e[j + 1] - b, e[j + 1] + b) if a < x < c})

        def integrand(y):
            g = nu_land(y, e[j], e[j + 1], b, alpha)
            if g == 0.0:
                return 0.0
            return 0.5 * abs(y - mi) ** -alpha * g / abs(float(fprime(y)))
        val, _ = integrate.quad(integrand, a, c, points=brk or None, limit=400, epsabs=1e-11, epsrel=1e-10)
        total += val
    return total


def q_matrix(m, s, b, alpha):
    """Matrix Q0[i, j] = q_{i,j} (i != j) of the exit theorem, in units of lambda_i(eta); NaN rows for
    fields with l*_i >= 3 (no closed form implemented). Diagonal = -q_i."""
    b = _b(b)
    m = np.asarray(m, float)
    e = _edges(s)
    lstar, l = jump_counts(m, s, b)
    n = len(m)
    Q = np.full((n, n), np.nan)
    for i in range(n):
        if lstar[i] >= 3:
            continue
        for j in range(n):
            if j == i:
                continue
            if l[i, j] > lstar[i]:
                Q[i, j] = 0.0
            elif lstar[i] == 1:
                Q[i, j] = nu_land(m[i], e[j], e[j + 1], b, alpha)
            else:
                Q[i, j] = _q_two_jumps(i, j, m, e, b, alpha)
        Q[i, i] = -np.sum(np.delete(Q[i], i))
    return Q


def tail_H(x, alpha, scale=0.1):
    """H(x) = P(|Z| > x) for Z = scale * (+-1) * Pareto(alpha)."""
    x = np.asarray(x, float)
    return np.where(x >= scale, (x / scale) ** -alpha, 1.0)


def time_scale(eta, l_star, alpha, scale=0.1):
    """lambda_l(eta) = H(1/eta) (H(1/eta)/eta)^(l-1): the exit rate per step is ~ q * lambda."""
    h = tail_H(1.0 / np.asarray(eta, float), alpha, scale)
    return h * (h / np.asarray(eta, float)) ** (l_star - 1)


def slope_theory(l_star, alpha):
    """Exponent beta in E sigma ~ (1/eta)^beta: 1 + l*(alpha - 1)."""
    return 1 + l_star * (alpha - 1)


def exit_time_prediction(eta, field, b, alpha, scale=0.1, cp=None):
    """1/(q_i lambda_i(eta)) for field i (0-based); NaN if l*_i >= 3."""
    cp = cp or critical_points()
    lstar, _ = jump_counts(cp["m"], cp["s"], b)
    Q = q_matrix(cp["m"], cp["s"], b, alpha)
    q = -Q[field, field]
    return 1.0 / (q * time_scale(eta, lstar[field], alpha, scale))


# ----------------------------------------------------------------------------- limiting CTMCs

def ctmc_generator(m, s, b, alpha):
    """Generator of the limiting Markov jump process and its state set.

    Untruncated: all minima, Q = q_{i,j} (time unit 1/H(1/eta) steps).
    Truncated, irreducible: the widest minima V*, Q_ij = q_{i,j} + sum_{k not in V*} q_{i,k} p_{k,j}
    with p_{k,j} the absorption probabilities of the embedded chain q_{k,j}/q_k into V*
    (time unit 1/lambda*(eta) steps). Returns (Q, states)."""
    Q0 = q_matrix(m, s, b, alpha)
    n = len(m)
    if math.isinf(_b(b)):
        return Q0, list(range(n))
    g = transition_graph(m, s, b)
    V = g["widest"]
    T = [k for k in range(n) if k not in V]
    if np.isnan(Q0[V]).any() or np.isnan(Q0[T]).any():
        raise ValueError("b: the CTMC needs q constants with l* <= 2 (l* >= 3 has no closed form here)")
    P = -Q0 / np.diag(Q0)[:, None]
    np.fill_diagonal(P, 0.0)
    if T:
        A = np.eye(len(T)) - P[np.ix_(T, T)]
        absorb = np.linalg.solve(A, P[np.ix_(T, V)])  # (|T|, |V|)
    Q = np.zeros((len(V), len(V)))
    for a, i in enumerate(V):
        for c, j in enumerate(V):
            if i != j:
                Q[a, c] = Q0[i, j] + (sum(Q0[i, k] * absorb[t, c] for t, k in enumerate(T)) if T else 0.0)
        Q[a, a] = -np.sum(Q[a])
    return Q, V


def stationary(Q):
    """Stationary law of an irreducible generator: pi Q = 0, sum pi = 1."""
    n = len(Q)
    A = np.vstack([np.asarray(Q).T, np.ones(n)])
    rhs = np.zeros(n + 1)
    rhs[-1] = 1.0
    return np.linalg.lstsq(A, rhs, rcond=None)[0]


def predicted_occupancy(b, alpha, x0, cp=None):
    """Predicted long-run fraction of time in each field (limit eta -> 0 of the time-scaled process).

    * no truncation: stationary law of the CTMC on all minima;
    * truncated, irreducible G_b: stationary law of the CTMC on V*, zero elsewhere;
    * truncated, reducible: the absorbing class reached from the start's field. If that class is
      reached with certainty (it is the start's own class, or the only absorbing class reachable), the
      prediction is the stationary law on the class's widest minima (a point mass if there is one);
      otherwise the mixture depends on constants not computed here and NaNs are returned;
    * NaNs also when the CTMC would need constants with l* >= 3.
    """
    cp = cp or critical_points()
    m, s = cp["m"], cp["s"]
    n = len(m)
    out = np.zeros(n)
    b = _b(b)
    if math.isinf(b):
        return stationary(q_matrix(m, s, b, alpha))
    g = transition_graph(m, s, b)
    if g["irreducible"]:
        try:
            Q, V = ctmc_generator(m, s, b, alpha)
        except ValueError:  # some l* >= 3: no closed-form constants
            return np.full(n, np.nan)
        out[V] = stationary(Q)
        return out
    i0 = field_index(x0, s)
    reach = g["reach"]
    targets = [c for c, ab in zip(g["classes"], g["absorbing"]) if ab and reach[i0, c[0]]]
    if len(targets) != 1:
        return np.full(n, np.nan)
    cls = targets[0]
    lmax = max(g["l_star"][k] for k in cls)
    V = [k for k in cls if g["l_star"][k] == lmax]
    if len(V) == 1:
        out[V[0]] = 1.0
        return out
    return np.full(n, np.nan)


def two_jump_constant(i, j, b, alpha, cp=None):
    """Two-jump constant q^(2)_{i,j} (0-based fields): the mu-measure of 'first jump stays in Omega_i,
    flow back, second jump lands in Omega_j' (the l* = 2 integral), whatever l*_i is. With l*_i = 1
    and l_{i,j} = 2 it gives the rate, in units of H(1/eta)^2/eta, of the *atypical* two-jump exit
    that the limit eta -> 0 discards."""
    cp = cp or critical_points()
    return _q_two_jumps(i, j, np.asarray(cp["m"], float), _edges(cp["s"]), _b(b), alpha)


def competing_exit_probability(eta, i, j, b, alpha, scale=0.1, cp=None):
    """P(first exit from Omega_i lands in Omega_j) when field i is left with one jump (rate q_i H) but
    field j needs two (rate q^(2)_{i,j} H^2/eta): first order in each rate,
    p = q2 H/eta / (q_i + q2 H/eta), -> 0 like eta^(alpha-1)."""
    cp = cp or critical_points()
    q1 = -q_matrix(cp["m"], cp["s"], b, alpha)[i, i]
    r2 = two_jump_constant(i, j, b, alpha, cp) * tail_H(1.0 / np.asarray(eta, float), alpha, scale) / np.asarray(eta, float)
    return r2 / (q1 + r2)


# ----------------------------------------------------------------------------- a 2-D landscape

# Our own 2-D example (not P1's modified Himmelblau, whose constant c_x is not given): the core's
# "three_hump_camel" f = 2x^6/13 + x^5/8 - 91x^4/64 - x^3/2 + 21x^2/8 + 5y^2/4 + xy, projected onto
# the box [-3.5, 3] x [-2, 2]. Three minima on the line y = -x/2.5; their basins have different widths.
HUMP_LO = (-3.5, -2.0)
HUMP_HI = (3.0, 2.0)
HUMP_CELL = 0.025          # side of the classification cells (= the simulation's histogram bins)
__all__ += ["HUMP_LO", "HUMP_HI", "HUMP_CELL", "hump_f", "hump_grad", "hump_basins", "basin_distances",
            "jump_counts_2d", "transition_graph_2d", "untruncated_generator_2d", "label_of"]


def hump_f(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    return 2 * x**6 / 13 + x**5 / 8 - 91 * x**4 / 64 - x**3 / 2 + 21 * x**2 / 8 + 5 * y**2 / 4 + x * y


def hump_grad(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    # Horner form of 12x^5/13 + 5x^4/8 - 91x^3/16 - 3x^2/2 + 21x/4 + y
    return (x * (21 / 4 + x * (-1.5 + x * (-91 / 16 + x * (5 / 8 + x * 12 / 13)))) + y, 2.5 * y + x)


def _hump_hessian(x, y):
    fxx = 60 * x**4 / 13 + 5 * x**3 / 2 - 273 * x**2 / 16 - 3 * x + 21 / 4
    return np.array([[fxx, 1.0], [1.0, 2.5]])


def hump_basins(lo=HUMP_LO, hi=HUMP_HI, cell=HUMP_CELL, iters=2000):
    """Basins of attraction of the projected gradient flow, classified on the centres of a grid of
    square cells (the same cells as the simulation's 2-D histogram).

    Each centre follows dw/dt = -grad f (explicit Euler, time step 0.02, step length capped at 0.02,
    clipped to the box) for `iters` steps and gets the label of the minimum it ends at. The minima are
    the distinct end points, refined by Newton's method and ordered by x. Returns dict: xs, ys (cell
    centres), labels (n_x, n_y) ints, minima (k, 2), f_min, hessian_eigs (k, 2), lo, hi, cell, and
    `unsettled` (number of centres that end farther than 1e-3 from every minimum; they are labelled
    by the nearest one anyway)."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    n = np.rint((hi - lo) / cell).astype(int)
    if np.any(np.abs(n * cell - (hi - lo)) > 1e-9):
        raise ValueError("cell: must divide the box sides")
    xs = lo[0] + (np.arange(n[0]) + 0.5) * cell
    ys = lo[1] + (np.arange(n[1]) + 0.5) * cell
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    x, y = X.ravel().copy(), Y.ravel().copy()
    for _ in range(iters):
        gx, gy = hump_grad(x, y)
        dt = np.minimum(0.02, 0.02 / np.maximum(np.hypot(gx, gy), 1e-300))
        x = np.clip(x - dt * gx, lo[0], hi[0])
        y = np.clip(y - dt * gy, lo[1], hi[1])
    ends = np.unique(np.round(np.c_[x, y], 2), axis=0)
    minima = []
    for p in ends:
        for _ in range(50):
            p = p - np.linalg.solve(_hump_hessian(*p), np.array(hump_grad(*p)))
        if not any(np.hypot(*(p - q)) < 1e-6 for q in minima):
            minima.append(p)
    minima = np.array(sorted(minima, key=lambda q: q[0]))
    d = np.hypot(x[:, None] - minima[:, 0], y[:, None] - minima[:, 1])
    labels = d.argmin(axis=1).reshape(n)
    return {"xs": xs, "ys": ys, "labels": labels, "minima": minima, "f_min": hump_f(*minima.T),
            "hessian_eigs": np.array([np.linalg.eigvalsh(_hump_hessian(*q)) for q in minima]),
            "lo": lo, "hi": hi, "cell": float(cell), "unsettled": int(np.sum(d.min(axis=1) > 1e-3))}


def label_of(bm, pts):
    """Basin label of points (..., 2) by the cell they fall in (points outside the box: nearest cell)."""
    pts = np.asarray(pts, float)
    ix = np.clip(((pts[..., 0] - bm["lo"][0]) / bm["cell"]).astype(int), 0, len(bm["xs"]) - 1)
    iy = np.clip(((pts[..., 1] - bm["lo"][1]) / bm["cell"]).astype(int), 0, len(bm["ys"]) - 1)
    return bm["labels"][ix, iy]


def basin_distances(bm):
    """D[i, j] = distance from minimum i to the nearest cell centre of basin j (0 on the diagonal).
    r_i = min_{j != i} D[i, j] is the radius of basin i (the box edge does not count: the projection
    keeps the iterate in the box, and it cannot increase the distance travelled). Resolution: the
    cell centres sit within cell/sqrt(2) of any boundary point."""
    X, Y = np.meshgrid(bm["xs"], bm["ys"], indexing="ij")
    k = len(bm["minima"])
    D = np.zeros((k, k))
    for i, m in enumerate(bm["minima"]):
        dist = np.hypot(X - m[0], Y - m[1])
        for j in range(k):
            if j != i:
                D[i, j] = dist[bm["labels"] == j].min()
    return D


def jump_counts_2d(D, b):
    """(l_star, l): l[i, j] = ceil(D[i, j]/b) jumps of norm <= b to reach basin j from minimum i;
    l*_i = min_j l[i, j]. b = None: every count is 1."""
    b = _b(b)
    k = len(D)
    l = np.array([[0 if i == j else _ceil(D[i, j], b) for j in range(k)] for i in range(k)])
    lstar = np.array([min(l[i, j] for j in range(k) if j != i) for i in range(k)])
    return lstar, l


def transition_graph_2d(D, b):
    """G_b for the 2-D landscape: edge i->j iff l_{i,j} = l*_i (same output as `transition_graph`)."""
    return _graph(*jump_counts_2d(D, b))


def untruncated_generator_2d(bm, alpha, n_theta=720, n_u=400):
    """Generator q_{i,j} of the untruncated limit CTMC (time unit 1/H(1/eta) steps) for isotropic noise:
    q_{i,j} = nu{w : proj_box(m_i + w) in basin j}, nu(dw) = alpha |w|^(-alpha-1) d|w| dtheta/(2 pi),
    i.e. nu(|w| > x) = x^-alpha with a uniform direction. Quadrature: midpoint rule in theta and in
    u = |w|^-alpha on (0, r_i^-alpha] (nearer points stay in basin i)."""
    D = basin_distances(bm)
    k = len(D)
    Q = np.zeros((k, k))
    th_ = (np.arange(n_theta) + 0.5) * 2 * np.pi / n_theta
    e = np.c_[np.cos(th_), np.sin(th_)]
    for i, m in enumerate(bm["minima"]):
        r0 = 0.999 * min(D[i, j] for j in range(k) if j != i)
        umax = r0 ** -alpha
        u = (np.arange(n_u) + 0.5) * umax / n_u
        r = u ** (-1.0 / alpha)
        pts = m[None, None, :] + r[None, :, None] * e[:, None, :]
        pts = np.clip(pts, bm["lo"], bm["hi"])
        lab = label_of(bm, pts)
        for j in range(k):
            if j != i:
                Q[i, j] = umax * np.mean(lab == j)
        Q[i, i] = -Q[i].sum()
    return Q
