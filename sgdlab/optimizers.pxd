cdef enum:
    MAXSLOTS = 3   # most state vectors per run an optimizer may keep


cdef class Optimizer:
    """Turns a stochastic gradient g into an update direction d (the step is w -= lr * d).

    `n_slots` state vectors of length dim are kept per run (zero-initialised) in `state`.
    """
    cdef readonly int n_slots
    cdef readonly dict params
    cdef void direction(self, const double* g, double* state, double* d, int dim) noexcept nogil
    cdef void direction_block(self, const double* G, double* ST, Py_ssize_t slot_stride, double* D,
                              Py_ssize_t n, int dim) noexcept nogil
