"""C compiler flags of the compiled core, in one place: setup.py builds the core with them and
`make bench` compiles its plain-C peer with them (benchmarks/run.py), so the two are compared on
equal terms. Loaded by path from setup.py (the package cannot be imported before it is built).

-ffp-contract=off keeps floating-point results identical to the NumPy reference for deterministic
dynamics (no fused multiply-adds); -fno-tree-loop-distribute-patterns keeps gcc from turning the
small block loops into memset/memcpy calls. -g0 drops the debug information Python's CFLAGS ask for
(-g): it does not change the code gcc generates, and without it the core compiles ~20 % faster.
"""


def core_cflags(debug=False):
    """Flags added to Python's own CFLAGS for every core module (OpenMP's flag comes on top)."""
    return ["-ffp-contract=off", "-fno-tree-loop-distribute-patterns"] + (["-O0", "-g"] if debug else ["-O3", "-g0"])
