# cython: language_level=3
"""Python access to the core's random streams (used by the simulator and by the sampler tests)."""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint64_t
from sgdlab._random cimport (Rng, rng_seed, next_double, std_normal, std_laplace, sym_pareto,
                             sym_stable, std_exponential)

cnp.import_array()

RNG_WORDS = sizeof(Rng) // 8


def seed_states(uint64_t seed, uint64_t first_stream, Py_ssize_t n):
    """Return an (n, RNG_WORDS) uint64 array holding the states of streams first_stream..+n-1."""
    cdef cnp.ndarray[cnp.uint64_t, ndim=2] out = np.empty((n, RNG_WORDS), dtype=np.uint64)
    cdef Py_ssize_t i
    for i in range(n):
        rng_seed(<Rng*>&out[i, 0], seed, first_stream + <uint64_t>i)
    return out


def sample_raw(str law, Py_ssize_t n, uint64_t seed=0, uint64_t stream=0, double alpha=1.5):
    """Draw n standardised variates of `law` from stream (seed, stream), as the core draws them.

    law: "uniform" ([0, 1)), "normal", "exponential", "laplace" (density e^-|z|/2),
    "pareto" (+-U^(-1/alpha)), "stable" (symmetric alpha-stable, scale 1).
    """
    cdef Rng r
    cdef cnp.ndarray[cnp.float64_t, ndim=1] out = np.empty(n, dtype=np.float64)
    cdef Py_ssize_t i
    cdef int kind
    kinds = {"uniform": 0, "normal": 1, "exponential": 2, "laplace": 3, "pareto": 4, "stable": 5}
    if law not in kinds:
        raise ValueError(f"law: unknown sampler {law!r}; expected one of {sorted(kinds)}")
    kind = kinds[law]
    rng_seed(&r, seed, stream)
    with nogil:
        for i in range(n):
            if kind == 0:
                out[i] = next_double(&r)
            elif kind == 1:
                out[i] = std_normal(&r)
            elif kind == 2:
                out[i] = std_exponential(&r)
            elif kind == 3:
                out[i] = std_laplace(&r)
            elif kind == 4:
                out[i] = sym_pareto(&r, alpha)
            else:
                out[i] = sym_stable(&r, alpha)
    return out
