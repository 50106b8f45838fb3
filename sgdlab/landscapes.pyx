# cython: language_level=3
"""Loss landscapes simulated by the core.

Each landscape is a small `cdef class` with two `noexcept nogil` methods, `value(w, x)` and
`grad(w, x, g)`. To add one: subclass `Landscape`, set `dim`/`sampled`/`affine_in_x` in
`__init__`, implement the two methods, and register the class in `LANDSCAPES` at the bottom.

Sampled losses (Ziyin, Li & Ueda): the loss of one data point x, drawn afresh every step.
Deterministic landscapes: f(w); noise is added to their gradient by the driver.
"""
import math

import numpy as np
cimport numpy as cnp
from libc.math cimport fabs, pow, exp, sin, cos, M_PI, isfinite

cnp.import_array()


def _finite(name, value):
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be a finite number, got {value!r}")
    return value


def _positive(name, value):
    value = _finite(name, value)
    if value <= 0:
        raise ValueError(f"{name}: must be > 0, got {value!r}")
    return value


cdef class Landscape:
    def __init__(self):
        raise TypeError("Landscape is abstract; use a subclass or make_landscape(name, ...)")

    cdef double value(self, const double* w, double x) noexcept nogil:
        return 0.0

    cdef void grad(self, const double* w, double x, double* g) noexcept nogil:
        cdef int i
        for i in range(self.dim):
            g[i] = 0.0

    cdef void grad_block(self, const double* W, const double* X, double* G, Py_ssize_t n) noexcept nogil:
        """Gradients of n points (rows of W, n x dim) with data X[j], into G. Override with a tight
        loop for speed; this default calls `grad` point by point."""
        cdef Py_ssize_t j
        for j in range(n):
            self.grad(&W[j * self.dim], X[j], &G[j * self.dim])

    @property
    def name(self):
        return _NAMES[type(self)]

    def _points(self, w):
        arr = np.asarray(w, dtype=np.float64)
        if self.dim == 1 and arr.ndim <= 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim == 1 and arr.shape[0] == self.dim:
            arr = arr.reshape(1, -1)
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise ValueError(f"w: expected shape (n, {self.dim}), got {np.shape(w)}")
        return np.ascontiguousarray(arr)

    def values(self, w, x=0.0):
        """Loss at each row of w (shape (n, dim); for dim 1 any 1-D array). x: data point."""
        cdef double[:, ::1] pts = self._points(w)
        cdef double xx = float(x)
        out = np.empty(pts.shape[0])
        cdef double[::1] o = out
        cdef Py_ssize_t i
        for i in range(pts.shape[0]):
            o[i] = self.value(&pts[i, 0], xx)
        return out

    def grads(self, w, x=0.0):
        """Gradient at each row of w, shape (n, dim)."""
        cdef double[:, ::1] pts = self._points(w)
        cdef double xx = float(x)
        out = np.empty((pts.shape[0], self.dim))
        cdef double[:, ::1] o = out
        cdef Py_ssize_t i
        for i in range(pts.shape[0]):
            self.grad(&pts[i, 0], xx, &o[i, 0])
        return out

    def __reduce__(self):
        return (_rebuild, (self.name, dict(self.params)))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


def _rebuild(name, params):
    return make_landscape(name, **params)


# ---------------------------------------------------------------- sampled losses (Ziyin et al.)

cdef class Quadratic(Landscape):
    """L(w; x) = x w^2 / 2 (Ziyin et al. Section 4). Update w <- w (1 - lr x)."""
    def __init__(self):
        self.dim = 1; self.sampled = True; self.affine_in_x = True; self.params = {}

    cdef double value(self, const double* w, double x) noexcept nogil:
        return 0.5 * x * w[0] * w[0]

    cdef void grad(self, const double* w, double x, double* g) noexcept nogil:
        g[0] = x * w[0]

    cdef void grad_block(self, const double* W, const double* X, double* G, Py_ssize_t n) noexcept nogil:
        cdef Py_ssize_t j
        for j in range(n):
            G[j] = X[j] * W[j]


cdef class Quartic(Landscape):
    """L(w; x) = x w^2 / 2 + c w^4 / 4 (Ziyin et al. Fig. 1 right, App. C; c = 1 in the paper)."""
    cdef readonly double c

    def __init__(self, c=1.0):
        self.c = _finite("c", c)
        self.dim = 1; self.sampled = True; self.affine_in_x = True; self.params = {"c": self.c}

    cdef double value(self, const double* w, double x) noexcept nogil:
        cdef double w2 = w[0] * w[0]
        return 0.5 * x * w2 + 0.25 * self.c * w2 * w2

    # (x + c w w) w: with c = 1 the same floating-point operations as the two-layer network on its
    # balanced line u = w (gradient (u w - y) w with y = -x), so the two are bit-for-bit equal
    cdef void grad(self, const double* w, double x, double* g) noexcept nogil:
        g[0] = (x + self.c * w[0] * w[0]) * w[0]

    cdef void grad_block(self, const double* W, const double* X, double* G, Py_ssize_t n) noexcept nogil:
        cdef Py_ssize_t j
        cdef double c = self.c
        for j in range(n):
            G[j] = (X[j] + c * W[j] * W[j]) * W[j]


cdef class Sharp2D(Landscape):
    """Eq. 10 of Ziyin et al.: L = 1/2[-(w1-w2)^2 - (w1+w2)^2 + (w1-w2)^4 + (w1+w2)^4 - 2a w2^2 + x b w1^2]."""
    cdef readonly double a, b

    def __init__(self, a=0.5, b=14.0):
        self.a = _finite("a", a); self.b = _finite("b", b)
        self.dim = 2; self.sampled = True; self.affine_in_x = True
        self.params = {"a": self.a, "b": self.b}

    cdef double value(self, const double* w, double x) noexcept nogil:
        cdef double p = w[0] - w[1], q = w[0] + w[1]
        return 0.5 * (-p * p - q * q + p * p * p * p + q * q * q * q
                      - 2.0 * self.a * w[1] * w[1] + x * self.b * w[0] * w[0])

    cdef void grad(self, const double* w, double x, double* g) noexcept nogil:
        cdef double w1 = w[0], w2 = w[1]
        g[0] = -2.0 * w1 + 4.0 * w1 * w1 * w1 + 12.0 * w1 * w2 * w2 + x * self.b * w1
        g[1] = -2.0 * w2 + 4.0 * w2 * w2 * w2 + 12.0 * w1 * w1 * w2 - 2.0 * self.a * w2

    cdef void grad_block(self, const double* W, const double* X, double* G, Py_ssize_t n) noexcept nogil:
        cdef Py_ssize_t j
        cdef double w1, w2, a = self.a, b = self.b
        for j in range(n):
            w1 = W[2 * j]
            w2 = W[2 * j + 1]
            G[2 * j] = -2.0 * w1 + 4.0 * w1 * w1 * w1 + 12.0 * w1 * w2 * w2 + X[j] * b * w1
            G[2 * j + 1] = -2.0 * w2 + 4.0 * w2 * w2 * w2 + 12.0 * w1 * w1 * w2 - 2.0 * a * w2


cdef class TwoLayer(Landscape):
    """Width-1 two-layer linear network f(x) = u w x with x = 1: L(u, w; c) = (u w - c)^2 / 2.

    The data point is the target c (spec ziyin_nn.md, Section 4). Parameters are (u, w).
    """
    def __init__(self):
        self.dim = 2; self.sampled = True; self.affine_in_x = True; self.params = {}

    cdef double value(self, const double* w, double x) noexcept nogil:
        cdef double e = w[0] * w[1] - x
        return 0.5 * e * e

    cdef void grad(self, const double* w, double x, double* g) noexcept nogil:
        cdef double e = w[0] * w[1] - x
        g[0] = e * w[1]
        g[1] = e * w[0]


# ---------------------------------------------------------------- deterministic landscapes

cdef class Himmelblau(Landscape):
    """f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2 (Azizian et al. 2024)."""
    def __init__(self):
        self.dim = 2; self.sampled = False; self.affine_in_x = True; self.params = {}

    cdef double value(self, const double* w, double x) noexcept nogil:
        cdef double a = w[0] * w[0] + w[1] - 11.0, b = w[0] + w[1] * w[1] - 7.0
        return a * a + b * b

    cdef void grad(self, const double* w, double x, double* g) noexcept nogil:
        cdef double a = w[0] * w[0] + w[1] - 11.0, b = w[0] + w[1] * w[1] - 7.0
        g[0] = 4.0 * w[0] * a + 2.0 * b
        g[1] = 2.0 * a + 4.0 * w[1] * b

    cdef void grad_block(self, const double* W, const double* X, double* G, Py_ssize_t n) noexcept nogil:
        cdef Py_ssize_t j
        cdef double a, b, u, v
        for j in range(n):
            u = W[2 * j]
            v = W[2 * j + 1]
            a = u * u + v - 11.0
            b = u + v * v - 7.0
            G[2 * j] = 4.0 * u * a + 2.0 * b
            G[2 * j + 1] = 2.0 * a + 4.0 * v * b


cdef class ThreeHumpCamel(Landscape):
    """Modified three-hump camel of Azizian et al. 2025:
    f = 2x^6/13 + x^5/8 - 91x^4/64 - x^3/2 + 21x^2/8 + 5y^2/4 + xy."""
    def __init__(self):
        self.dim = 2; self.sampled = False; self.affine_in_x = True; self.params = {}

    cdef double value(self, const double* w, double x) noexcept nogil:
        cdef double u = w[0], v = w[1], u2 = u * u
        return (2.0 * u2 * u2 * u2 / 13.0 + u2 * u2 * u / 8.0 - 91.0 * u2 * u2 / 64.0
                - u2 * u / 2.0 + 21.0 * u2 / 8.0 + 5.0 * v * v / 4.0 + u * v)

    cdef void grad(self, const double* w, double x, double* g) noexcept nogil:
        cdef double u = w[0], v = w[1], u2 = u * u
        g[0] = (12.0 * u2 * u2 * u / 13.0 + 5.0 * u2 * u2 / 8.0 - 91.0 * u2 * u / 16.0
                - 1.5 * u2 + 21.0 * u / 4.0 + v)
        g[1] = 2.5 * v + u


cdef inline void _four_well_factors(double z, double* v, double* dv) noexcept nogil:
    """The nine factors of `FourWell` and their derivatives at z."""
    cdef double d, e, q
    v[0] = z + 1.6; dv[0] = 1.0
    v[1] = (z + 1.3) * (z + 1.3); dv[1] = 2.0 * (z + 1.3)
    v[2] = (z - 0.2) * (z - 0.2); dv[2] = 2.0 * (z - 0.2)
    v[3] = (z - 0.7) * (z - 0.7); dv[3] = 2.0 * (z - 0.7)
    v[4] = z - 1.6; dv[4] = 1.0
    d = fabs(1.65 - z)
    v[5] = pow(0.05 * d, 0.6)
    dv[5] = (-0.6 * v[5] / d * (1.0 if z < 1.65 else -1.0)) if d > 0 else 0.0
    q = 0.01 + 4.0 * (z - 0.5) * (z - 0.5)
    v[6] = 1.0 + 1.0 / q; dv[6] = -8.0 * (z - 0.5) / (q * q)
    q = 0.1 + 4.0 * (z + 1.5) * (z + 1.5)
    v[7] = 1.0 + 1.0 / q; dv[7] = -8.0 * (z + 1.5) / (q * q)
    e = exp(-5.0 * (z + 0.8) * (z + 0.8))
    v[8] = 1.0 - 0.25 * e; dv[8] = 2.5 * (z + 0.8) * e


cdef inline double _four_well_grad(double z) noexcept nogil:
    """f'(z) by the product rule with prefix/suffix products (no division by factors that vanish)."""
    cdef double v[9]
    cdef double dv[9]
    cdef double pre[10]
    cdef double suf[10]
    cdef double s = 0.0
    cdef int k
    _four_well_factors(z, v, dv)
    pre[0] = 1.0
    for k in range(9):
        pre[k + 1] = pre[k] * v[k]
    suf[9] = 1.0
    for k in range(8, -1, -1):
        suf[k] = suf[k + 1] * v[k]
    for k in range(9):
        s += dv[k] * pre[k] * suf[k + 1]
    return s


cdef class FourWell(Landscape):
    """The 1-D test function of Wang, Oh & Rhee (2022), Fig. 1 (spec heavy_tailed.md, 2.1):
    f(x) = (x+1.6)(x+1.3)^2(x-0.2)^2(x-0.7)^2(x-1.6)(0.05|1.65-x|)^0.6
           (1 + 1/(0.01+4(x-0.5)^2))(1 + 1/(0.1+4(x+1.5)^2))(1 - 0.25 exp(-5(x+0.8)^2)).
    Meant to be used with projection onto [-1.6, 1.6] (the factor |1.65-x|^0.6 has a cusp at 1.65).
    """
    def __init__(self):
        self.dim = 1; self.sampled = False; self.affine_in_x = True; self.params = {}

    cdef void _factors(self, double z, double* v, double* dv) noexcept nogil:
        _four_well_factors(z, v, dv)

    cdef double value(self, const double* w, double x) noexcept nogil:
        cdef double v[9]
        cdef double dv[9]
        cdef double p = 1.0
        cdef int k
        self._factors(w[0], v, dv)
        for k in range(9):
            p *= v[k]
        return p

    cdef void grad(self, const double* w, double x, double* g) noexcept nogil:
        g[0] = _four_well_grad(w[0])

    cdef void grad_block(self, const double* W, const double* X, double* G, Py_ssize_t n) noexcept nogil:
        # one call per block instead of two virtual calls per point; the same operations per point
        cdef Py_ssize_t j
        for j in range(n):
            G[j] = _four_well_grad(W[j])


cdef class KinkedTwoWell(Landscape):
    """Two parabolic wells glued at a kink (spec sticking.md, C3): f'(x) = a(x+1) for x < 0,
    b(x-1) for x > 0, f'(0) := kink_grad (0 = the symmetric subgradient). Minima -1 and +1,
    sharp maximum at 0 with one-sided slopes a and -b."""
    cdef readonly double a, b, kink_grad

    def __init__(self, a=1.0, b=2.0, kink_grad=0.0):
        self.a = _positive("a", a); self.b = _positive("b", b)
        self.kink_grad = _finite("kink_grad", kink_grad)
        self.dim = 1; self.sampled = False; self.affine_in_x = True
        self.params = {"a": self.a, "b": self.b, "kink_grad": self.kink_grad}

    cdef double value(self, const double* w, double x) noexcept nogil:
        cdef double z = w[0]
        if z < 0:
            return 0.5 * self.a * ((z + 1.0) * (z + 1.0) - 1.0)
        return 0.5 * self.b * ((z - 1.0) * (z - 1.0) - 1.0)

    cdef void grad(self, const double* w, double x, double* g) noexcept nogil:
        cdef double z = w[0]
        if z < 0:
            g[0] = self.a * (z + 1.0)
        elif z > 0:
            g[0] = self.b * (z - 1.0)
        else:
            g[0] = self.kink_grad


cdef class DoubleWell(Landscape):
    """f'(x) = x^3 - x for |x| <= R, continued linearly beyond (globally Lipschitz; spec sticking.md
    C1: R = 2 gives f'(x) = +-6 + 11(x -+ 2)). Minima +-1, smooth maximum at 0."""
    cdef readonly double R

    def __init__(self, linear_beyond=2.0):
        self.R = _positive("linear_beyond", linear_beyond)
        self.dim = 1; self.sampled = False; self.affine_in_x = True
        self.params = {"linear_beyond": self.R}

    cdef double value(self, const double* w, double x) noexcept nogil:
        cdef double z = w[0], R = self.R, az = fabs(z), u
        if az <= R:
            return 0.25 * z * z * z * z - 0.5 * z * z
        u = az - R
        return (0.25 * R * R * R * R - 0.5 * R * R) + (R * R * R - R) * u + 0.5 * (3 * R * R - 1) * u * u

    cdef void grad(self, const double* w, double x, double* g) noexcept nogil:
        cdef double z = w[0], R = self.R
        if z > R:
            g[0] = (R * R * R - R) + (3.0 * R * R - 1.0) * (z - R)
        elif z < -R:
            g[0] = -(R * R * R - R) + (3.0 * R * R - 1.0) * (z + R)
        else:
            g[0] = z * z * z - z


cdef class Sine(Landscape):
    """f'(x) = sin(2 pi x), f = (1 - cos 2 pi x)/(2 pi): minima at the integers, maxima at the
    half-integers, bounded gradient (spec sticking.md, C4)."""
    def __init__(self):
        self.dim = 1; self.sampled = False; self.affine_in_x = True; self.params = {}

    cdef double value(self, const double* w, double x) noexcept nogil:
        return (1.0 - cos(2.0 * M_PI * w[0])) / (2.0 * M_PI)

    cdef void grad(self, const double* w, double x, double* g) noexcept nogil:
        g[0] = sin(2.0 * M_PI * w[0])


cdef class FlatMax(Landscape):
    """f = x^6/6 - x^4/4, f' = x^5 - x^3: degenerate maximum at 0, minima +-1 (sticking.md C5)."""
    def __init__(self):
        self.dim = 1; self.sampled = False; self.affine_in_x = True; self.params = {}

    cdef double value(self, const double* w, double x) noexcept nogil:
        cdef double z2 = w[0] * w[0]
        return z2 * z2 * z2 / 6.0 - z2 * z2 / 4.0

    cdef void grad(self, const double* w, double x, double* g) noexcept nogil:
        cdef double z = w[0], z2 = z * z
        g[0] = z2 * z2 * z - z2 * z


cdef class Harmonic(Landscape):
    """f(w) = k w^2 / 2 in 1-D (Ziyin et al. Example 2 / Fig. 8)."""
    cdef readonly double k

    def __init__(self, k=1.0):
        self.k = _finite("k", k)
        self.dim = 1; self.sampled = False; self.affine_in_x = True; self.params = {"k": self.k}

    cdef double value(self, const double* w, double x) noexcept nogil:
        return 0.5 * self.k * w[0] * w[0]

    cdef void grad(self, const double* w, double x, double* g) noexcept nogil:
        g[0] = self.k * w[0]


LANDSCAPES = {
    "quadratic": Quadratic,
    "quartic": Quartic,
    "sharp2d": Sharp2D,
    "two_layer": TwoLayer,
    "himmelblau": Himmelblau,
    "three_hump_camel": ThreeHumpCamel,
    "four_well": FourWell,
    "kinked_two_well": KinkedTwoWell,
    "double_well": DoubleWell,
    "sine": Sine,
    "flat_max": FlatMax,
    "harmonic": Harmonic,
}
_NAMES = {cls: name for name, cls in LANDSCAPES.items()}


def make_landscape(name, **params):
    """Build a landscape by name, e.g. make_landscape("quartic", c=1.0)."""
    if isinstance(name, Landscape):
        if params:
            raise ValueError("landscape: parameters given together with a Landscape instance")
        return name
    if name not in LANDSCAPES:
        raise ValueError(f"landscape: unknown name {name!r}; known: {sorted(LANDSCAPES)}")
    try:
        return LANDSCAPES[name](**params)
    except TypeError as exc:
        raise ValueError(f"landscape {name!r}: bad parameters {sorted(params)}: {exc}") from None
