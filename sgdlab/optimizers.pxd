cdef class Optimizer:
    """Turns a stochastic gradient g into an update direction d (the step is w -= lr * d).

    `n_slots` state vectors of length dim are kept per run (zero-initialised) in `state`.
    """
    cdef readonly int n_slots
    cdef readonly dict params
    cdef void direction(self, const double* g, double* state, double* d, int dim) noexcept nogil
