# cython: language_level=3
"""Optimizers of the core: SGD (and GD, which is SGD fed the exact gradient), Adam and AMSGrad.

To add one: subclass `Optimizer`, set `n_slots` (state vectors per run), implement `direction`,
register it in `OPTIMIZERS`.
"""
from libc.math cimport sqrt
from sgdlab.landscapes import _finite
from sgdlab.landscapes cimport MAXDIM


cdef class Optimizer:
    def __init__(self):
        raise TypeError("Optimizer is abstract; use make_optimizer(name, ...)")

    cdef void direction(self, const double* g, double* state, double* d, int dim) noexcept nogil:
        cdef int i
        for i in range(dim):
            d[i] = g[i]

    cdef void direction_block(self, const double* G, double* ST, Py_ssize_t slot_stride, double* D,
                              Py_ssize_t n, int dim) noexcept nogil:
        """Directions of n runs: G, D are n x dim. The block's state is slot-major: element q = j*dim+i
        of slot k is ST[k * slot_stride + q], so an element-wise optimizer loops over q directly.
        This default gathers each run's state, calls `direction` and scatters it back."""
        cdef Py_ssize_t j, k, i
        cdef double tmp[MAXSLOTS * MAXDIM]
        for j in range(n):
            for k in range(self.n_slots):
                for i in range(dim):
                    tmp[k * dim + i] = ST[k * slot_stride + j * dim + i]
            self.direction(&G[j * dim], tmp, &D[j * dim], dim)
            for k in range(self.n_slots):
                for i in range(dim):
                    ST[k * slot_stride + j * dim + i] = tmp[k * dim + i]

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.params.items())})"

    def __reduce__(self):
        return (_rebuild, (type(self).__name__, dict(self.params)))


def _rebuild(clsname, params):
    return {"SGD": SGD, "Adam": Adam}[clsname](**params)


cdef class SGD(Optimizer):
    """d = g."""
    def __init__(self):
        self.n_slots = 0
        self.params = {}

    cdef void direction_block(self, const double* G, double* ST, Py_ssize_t slot_stride, double* D,
                              Py_ssize_t n, int dim) noexcept nogil:
        cdef Py_ssize_t j
        for j in range(n * dim):
            D[j] = G[j]


cdef class Adam(Optimizer):
    """Adam / AMSGrad as written by Ziyin et al. (Eq. 13-16, typo in Eq. 13 corrected), no bias
    correction, m_0 = v_0 = 0:
        m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  vhat = max(vhat, v) (AMSGrad) or v (Adam);
        d = m / (sqrt(vhat) + eps).
    Where sqrt(vhat) + eps == 0 (only possible with eps = 0 and a zero gradient history) d = 0.
    State slots per run: m, v, vhat.
    """
    cdef readonly double beta1, beta2, eps
    cdef readonly bint amsgrad

    def __init__(self, beta1=0.0, beta2=0.999, eps=0.0, amsgrad=False):
        self.beta1 = _finite("beta1", beta1)
        self.beta2 = _finite("beta2", beta2)
        self.eps = _finite("eps", eps)
        if not 0.0 <= self.beta1 < 1.0:
            raise ValueError(f"beta1: must be in [0, 1), got {beta1!r}")
        if not 0.0 <= self.beta2 < 1.0:
            raise ValueError(f"beta2: must be in [0, 1), got {beta2!r}")
        if self.eps < 0:
            raise ValueError(f"eps: must be >= 0, got {eps!r}")
        self.amsgrad = bool(amsgrad)
        self.n_slots = 3
        self.params = {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps, "amsgrad": self.amsgrad}

    cdef void direction(self, const double* g, double* state, double* d, int dim) noexcept nogil:
        cdef int i
        cdef double* m = state
        cdef double* v = state + dim
        cdef double* vh = state + 2 * dim
        cdef double den
        for i in range(dim):
            m[i] = self.beta1 * m[i] + (1.0 - self.beta1) * g[i]
            v[i] = self.beta2 * v[i] + (1.0 - self.beta2) * g[i] * g[i]
            if self.amsgrad:
                if v[i] > vh[i]:
                    vh[i] = v[i]
            else:
                vh[i] = v[i]
            den = sqrt(vh[i]) + self.eps
            d[i] = m[i] / den if den > 0 else 0.0

    cdef void direction_block(self, const double* G, double* ST, Py_ssize_t slot_stride, double* D,
                              Py_ssize_t n, int dim) noexcept nogil:
        # element-wise, the same operations as `direction`, on the slot-major block state
        cdef Py_ssize_t q, nq = n * dim
        cdef double* m = ST
        cdef double* v = ST + slot_stride
        cdef double* vh = ST + 2 * slot_stride
        cdef double b1 = self.beta1, b2 = self.beta2, eps = self.eps, den
        if self.amsgrad:
            for q in range(nq):
                m[q] = b1 * m[q] + (1.0 - b1) * G[q]
                v[q] = b2 * v[q] + (1.0 - b2) * G[q] * G[q]
                if v[q] > vh[q]:
                    vh[q] = v[q]
                den = sqrt(vh[q]) + eps
                D[q] = m[q] / den if den > 0 else 0.0
        else:
            for q in range(nq):
                m[q] = b1 * m[q] + (1.0 - b1) * G[q]
                v[q] = b2 * v[q] + (1.0 - b2) * G[q] * G[q]
                vh[q] = v[q]
                den = sqrt(vh[q]) + eps
                D[q] = m[q] / den if den > 0 else 0.0


OPTIMIZERS = {"sgd": SGD, "gd": SGD, "adam": Adam, "amsgrad": Adam}


def make_optimizer(name, **params):
    """"sgd", "gd" (SGD on the exact expected gradient), "adam", "amsgrad" (beta1, beta2, eps)."""
    if isinstance(name, Optimizer):
        return name
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer: unknown name {name!r}; known: {sorted(OPTIMIZERS)}")
    if name == "amsgrad":
        params = dict(params, amsgrad=True)
    try:
        return OPTIMIZERS[name](**params)
    except TypeError as exc:
        raise ValueError(f"optimizer {name!r}: bad parameters {sorted(params)}: {exc}") from None
