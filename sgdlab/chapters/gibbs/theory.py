"""Long-run (Boltzmann–Gibbs) law and global convergence time of SGD (Azizian et al. 2024, 2025),
and the engineered-noise stationary law of Ziyin et al. Prop. 6 / Example 2.

Everything here is deterministic theory (no SGD steps):

* two test functions in closed form (Himmelblau, modified three-hump camel) with gradient and Hessian;
* critical points of a 2-D function by multi-start Newton root finding, classified by the Hessian;
* heteroclinic connections: gradient descent from each saddle along its unstable eigenvector
  (which minima it joins) and gradient *ascent* along its stable eigenvector (which maximum);
* transition costs B_ij between critical points for Gaussian noise N(0, σ² I)
  (B = 2[f_j − f_i]_+/σ² between connected neighbours) and for noise N(0, σ²(f + c) I)
  (B = 2[ln(f_j + c) − ln(f_i + c)]_+/σ²), completed to all pairs by shortest paths;
* energies E_i = min over spanning arborescences pointing to i of the sum of costs (networkx's
  Edmonds algorithm, with a brute-force enumerator for checks);
* the hitting energy E(x) of the 2025 paper (restricted costs, two-root forests);
* bin-integrated densities: Gibbs exp(−2f/(ησ²)), power laws (f + c)^(−p), basin labels;
* Ziyin et al. Eq. 110/112: the noise C(w) that makes a given p(w) stationary on a 1-D loss.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize, sparse, special
from scipy.sparse import csgraph

__all__ = [
    "Landscape2D", "HIMMELBLAU", "THREE_HUMP", "CriticalPoint", "critical_points", "connections",
    "transition_costs", "arborescence_weight", "energies", "energies_bruteforce", "forest_weight",
    "hitting_energies", "basin_labels", "bin_density", "basin_masses_theory", "tv_distance",
    "prop6_noise_variance", "gaussian_pdf", "mixture_pdf", "hump_slope_theory", "fast_fraction",
    "eq114_counterexample",
]


# ----------------------------------------------------------------------------- test functions

@dataclass(frozen=True)
class Landscape2D:
    name: str
    f: object
    grad: object
    hess: object
    box: tuple          # ((xlo, xhi), (ylo, yhi)) where all critical points lie
    core_name: str      # name of the same landscape in the compiled core


def _him_f(x, y):
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def _him_grad(x, y):
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])


def _him_hess(x, y):
    return np.array([[12 * x * x + 4 * y - 42, 4 * x + 4 * y],
                     [4 * x + 4 * y, 4 * x + 12 * y * y - 26]])


def _hump_f(x, y):
    return (2 * x ** 6 / 13 + x ** 5 / 8 - 91 * x ** 4 / 64 - x ** 3 / 2 + 21 * x ** 2 / 8
            + 5 * y ** 2 / 4 + x * y)


def _hump_grad(x, y):
    return np.array([12 * x ** 5 / 13 + 5 * x ** 4 / 8 - 91 * x ** 3 / 16 - 1.5 * x ** 2 + 21 * x / 4 + y,
                     2.5 * y + x])


def _hump_hess(x, y):
    return np.array([[60 * x ** 4 / 13 + 2.5 * x ** 3 - 273 * x ** 2 / 16 - 3 * x + 21 / 4, 1.0],
                     [1.0, 2.5]])


HIMMELBLAU = Landscape2D("himmelblau", _him_f, _him_grad, _him_hess, ((-5.0, 5.0), (-5.0, 5.0)),
                         "himmelblau")
THREE_HUMP = Landscape2D("three_hump_camel", _hump_f, _hump_grad, _hump_hess,
                         ((-3.5, 3.5), (-2.0, 2.0)), "three_hump_camel")


# ----------------------------------------------------------------------------- critical points

@dataclass
class CriticalPoint:
    x: float
    y: float
    kind: str           # "min", "saddle", "max"
    f: float
    eigvals: np.ndarray
    eigvecs: np.ndarray  # columns

    @property
    def xy(self):
        return np.array([self.x, self.y])


def critical_points(land, n_starts=21, tol=1e-11, decimals=6):
    """All critical points of `land` in its box: Newton (scipy `root`, hybr with the exact Hessian)
    from an n_starts × n_starts grid, deduplicated by rounding, classified by the Hessian's
    eigenvalues. Sorted by x coordinate (ascending)."""
    if int(n_starts) < 2:
        raise ValueError(f"n_starts: must be >= 2, got {n_starts!r}")
    (xl, xh), (yl, yh) = land.box
    found = {}
    for x0 in np.linspace(xl, xh, int(n_starts)):
        for y0 in np.linspace(yl, yh, int(n_starts)):
            sol = optimize.root(lambda z: land.grad(*z), [x0, y0], jac=lambda z: land.hess(*z),
                                method="hybr", tol=tol)
            z = sol.x
            if not sol.success or not np.all(np.isfinite(z)):
                continue
            if np.linalg.norm(land.grad(*z)) > 1e-8:
                continue
            if not (xl - 1e-9 <= z[0] <= xh + 1e-9 and yl - 1e-9 <= z[1] <= yh + 1e-9):
                continue
            key = (round(z[0], decimals) + 0.0, round(z[1], decimals) + 0.0)
            found.setdefault(key, z)
    pts = []
    for z in found.values():
        ev, evec = np.linalg.eigh(land.hess(*z))
        if np.all(ev > 0):
            kind = "min"
        elif np.all(ev < 0):
            kind = "max"
        elif ev[0] < 0 < ev[1]:
            kind = "saddle"
        else:
            kind = "degenerate"
        pts.append(CriticalPoint(float(z[0]), float(z[1]), kind, float(land.f(*z)), ev, evec))
    pts.sort(key=lambda p: p.x)
    return pts


def _flow(land, z0, sign, t_max=50.0, r_max=1e3):
    """Integrate dz/dt = sign * ∇f(z) (sign = −1: gradient flow, +1: ascent) until the gradient
    vanishes (or |z| > r_max). Returns the end point."""
    def rhs(t, z):
        return sign * land.grad(*z)

    def stop(t, z):
        return np.linalg.norm(land.grad(*z)) - 1e-7
    stop.terminal = True

    def away(t, z):
        return r_max - np.linalg.norm(z)
    away.terminal = True
    sol = integrate.solve_ivp(rhs, (0.0, t_max), np.asarray(z0, float), method="LSODA", rtol=1e-9,
                              atol=1e-11, events=(stop, away))
    return sol.y[:, -1]


def _nearest(pts, z, kinds, tol=1e-3):
    best, dist = None, np.inf
    for k, p in enumerate(pts):
        if p.kind in kinds:
            d = np.hypot(p.x - z[0], p.y - z[1])
            if d < dist:
                best, dist = k, d
    return best if dist < tol else None


def connections(land, pts, eps=1e-3):
    """Heteroclinic connections between critical points, as a sorted list of index pairs (i, j)
    with i the lower one: for each saddle s, descend from s ± eps·u (u: unstable eigenvector) to the
    minima it joins, and ascend from s ± eps·v (v: stable eigenvector) to the maxima it joins
    (ascent that escapes to infinity joins nothing)."""
    edges = set()
    for k, p in enumerate(pts):
        if p.kind != "saddle":
            continue
        u, v = p.eigvecs[:, 0], p.eigvecs[:, 1]
        for sgn in (1.0, -1.0):
            end = _flow(land, p.xy + sgn * eps * u, -1.0)
            j = _nearest(pts, end, ("min",))
            if j is not None:
                edges.add((j, k))
            end = _flow(land, p.xy + sgn * eps * v, +1.0)
            j = _nearest(pts, end, ("max",))
            if j is not None:
                edges.add((k, j))
    return sorted(edges)


def _phi(f, noise, c):
    if noise == "gaussian":
        return np.asarray(f, float)
    if noise == "loss":
        f = np.asarray(f, float)
        if np.any(f + c <= 0):
            raise ValueError("c: need f + c > 0 at every critical point for noise ∝ (f + c)")
        return np.log(f + c)
    raise ValueError(f"noise: expected 'gaussian' or 'loss', got {noise!r}")


def transition_costs(pts, edges, sigma2, noise="gaussian", c=1.0, forbid_from=None):
    """Matrix B (N × N) of transition costs. Direct costs between connected neighbours i, j:
    B_ij = 2[Φ(f_j) − Φ(f_i)]_+ / σ², with Φ(f) = f (Gaussian noise N(0, σ² I)) or
    Φ(f) = ln(f + c) (noise N(0, σ²(f + c) I)); climbing along the reversed gradient flow costs
    exactly that, descending costs 0. Other pairs: shortest path sums (upper bounds of the
    quasi-potential that leave the energies unchanged). `forbid_from`: a node whose outgoing edges
    are removed (paths may not pass through it: the restricted costs of the 2025 paper)."""
    sigma2 = float(sigma2)
    if not np.isfinite(sigma2) or sigma2 <= 0:
        raise ValueError(f"sigma2: must be > 0, got {sigma2!r}")
    n = len(pts)
    phi = _phi([p.f for p in pts], noise, c)
    W = np.full((n, n), np.inf)
    np.fill_diagonal(W, 0.0)
    for i, j in edges:
        W[i, j] = 2.0 * max(phi[j] - phi[i], 0.0) / sigma2
        W[j, i] = 2.0 * max(phi[i] - phi[j], 0.0) / sigma2
    if forbid_from is not None:
        W[forbid_from, :] = np.inf
        W[forbid_from, forbid_from] = 0.0
    # csgraph treats explicit zeros as missing edges: shift costs by a tiny epsilon-free trick, i.e.
    # run Floyd–Warshall ourselves (N is small).
    D = W.copy()
    for k in range(n):
        D = np.minimum(D, D[:, [k]] + D[[k], :])
    return D


# ----------------------------------------------------------------------------- energies

def arborescence_weight(B, root):
    """min over spanning trees in which every node ≠ root has one outgoing edge and all paths lead
    to `root` of Σ B over the tree's edges (Edmonds' algorithm, networkx)."""
    import networkx as nx
    B = np.asarray(B, float)
    n = B.shape[0]
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    # networkx arborescences point *away* from the root: store edge j→k (in the tree, "k goes to j")
    # with weight B[k, j]; no edge enters the root.
    for k in range(n):
        for j in range(n):
            if j != k and k != root and np.isfinite(B[k, j]):
                G.add_edge(j, k, weight=float(B[k, j]))
    T = nx.minimum_spanning_arborescence(G, attr="weight", preserve_attrs=True)
    return float(sum(d["weight"] for _, _, d in T.edges(data=True)))


def energies(B):
    """E_i = arborescence_weight(B, i) for every node (Azizian et al. 2024)."""
    B = np.asarray(B, float)
    return np.array([arborescence_weight(B, i) for i in range(B.shape[0])])


def _successor_maps(n, roots):
    others = [v for v in range(n) if v not in roots]
    for choice in itertools.product(range(n), repeat=len(others)):
        succ = dict(zip(others, choice))
        if any(succ[v] == v for v in others):
            continue
        # acyclic: every path reaches a root
        ok = True
        for v in others:
            seen, u = 0, v
            while u not in roots:
                u = succ[u]
                seen += 1
                if seen > n:
                    ok = False
                    break
            if not ok:
                break
        if ok:
            yield succ


def _end(succ, v, roots):
    while v not in roots:
        v = succ[v]
    return v


def forest_weight(B, roots, constraint=None):
    """Brute force: min over forests in which every non-root node has one outgoing edge and every
    path ends at a root, of Σ B. `constraint(succ)` may reject forests. For small graphs (≤ 8)."""
    B = np.asarray(B, float)
    n = B.shape[0]
    if n > 8:
        raise ValueError("B: brute force enumerates (n-1)^(n-1) maps; use at most 8 nodes")
    best = np.inf
    for succ in _successor_maps(n, set(roots)):
        if constraint is not None and not constraint(succ):
            continue
        w = sum(B[v, s] for v, s in succ.items())
        best = min(best, w)
    return float(best)


def energies_bruteforce(B):
    B = np.asarray(B, float)
    return np.array([forest_weight(B, [i]) for i in range(B.shape[0])])


def hitting_energies(B_restricted, target):
    """Relative energies E(i) = E_0 − E(i ↛ 0) of the 2025 paper, for every node i ≠ target
    (E(target) = 0). E_0: min tree pointing to the target; E(i ↛ 0): min over forests with roots
    {target, j}, j ≠ target, in which i's path ends at j. Brute force (≤ 8 nodes)."""
    B = np.asarray(B_restricted, float)
    n = B.shape[0]
    E0 = forest_weight(B, [target])
    out = np.zeros(n)
    for i in range(n):
        if i == target:
            continue
        best = np.inf
        for j in range(n):
            if j == target:
                continue
            best = min(best, forest_weight(B, [target, j],
                                           constraint=lambda s, i=i, j=j: _end(s, i, {target, j}) == j))
        out[i] = E0 - best
    return out


def hitting_energy_at(B_restricted, target, start):
    """E(x) = max_i [E(i) − B(x, i)]_+ for x at the critical point `start`."""
    Ei = hitting_energies(B_restricted, target)
    B = np.asarray(B_restricted, float)
    vals = [Ei[i] - B[start, i] for i in range(B.shape[0]) if i != target]
    return float(max(0.0, max(vals)))


def hump_slope_theory(sigma2):
    """Theory slope of ln E[τ] against 1/η on the three-hump camel: E(x2) = 2(f(x1) − f(x4))/σ²,
    computed from the landscape's own critical points."""
    pts = critical_points(THREE_HUMP)
    mins = [p for p in pts if p.kind == "min"]
    sads = [p for p in pts if p.kind == "saddle"]
    x0 = min(mins, key=lambda p: p.f)
    x1 = min(sads, key=lambda p: abs(p.x - x0.x))
    x4 = max(mins, key=lambda p: p.x)
    return 2.0 * (x1.f - x4.f) / float(sigma2)


def fast_fraction(eta, sigma2):
    """Log-scale probability that SGD started at x2 crosses x1 directly instead of falling to x4
    first: exp(−2(f(x1) − f(x3))/(σ²η)) (no prefactor)."""
    pts = critical_points(THREE_HUMP)
    sads = sorted([p for p in pts if p.kind == "saddle"], key=lambda p: p.x)
    return float(np.exp(-2.0 * (sads[0].f - sads[1].f) / (float(sigma2) * float(eta))))


# ----------------------------------------------------------------------------- densities

def basin_labels(land, pts, xy, lr=1e-3, steps=4000):
    """Index (into pts) of the minimum whose basin contains each point of xy (shape (..., 2)), by
    vectorised gradient descent (deterministic; lr small enough for the box), then the nearest
    minimum. Points on separatrices are assigned arbitrarily (measure zero)."""
    z = np.array(xy, float).reshape(-1, 2).T.copy()
    for _ in range(int(steps)):
        g = land.grad(z[0], z[1])
        step = lr * g
        nrm = np.hypot(step[0], step[1])
        scale = np.minimum(1.0, 0.2 / np.maximum(nrm, 1e-300))  # cap steps far away
        z -= step * scale
    mins = [k for k, p in enumerate(pts) if p.kind == "min"]
    d = np.stack([np.hypot(z[0] - pts[k].x, z[1] - pts[k].y) for k in mins])
    lab = np.array(mins)[np.argmin(d, axis=0)]
    return lab.reshape(np.shape(xy)[:-1])


def _density(fv, form, eta, sigma2, c):
    t = float(eta) * float(sigma2)
    if form == "gibbs":
        return np.exp(-2.0 * (fv - np.min(fv)) / t)
    if form == "powerlaw":        # exact stationary law of the diffusion approximation
        return (fv + c) ** (-(2.0 / t + 1.0))
    if form == "ld":              # pure large-deviation form
        return (fv + c) ** (-(2.0 / t))
    if form == "gibbs_c":         # Gaussian-like law with the noise frozen at its minimum level
        return np.exp(-2.0 * (fv - np.min(fv)) / (t * c))
    raise ValueError(f"form: expected 'gibbs', 'powerlaw', 'ld' or 'gibbs_c', got {form!r}")


def bin_density(land, edges_x, edges_y, eta, sigma2, form="gibbs", c=1.0, sub=8):
    """Probability of each histogram bin under the density `form`, integrated with sub × sub
    midpoints per bin and normalised over the whole grid (shape (nx, ny), index [ix, iy])."""
    ex_, ey = np.asarray(edges_x, float), np.asarray(edges_y, float)
    sub = int(sub)
    fx = (ex_[:-1, None] + (np.arange(sub) + 0.5)[None, :] / sub * np.diff(ex_)[:, None]).ravel()
    fy = (ey[:-1, None] + (np.arange(sub) + 0.5)[None, :] / sub * np.diff(ey)[:, None]).ravel()
    X, Y = np.meshgrid(fx, fy, indexing="ij")
    d = _density(land.f(X, Y), form, eta, sigma2, c)
    d = d.reshape(len(ex_) - 1, sub, len(ey) - 1, sub).sum(axis=(1, 3))
    return d / d.sum()


def basin_masses_theory(land, pts, eta, sigma2, box=((-6, 6), (-6, 6)), n=480, form="gibbs", c=1.0):
    """Mass of each minimum's basin under the normalised density on a fine grid (n × n cells).
    Returns (indices of the minima in pts, masses) in the order of pts (ascending x)."""
    (xl, xh), (yl, yh) = box
    ex_ = np.linspace(xl, xh, n + 1)
    ey = np.linspace(yl, yh, n + 1)
    P = bin_density(land, ex_, ey, eta, sigma2, form, c, sub=1)
    xc, yc = (ex_[:-1] + ex_[1:]) / 2, (ey[:-1] + ey[1:]) / 2
    X, Y = np.meshgrid(xc, yc, indexing="ij")
    lab = basin_labels(land, pts, np.stack([X, Y], -1))
    mins = [k for k, p in enumerate(pts) if p.kind == "min"]
    return mins, np.array([P[lab == k].sum() for k in mins])


def tv_distance(p, q):
    """Total variation ½ Σ |p − q| between two normalised histograms."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    return 0.5 * float(np.abs(p / p.sum() - q / q.sum()).sum())


# ----------------------------------------------------------------------------- Ziyin et al. Prop. 6

def gaussian_pdf(w, mean, var):
    return np.exp(-(np.asarray(w, float) - mean) ** 2 / (2 * var)) / np.sqrt(2 * np.pi * var)


def mixture_pdf(w, means, var, weights=None):
    means = np.asarray(means, float)
    wts = np.full(means.size, 1.0 / means.size) if weights is None else np.asarray(weights, float)
    return sum(wt * gaussian_pdf(w, m, var) for wt, m in zip(wts, means))


def prop6_noise_variance(grid, pdf, lr, dloss=lambda w: w, c0=None):
    """Ziyin et al. Eq. 110/112 for the discrete update w ← w − lr (L'(w) + s(w) Z), Z ~ N(0, 1):
    the diffusion approximation dw = −lr L' dt + lr s dW has zero-flux stationary density p iff
    s²(w) p(w) = c0 − (2/lr) ∫_{−∞}^{w} L'(u) p(u) du   (the paper's C/S with S = 1).
    s² ≥ 0 everywhere needs c0 ≥ (2/lr) sup_w ∫_{−∞}^{w} L' p; the default is that minimum.
    Returns s²(w) on `grid` (cumulative trapezoid from the grid's left end, where p is negligible)."""
    lr = float(lr)
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr: must be > 0, got {lr!r}")
    w = np.asarray(grid, float)
    p = np.asarray(pdf(w), float)
    if np.any(p <= 0):
        raise ValueError("pdf: the target density must be > 0 on the grid")
    I = integrate.cumulative_trapezoid(dloss(w) * p, w, initial=0.0)
    if c0 is None:
        c0 = (2.0 / lr) * max(0.0, float(I.max()))
    num = c0 - (2.0 / lr) * I
    return np.maximum(num, 0.0) / p


def eq114_counterexample(mean=-1.0, var=0.5, c0=-0.5, w=-3.0):
    """Ziyin et al. Eq. 112–114 in units of 2S/λ (the paper absorbs constants into c0): the noise
    C(w) = [c0 − F(w)] / p(w), F(w) = ∫_{−∞}^w L'(u) p(u) du, with L = w²/2 and p = N(mean, var).

    Eq. 114 asks only E_p[L'] = F(∞) < c0; C ≥ 0 everywhere needs c0 ≥ sup_w F(w) = max(0, E_p w).
    Returns dict(mean_dloss=E_p[L'], sup_F=sup F, c0, w, F_w=F(w), C_w=C(w)): for a target with
    negative mean and E_p[L'] < c0 < 0, Eq. 114 holds while C(w) < 0 in the left tail."""
    sd = np.sqrt(var)
    z = (w - mean) / sd
    # ∫_{−∞}^w u p(u) du = mean Φ(z) − sd φ(z)
    F_w = float(mean * special.ndtr(z) - sd * np.exp(-z * z / 2) / np.sqrt(2 * np.pi))
    p_w = float(gaussian_pdf(w, mean, var))
    return dict(mean_dloss=float(mean), sup_F=float(max(0.0, mean)), c0=float(c0), w=float(w), F_w=F_w,
                C_w=(c0 - F_w) / p_w)
