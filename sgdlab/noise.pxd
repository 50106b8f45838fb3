from sgdlab._random cimport Rng, RngBlock
from sgdlab.landscapes cimport Landscape


cdef class NoiseLaw:
    """Law of the additive gradient noise Z (scaled by `scale`)."""
    cdef readonly double scale
    cdef readonly dict params
    cdef double sample(self, Rng* r) noexcept nogil
    cdef void sample_block(self, RngBlock* R, double* Z, Py_ssize_t n, int dim) noexcept nogil


cdef class DataLaw:
    """Law of the data point x of a sampled loss."""
    cdef readonly double mean
    cdef readonly dict params
    cdef readonly int n_atoms                 # > 0 for a discrete law, 0 for a continuous one
    cdef double[::1] atoms, probs, cum
    cdef long long kthr                       # two atoms: u >= cum[0] <=> (u 2^53) >= kthr
    cdef double sample(self, Rng* r) noexcept nogil
    cdef void sample_block(self, RngBlock* R, double* X, Py_ssize_t n) noexcept nogil


cdef class NoiseScale:
    """s(w) in grad f(w) + s(w) Z."""
    cdef readonly bint needs_value            # scale() uses f(w)
    cdef readonly dict params
    cdef double scale(self, double f, const double* w) noexcept nogil
