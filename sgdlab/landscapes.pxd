cdef enum:
    MAXDIM = 4     # largest parameter dimension the core simulates


cdef class Landscape:
    """A (possibly sampled) loss: value and gradient at w given a data point x.

    For deterministic landscapes (`sampled` is False) x is ignored. Subclasses override `value`
    and `grad`; both are `noexcept nogil` so the driver loop calls them without the GIL.
    """
    cdef readonly int dim
    cdef readonly bint sampled        # the gradient depends on a data point x drawn each step
    cdef readonly bint affine_in_x    # grad(w, x) is affine in x (then E grad = grad(w, E x))
    cdef readonly dict params
    cdef double value(self, const double* w, double x) noexcept nogil
    cdef void grad(self, const double* w, double x, double* g) noexcept nogil
    cdef void grad_block(self, const double* W, const double* X, double* G, Py_ssize_t n) noexcept nogil
