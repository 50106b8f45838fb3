# cython: language_level=3
"""The driver loop of the core: N independent runs advanced T steps in C, in parallel over runs.

`Core` holds the model (landscape, data law, noise law and scale, optimizer, step rule), the per-run
state (iterate, optimizer state, random stream, flags) as numpy arrays, and the records asked for,
one small object per kind (`Snapshots`, `Trajectories`, `ExitRegion`, `Targets`, `Occupancy`,
`Histogram`, `LogGrowth`). `advance(t1)` moves every live run from the current step to step t1; the
Python side (`sgdlab.simulate`) calls it in chunks of steps and the result does not depend on the
chunking: run r only ever draws from its own stream r. No float is reduced across runs here.

How it is fast:
* Runs are cut into blocks of BLOCK; threads take contiguous runs of blocks from a shared counter
  (about 16 per thread and chunk), so a thread slowed down by another process does not hold the
  others up.
  A block copies its whole state (iterates, streams, optimizer state, escape-rate sums) into a
  private `Blk` on the thread's stack, advances it through the whole chunk of steps and writes it
  back once (and once per run that stops). Shared arrays are not touched step by step, so
  neighbouring blocks on two threads never fight over cache lines.
* Each stage of a step (data draws, gradients, noise, optimizer, update) is one call over the live
  runs of the block. The update and the step loop are compiled three times (dim 1, dim 2, any dim)
  through a fused type, so the common dimensions have no runtime-length loops; clipping,
  projection, escape-rate sums, events and each record cost nothing when not asked for.
* Runs that stop leave the block (swap with the last live run): no alive-index list, no gather.
* Where the CPU has AVX2, the models of sgdlab/_fast.h (`Core._fast_plan`) replace the passes of a
  step by one fused step on 4 runs per vector, for as many steps in one call as no event or record
  needs the block in between; it does per run the passes' operations in their order.
  Occupancy and histograms are counted from its trace of up to TRACE_STEPS steps (after burn_in;
  before it they count nothing); events take it one step at a time.
Per run the floating-point operations and their order are exactly those of the straightforward
loop (and of `sgdlab.reference` for deterministic dynamics); only their interleaving across runs
changed. The build keeps -ffp-contract=off.
"""
import numpy as np
cimport cython
from cython.parallel cimport prange, threadid
from libc.stdint cimport int64_t, uint64_t, uint8_t
from libc.math cimport sqrt, fabs, fmax, log, isfinite, NAN, INFINITY
from libc.string cimport memset

from sgdlab._random cimport (Rng, RngBlock, LANES, lane_get, lane_put, std_normal, NormalSlow,
                             std_normal_slow_v, zig_tables)
from sgdlab.landscapes cimport Landscape, MAXDIM
from sgdlab.landscapes import (Quadratic, Quartic, Sharp2D, Himmelblau, FourWell, DoubleWell,
                               KinkedTwoWell, Sine, FlatMax, Harmonic, TwoLayer, ThreeHumpCamel)
from sgdlab.noise cimport NoiseLaw, DataLaw, NoiseScale
from sgdlab.noise import Constant, Discrete, Gaussian, Laplace, Pareto, Stable, SIMD
from sgdlab.optimizers cimport Optimizer, MAXSLOTS
from sgdlab.optimizers import SGD, Adam


cdef extern from "_fast.h":
    # the fused SIMD step (sgdlab/_fast.h): the models it knows, their constants, the kernel
    ctypedef double (*sgd_normal_slow_fn)(uint64_t*, uint64_t*, uint64_t*, uint64_t*, uint64_t,
                                          int64_t, double) noexcept nogil
    ctypedef struct SgdFastPlan:
        int land, opt, dim
        double lc, la, lb
        int two_point
        int batch
        int64_t kthr
        double atom0, atom1
        int noise
        double gscale, nscale, pe, alpha
        int isotropic
        const uint64_t* ki
        const double* wi
        sgd_normal_slow_fn slow
        double b1, b2, eps
        double lr, clip, max_abs
        int box
        double pa[2]
        double pb[2]
        int fast_math
    enum:
        SGD_FAST_QUADRATIC, SGD_FAST_QUARTIC, SGD_FAST_SHARP2D, SGD_FAST_HIMMELBLAU, SGD_FAST_FOUR_WELL
        SGD_FAST_DOUBLE_WELL, SGD_FAST_KINKED, SGD_FAST_SINE, SGD_FAST_FLAT_MAX, SGD_FAST_HARMONIC
        SGD_FAST_TWO_LAYER, SGD_FAST_CAMEL
        SGD_FAST_NONE, SGD_FAST_GAUSS, SGD_FAST_PARETO, SGD_FAST_LAPLACE, SGD_FAST_STABLE
        SGD_FAST_SGD, SGD_FAST_ADAM, SGD_FAST_AMSGRAD
    ctypedef struct SgdBlkStorage:
        pass
    void sgd_fast_math_eval(int fn, const double* x, double y, double* out, Py_ssize_t n) noexcept nogil
    int64_t sgd_fast_steps(const SgdFastPlan* P, uint64_t* s0, uint64_t* s1, uint64_t* s2,
                           uint64_t* s3, double* W, double* ST, Py_ssize_t slot_stride,
                           double* lg_sum, int64_t* lg_n, Py_ssize_t n, int64_t nsteps,
                           int* badmask, double* trace) noexcept nogil


# a Blk lives in 64-byte aligned storage on the thread's stack (see Blk)
assert sizeof(Blk) <= sizeof(SgdBlkStorage), "sgdlab/_fast.h: SgdBlkStorage is smaller than a Blk"


cdef double _normal_slow_lane(uint64_t* s0, uint64_t* s1, uint64_t* s2, uint64_t* s3, uint64_t rabs,
                              int64_t idx, double x) noexcept nogil:
    """The ziggurat's slow path for the fused step: one run's stream given by its four words."""
    cdef Rng r
    r.s0 = s0[0]; r.s1 = s1[0]; r.s2 = s2[0]; r.s3 = s3[0]
    cdef NormalSlow o = std_normal_slow_v(r, rabs, <int>idx, x)
    s0[0] = o.r.s0; s1[0] = o.r.s1; s2[0] = o.r.s2; s3[0] = o.r.s3
    return o.x


cdef enum:
    BLOCK = LANES            # runs advanced in lockstep by one thread (any value gives the same results)
    LANE = BLOCK * MAXDIM    # doubles in one block-wide vector (slot stride of the optimizer state)
    LINE = 8                 # 8-byte words per 64-byte cache line (padding of per-thread counters)
    TRACE_STEPS = 32         # steps of the fused step between two visits of the per-step records


cdef struct Blk:
    # the private state of one block of runs while it is being advanced. The arrays the SIMD code
    # loads come first, each a multiple of 64 bytes long: in a 64-byte aligned Blk (`_run_block`)
    # their vectors never straddle two cache lines
    double W[LANE]                  # iterates, slot j at W[j*dim]
    double ST[MAXSLOTS * LANE]      # optimizer state, slot-major: slot k of element q at ST[k*LANE+q]
    RngBlock R                      # streams, word-major (lane j = slot j)
    Py_ssize_t n                    # live runs; slots 0..n-1
    Py_ssize_t run[BLOCK]           # run id of each slot
    double lg_sum[BLOCK]
    int64_t lg_n[BLOCK]
    uint8_t stop[BLOCK]             # this step: 0 goes on, 1 stops (event), 2 diverged
    bint any_stop
    int64_t snap_p                  # next snapshot index
    int64_t hist_out


# Compile-time dimension tags: `_steps` and `_update` are specialised for each.
cdef struct Dim1:
    char _c
cdef struct Dim2:
    char _c
cdef struct DimN:
    char _c
ctypedef fused DimT:
    Dim1
    Dim2
    DimN


# ====================================================================== records

# Radii for which |w - c|^2 <= r^2 is compared as squares (today's exact arithmetic): r^2 is a
# normal double far from overflow. Outside this range, or when the squared distance overflows,
# the distance itself is compared, computed with scaling (no overflow or underflow).
cdef double SQ_LO = 1e-140, SQ_HI = 1e140

cdef inline bint _rad_squarable(double r) noexcept nogil:
    return r >= SQ_LO and r <= SQ_HI


cdef inline double _scaled_dist(const double* w, const double* c, int dim) noexcept nogil:
    """|w - c| without overflow or underflow of squares (inf if a coordinate difference is)."""
    cdef int i
    cdef double z, m = 0.0, s = 0.0
    for i in range(dim):
        m = fmax(m, fabs(w[i] - c[i]))
    if m == 0 or not isfinite(m):
        return m
    for i in range(dim):
        z = (w[i] - c[i]) / m
        s += z * z
    return m * sqrt(s)


cdef inline bint _in_ball(const double* w, const double* c, Py_ssize_t cstride, double r, double r2,
                          bint squarable, int dim) noexcept nogil:
    """|w - c| <= r (False if w has a NaN). c[i * cstride] is coordinate i of the center; r2 = r * r
    and squarable = _rad_squarable(r)."""
    cdef int i
    cdef double d2 = 0.0, z, m = 0.0, s = 0.0
    if squarable:
        for i in range(dim):
            z = w[i] - c[i * cstride]
            d2 += z * z
        # as squares (r^2 <= 1e280: an overflow to inf is truly outside; NaN compares False)
        return d2 <= r2
    for i in range(dim):
        z = fabs(w[i] - c[i * cstride])
        if not (z == z):
            return False
        m = fmax(m, z)
    if m == 0:
        return True
    if not isfinite(m):
        return False
    for i in range(dim):
        z = (w[i] - c[i * cstride]) / m
        s += z * z
    return m * sqrt(s) <= r

cdef class Record:
    """One kind of record. The kernel calls the `nogil` methods of the ones that are on; `fields`
    turns the buffers into `Result` fields (`sq` drops the trailing axis when dim == 1)."""
    def fields(self, sq):
        return {}


@cython.final
cdef class Snapshots(Record):
    """Every run's state at the given steps (NaN after a stop)."""
    cdef readonly object steps_array, buffer
    cdef int64_t[::1] steps
    cdef double[:, :, ::1] buf
    cdef Py_ssize_t ns

    def __init__(self, steps, w0):
        n_runs, dim = w0.shape
        self.steps_array = steps
        self.ns = steps.size
        self.steps = np.ascontiguousarray(steps, dtype=np.int64) if self.ns else np.zeros(0, np.int64)
        self.buffer = np.full((n_runs, max(1, self.ns), dim), np.nan)
        if self.ns and steps[0] == 0:
            self.buffer[:, 0, :] = w0
        self.buf = self.buffer

    cdef int64_t first_after(self, int64_t t0) noexcept nogil:
        """Index of the first snapshot step > t0."""
        cdef Py_ssize_t lo = 0, hi = self.ns, mid
        while lo < hi:
            mid = (lo + hi) // 2
            if self.steps[mid] <= t0:
                lo = mid + 1
            else:
                hi = mid
        return lo

    cdef inline void take(self, Blk* b, int64_t t, int dim) noexcept nogil:
        cdef Py_ssize_t j, p = b.snap_p
        cdef int i
        if p < self.ns and self.steps[p] == t:
            for j in range(b.n):
                if b.stop[j] != 2:
                    for i in range(dim):
                        self.buf[b.run[j], p, i] = b.W[j * dim + i]
            b.snap_p = p + 1

    def fields(self, sq):
        return dict(snapshot_steps=self.steps_array,
                    snapshots=sq(self.buffer[:, :self.ns]) if self.ns else None)


@cython.final
cdef class Trajectories(Record):
    """Full paths of the first n runs, every `thin` steps (NaN after a stop)."""
    cdef readonly object buffer
    cdef Py_ssize_t n_traj, n_frames
    cdef int64_t thin
    cdef double[:, :, ::1] buf

    def __init__(self, n_traj, thin, steps, w0):
        dim = w0.shape[1]
        self.n_traj = n_traj
        self.thin = thin
        self.n_frames = steps // thin + 1
        self.buffer = np.full((max(1, n_traj), self.n_frames if n_traj else 1, dim), np.nan)
        if n_traj:
            self.buffer[:, 0, :] = w0[:n_traj]
        self.buf = self.buffer

    cdef inline void take(self, Blk* b, int64_t t, int dim) noexcept nogil:
        cdef Py_ssize_t j, f
        cdef int i
        if t % self.thin == 0:
            f = t // self.thin
            for j in range(b.n):
                if b.stop[j] != 2 and b.run[j] < self.n_traj:
                    for i in range(dim):
                        self.buf[b.run[j], f, i] = b.W[j * dim + i]

    def fields(self, sq):
        # the frame steps are regular: Result.trajectory_steps computes them on access
        return dict(trajectory_frames=(int(self.n_frames if self.n_traj else 0), int(self.thin)),
                    trajectories=sq(self.buffer) if self.n_traj else None)


@cython.final
cdef class ExitRegion(Record):
    """First step outside a box (kind 1, [a, b]) or ball (kind 2, center a, radius rad), and the
    state there; the run stops there if `stop`."""
    cdef readonly int kind
    cdef readonly object a_array, b_array, step_array, state_array
    cdef readonly double rad
    cdef readonly bint stop
    cdef double rad2
    cdef bint squarable
    cdef double a[MAXDIM]
    cdef double bb[MAXDIM]
    cdef int64_t[::1] step
    cdef double[:, ::1] state

    def __init__(self, kind, a, b, rad, stop, n_runs, dim):
        cdef int i
        self.kind = kind; self.rad = rad; self.stop = stop
        self.rad2 = rad * rad
        self.squarable = _rad_squarable(rad)
        self.a_array = a; self.b_array = b
        for i in range(dim):
            self.a[i] = a[i]; self.bb[i] = b[i]
        self.step_array = np.full(n_runs, -1, dtype=np.int64)
        self.state_array = np.full((n_runs, dim), np.nan)
        self.step = self.step_array
        self.state = self.state_array

    cdef inline void check(self, Blk* b, int64_t t, int dim) noexcept nogil:
        # runs that diverge at this step are checked too (with their last iterate, before it is
        # set to NaN): leaving the region and passing max_abs in one step is an exit (and a
        # divergence); a NaN iterate is outside every region
        cdef Py_ssize_t j, r
        cdef int i
        cdef bint outside
        cdef double* w
        for j in range(b.n):
            r = b.run[j]
            if self.step[r] >= 0:
                continue
            w = &b.W[j * dim]
            outside = False
            if self.kind == 1:
                for i in range(dim):
                    if not (w[i] >= self.a[i] and w[i] <= self.bb[i]):
                        outside = True
            else:
                outside = not _in_ball(w, self.a, 1, self.rad, self.rad2, self.squarable, dim)
            if outside:
                self.step[r] = t
                for i in range(dim):
                    self.state[r, i] = w[i]
                if self.stop and b.stop[j] == 0:
                    b.stop[j] = 1
                    b.any_stop = True

    def fields(self, sq):
        return dict(exit_step=self.step_array, exit_state=sq(self.state_array))


@cython.final
cdef class Targets(Record):
    """First step inside one of the balls (center, squared radius), and which; the run stops there
    if `stop`."""
    cdef readonly object center_array, rad_array, step_array, index_array
    cdef readonly bint stop
    cdef Py_ssize_t nt
    cdef double[:, ::1] center
    cdef double[::1] rad, rad2
    cdef uint8_t[::1] squarable
    cdef int64_t[::1] step, index

    def __init__(self, center, rad, stop, n_runs):
        self.center_array = center; self.rad_array = rad; self.stop = stop
        self.nt = len(rad)
        self.center = center
        self.rad = np.ascontiguousarray(rad, dtype=np.float64)
        self.rad2 = np.asarray(rad, dtype=np.float64) ** 2
        self.squarable = ((np.asarray(rad) >= SQ_LO) & (np.asarray(rad) <= SQ_HI)).astype(np.uint8)
        self.step_array = np.full(n_runs, -1, dtype=np.int64)
        self.index_array = np.full(n_runs, -1, dtype=np.int64)
        self.step = self.step_array
        self.index = self.index_array

    cdef inline void check(self, Blk* b, int64_t t, int dim) noexcept nogil:
        cdef Py_ssize_t j, r, k
        cdef double* w
        for j in range(b.n):
            r = b.run[j]
            if b.stop[j] == 2 or self.step[r] >= 0:
                continue
            w = &b.W[j * dim]
            for k in range(self.nt):
                if _in_ball(w, &self.center[k, 0], 1, self.rad[k], self.rad2[k], self.squarable[k], dim):
                    self.step[r] = t
                    self.index[r] = k
                    if self.stop:
                        b.stop[j] = 1
                        b.any_stop = True
                    break

    def fields(self, sq):
        return dict(hit_step=self.step_array, hit_index=self.index_array)


@cython.final
cdef class Occupancy(Record):
    """Per-run counts of steps t > burn_in with w[0] below edges[0], in each bin, at/above edges[-1]."""
    cdef readonly object edges_array, counts_array
    cdef double[::1] edges
    cdef int64_t[:, ::1] counts
    cdef Py_ssize_t n_occ
    cdef int64_t burn_in

    def __init__(self, edges, burn_in, n_runs):
        self.edges_array = edges
        self.edges = edges
        self.n_occ = edges.shape[0] - 1
        self.burn_in = burn_in
        self.counts_array = np.zeros((n_runs, edges.size + 1), dtype=np.int64)
        self.counts = self.counts_array

    cdef inline void count(self, Blk* b, const double* W, Py_ssize_t rs, int64_t t) noexcept nogil:
        """Step t, the block's runs' iterates at W (run j's first coordinate at W[j * rs])."""
        cdef Py_ssize_t j, lo, hi, mid
        cdef double z
        if t <= self.burn_in:
            return
        for j in range(b.n):
            if b.stop[j] == 2:
                continue
            # bin k in 0..n_occ+1 = the number of edges <= z: 0 below edges[0], n_occ + 1
            # at/above edges[-1] (n_occ + 2 edges in all); bisection over lo < k < hi
            z = W[j * rs]
            lo = 0
            hi = self.n_occ + 2
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if self.edges[mid - 1] <= z:
                    lo = mid
                else:
                    hi = mid
            if z < self.edges[0]:
                lo = 0
            self.counts[b.run[j], lo] += 1

    def fields(self, sq):
        return dict(occupancy_edges=self.edges_array, occupancy=self.counts_array)


@cython.final
cdef class Histogram(Record):
    """Counts pooled over runs of steps t > burn_in, 1-D over w[0] or 2-D over (w[0], w[1]); one
    row per thread (padded to whole cache lines), summed in a fixed order at the end."""
    cdef readonly object edges, counts_array, out_array
    cdef int hdim
    cdef double lo[2]
    cdef double hi[2]
    cdef int64_t nb[2]
    cdef int64_t burn_in
    cdef int64_t[:, ::1] counts
    cdef int64_t[::1] out

    def __init__(self, hdim, lo, hi, nb, edges, burn_in, n_threads):
        cdef int i
        self.hdim = hdim
        for i in range(2):
            self.lo[i] = lo[i]; self.hi[i] = hi[i]; self.nb[i] = nb[i]
        self.edges = edges
        self.burn_in = burn_in
        n_bins = nb[0] * (nb[1] if hdim == 2 else 1)
        row = (n_bins + LINE - 1) // LINE * LINE
        self.counts_array = np.zeros((n_threads, row), dtype=np.int64)
        self.out_array = np.zeros(n_threads * LINE, dtype=np.int64)
        self.counts = self.counts_array
        self.out = self.out_array

    cdef inline void count(self, Blk* b, const double* W, Py_ssize_t rs, Py_ssize_t cs, int64_t t,
                           int tid) noexcept nogil:
        """Step t, the block's runs' iterates at W (run j's coordinate i at W[j * rs + i * cs])."""
        cdef Py_ssize_t j, ix, iy
        cdef double z
        if t <= self.burn_in:
            return
        for j in range(b.n):
            if b.stop[j] == 2:
                continue
            z = (W[j * rs] - self.lo[0]) / (self.hi[0] - self.lo[0]) * self.nb[0]
            if z >= 0 and z < self.nb[0]:
                ix = <Py_ssize_t>z
                if self.hdim == 1:
                    self.counts[tid, ix] += 1
                else:
                    z = (W[j * rs + cs] - self.lo[1]) / (self.hi[1] - self.lo[1]) * self.nb[1]
                    if z >= 0 and z < self.nb[1]:
                        iy = <Py_ssize_t>z
                        self.counts[tid, ix * self.nb[1] + iy] += 1
                    else:
                        b.hist_out += 1
            else:
                b.hist_out += 1

    cdef inline void flush(self, Blk* b, int tid) noexcept nogil:
        self.out[tid * LINE] += b.hist_out
        b.hist_out = 0

    def fields(self, sq):
        n_bins = self.nb[0] * (self.nb[1] if self.hdim == 2 else 1)
        counts = self.counts_array[:, :n_bins].sum(axis=0)
        if self.hdim == 2:
            counts = counts.reshape(self.nb[0], self.nb[1])
        return dict(hist_edges=self.edges, hist=counts, hist_outside=int(self.out_array.sum()))


@cython.final
cdef class LogGrowth(Record):
    """Per-run sum over steps of ln(|w_t| / |w_{t-1}|) and the number of terms (escape rate)."""
    cdef readonly object sum_array, n_array
    cdef double[::1] s
    cdef int64_t[::1] n

    def __init__(self, n_runs):
        self.sum_array = np.zeros(n_runs)
        self.n_array = np.zeros(n_runs, dtype=np.int64)
        self.s = self.sum_array
        self.n = self.n_array

    def fields(self, sq):
        return dict(log_growth_sum=self.sum_array, log_growth_n=self.n_array)


# ====================================================================== the core

@cython.final
cdef class Core:
    """The compiled simulator: model, per-run state and records; `advance` runs the steps."""
    # model
    cdef Landscape L
    cdef DataLaw data
    cdef NoiseLaw noise
    cdef NoiseScale nscale
    cdef Optimizer opt
    cdef int dim, batch, n_slots
    cdef bint exact, isotropic, has_noise, needs_value, const_scale, identity_dir
    cdef double lr, clip, max_abs, xmean, scale0
    cdef int proj_kind                    # 0 none, 1 box [a, b], 2 ball (center a, radius rad)
    cdef double proj_a[MAXDIM]
    cdef double proj_b[MAXDIM]
    cdef double proj_rad
    # state
    cdef double[:, ::1] w
    cdef double[:, ::1] ost
    cdef uint64_t[:, ::1] rng
    cdef uint8_t[::1] alive, diverged
    cdef int64_t[::1] stop_step
    cdef readonly int64_t t
    # records (None when off)
    cdef Snapshots snaps
    cdef Trajectories traj
    cdef ExitRegion exit_region
    cdef Targets targets
    cdef Occupancy occ
    cdef Histogram hist
    cdef LogGrowth lg
    # the fused SIMD step (sgdlab/_fast.h), when the model is one it knows
    cdef bint fast
    cdef SgdFastPlan plan
    cdef bint fast_math                   # simulate(fast_math=True): vector exp/log/pow in the plan

    def __init__(self, *, landscape, data, noise, noise_scale, optimizer, lr, batch, exact,
                 isotropic, clip, max_abs, project, w, ost, rng, alive, diverged, stop_step,
                 records, fast_math=False):
        """project: (kind, a, b, rad); records: `Record` objects (at most one of each kind);
        fast_math: the fused step's exp, log and pow by vector code (sgdlab/_fast.h), not libm."""
        cdef int i
        self.L = landscape
        self.data = data
        self.noise = noise
        self.nscale = noise_scale
        self.opt = optimizer
        self.dim = landscape.dim
        if self.dim > MAXDIM:
            raise ValueError(f"landscape: dimension {self.dim} exceeds the core's MAXDIM={MAXDIM}")
        self.n_slots = optimizer.n_slots
        if self.n_slots > MAXSLOTS:
            raise ValueError(f"optimizer: {self.n_slots} state slots exceed the core's MAXSLOTS={MAXSLOTS}")
        self.identity_dir = type(optimizer) is SGD
        self.lr = lr; self.batch = batch; self.exact = exact; self.isotropic = isotropic
        self.clip = clip; self.max_abs = max_abs
        self.has_noise = (noise is not None) and (not exact)
        self.needs_value = self.has_noise and noise_scale.needs_value
        self.xmean = data.mean if data is not None else 0.0
        self.const_scale = isinstance(noise_scale, Constant)
        self.scale0 = noise_scale.sigma if self.const_scale else 0.0
        self.proj_kind = project[0]
        for i in range(self.dim):
            self.proj_a[i] = project[1][i]; self.proj_b[i] = project[2][i]
        self.proj_rad = project[3]
        self.w = w; self.ost = ost; self.rng = rng; self.alive = alive; self.diverged = diverged
        self.stop_step = stop_step; self.t = 0
        for rec in records:
            if isinstance(rec, Snapshots):
                if (<Snapshots>rec).ns:
                    self.snaps = rec
            elif isinstance(rec, Trajectories):
                if (<Trajectories>rec).n_traj:
                    self.traj = rec
            elif isinstance(rec, ExitRegion):
                self.exit_region = rec
            elif isinstance(rec, Targets):
                if (<Targets>rec).nt:
                    self.targets = rec
            elif isinstance(rec, Occupancy):
                self.occ = rec
            elif isinstance(rec, Histogram):
                self.hist = rec
            elif isinstance(rec, LogGrowth):
                self.lg = rec
            else:
                raise TypeError(f"records: unknown record {rec!r}")
        self.fast_math = fast_math
        self.fast = self._fast_plan()

    cdef bint _fast_plan(self) except -1:
        """Fill self.plan if the fused SIMD step computes this model; False leaves the scalar passes.
        Both give the same bits: the plan is a speed-up, not a switch (SGDLAB_NO_SIMD=1 turns it off);
        except with fast_math, whose exp/log/pow are not libm's (only the plan uses them)."""
        cdef SgdFastPlan* P = &self.plan
        cdef int i
        cdef const double* atoms
        lands = {Quadratic: SGD_FAST_QUADRATIC, Quartic: SGD_FAST_QUARTIC, Sharp2D: SGD_FAST_SHARP2D,
                 Himmelblau: SGD_FAST_HIMMELBLAU, FourWell: SGD_FAST_FOUR_WELL,
                 DoubleWell: SGD_FAST_DOUBLE_WELL, KinkedTwoWell: SGD_FAST_KINKED, Sine: SGD_FAST_SINE,
                 FlatMax: SGD_FAST_FLAT_MAX, Harmonic: SGD_FAST_HARMONIC, TwoLayer: SGD_FAST_TWO_LAYER,
                 ThreeHumpCamel: SGD_FAST_CAMEL}
        noises = {Gaussian: SGD_FAST_GAUSS, Pareto: SGD_FAST_PARETO, Laplace: SGD_FAST_LAPLACE,
                  Stable: SGD_FAST_STABLE}
        if not SIMD or type(self.L) not in lands or (self.lg is not None and self.dim != 1):
            return False
        if self.proj_kind not in (0, 1) or type(self.opt) not in (SGD, Adam):
            return False
        memset(P, 0, sizeof(SgdFastPlan))
        P.land = lands[type(self.L)]
        P.dim = self.dim
        if P.land == SGD_FAST_QUARTIC:
            P.lc = (<object>self.L).c
        elif P.land == SGD_FAST_SHARP2D:
            P.la = (<object>self.L).a
            P.lb = (<object>self.L).b
        elif P.land == SGD_FAST_DOUBLE_WELL:
            P.lc = (<object>self.L).R
        elif P.land == SGD_FAST_KINKED:
            P.la = (<object>self.L).a
            P.lb = (<object>self.L).b
            P.lc = (<object>self.L).kink_grad
        elif P.land == SGD_FAST_HARMONIC:
            P.lc = (<object>self.L).k
        if self.L.sampled:
            # draws of a two-point law (no exact gradient)
            if self.exact or type(self.data) is not Discrete or self.data.n_atoms != 2:
                return False
            P.two_point = 1
            P.batch = self.batch
            P.kthr = self.data.kthr
            atoms = &self.data.atoms[0]
            P.atom0 = atoms[0]
            P.atom1 = atoms[1]
        if self.has_noise:
            # a constant scale
            if type(self.noise) not in noises or not self.const_scale:
                return False
            P.noise = noises[type(self.noise)]
            P.isotropic = self.isotropic and self.dim > 1
            if P.noise == SGD_FAST_STABLE:
                P.alpha = (<object>self.noise).alpha
            P.gscale = self.noise.scale
            P.nscale = self.scale0
            if P.noise == SGD_FAST_PARETO:
                P.pe = -1.0 / (<object>self.noise).alpha     # as Pareto.sample_block computes it
            P.ki = <uint64_t*>zig_tables().ki
            P.wi = <double*>zig_tables().wi
            P.slow = _normal_slow_lane
        if type(self.opt) is Adam:
            P.opt = SGD_FAST_AMSGRAD if (<object>self.opt).amsgrad else SGD_FAST_ADAM
            P.b1 = (<object>self.opt).beta1
            P.b2 = (<object>self.opt).beta2
            P.eps = (<object>self.opt).eps
        else:
            P.opt = SGD_FAST_SGD
        P.fast_math = self.fast_math
        P.lr = self.lr
        P.clip = self.clip
        P.max_abs = self.max_abs
        P.box = self.proj_kind == 1
        for i in range(self.dim):
            P.pa[i] = self.proj_a[i]
            P.pb[i] = self.proj_b[i]
        return True

    @property
    def fast_math_used(self):
        """True if the fused step runs with the vector exp/log/pow (fast_math asked and applicable)."""
        return bool(self.fast and self.fast_math)

    def advance(self, int64_t t1, int n_threads):
        """Advance every live run from step self.t to step t1."""
        cdef Py_ssize_t b, n = self.w.shape[0]
        cdef Py_ssize_t n_blocks = (n + BLOCK - 1) // BLOCK
        cdef int64_t t0 = self.t
        # blocks per grab: ~16 grabs per thread balance the threads when one shares its core with
        # another process (a static split waits for the slowest thread), at a negligible cost
        # (a block writes its state back once per chunk, so neighbouring blocks on two threads
        # touch one shared cache line at most once per chunk)
        cdef Py_ssize_t grain = max(1, n_blocks // (16 * n_threads))
        if t1 <= t0:
            return
        with nogil:
            for b in prange(n_blocks, num_threads=n_threads, schedule="dynamic", chunksize=grain):
                _run_block(self, b * BLOCK, min(n, (b + 1) * BLOCK), t0, t1, threadid())
        self.t = t1


# ---------------------------------------------------------------------- block load / store

cdef inline void _store(Core S, Blk* b, Py_ssize_t j, int dim) noexcept nogil:
    """Write slot j's state back to the shared arrays."""
    cdef Py_ssize_t r = b.run[j]
    cdef int i, k
    cdef Rng* rngs = <Rng*>&S.rng[0, 0]
    for i in range(dim):
        S.w[r, i] = b.W[j * dim + i]
    rngs[r] = lane_get(&b.R, j)
    for k in range(S.n_slots):
        for i in range(dim):
            S.ost[r, k * dim + i] = b.ST[k * LANE + j * dim + i]
    if S.lg is not None:
        S.lg.s[r] = b.lg_sum[j]
        S.lg.n[r] = b.lg_n[j]


cdef inline void _move(Core S, Blk* b, Py_ssize_t src, Py_ssize_t dst, int dim) noexcept nogil:
    cdef int i, k
    b.run[dst] = b.run[src]
    for i in range(dim):
        b.W[dst * dim + i] = b.W[src * dim + i]
    b.R.s0[dst] = b.R.s0[src]; b.R.s1[dst] = b.R.s1[src]
    b.R.s2[dst] = b.R.s2[src]; b.R.s3[dst] = b.R.s3[src]
    for k in range(S.n_slots):
        for i in range(dim):
            b.ST[k * LANE + dst * dim + i] = b.ST[k * LANE + src * dim + i]
    b.lg_sum[dst] = b.lg_sum[src]
    b.lg_n[dst] = b.lg_n[src]


cdef void _retire(Core S, Blk* b, int64_t t, int dim) noexcept nogil:
    """Runs flagged in b.stop stop at step t: store them, flag them, remove them from the block."""
    cdef Py_ssize_t j, r
    for j in range(b.n - 1, -1, -1):
        if b.stop[j] == 0:
            continue
        r = b.run[j]
        _store(S, b, j, dim)
        S.alive[r] = 0
        S.stop_step[r] = t
        if b.stop[j] == 2:
            S.diverged[r] = 1
        b.n -= 1
        if j != b.n:
            _move(S, b, b.n, j, dim)
            b.stop[j] = b.stop[b.n]     # (already 0: higher slots were handled first)
    b.any_stop = False


cdef void _events(Core S, Blk* b, int64_t t, int dim) noexcept nogil:
    if S.exit_region is not None:
        S.exit_region.check(b, t, dim)
    if S.targets is not None:
        S.targets.check(b, t, dim)


cdef void _run_block(Core S, Py_ssize_t r0, Py_ssize_t r1, int64_t t0, int64_t t1, int tid) noexcept nogil:
    """Advance the live runs r0..r1-1 (at most BLOCK) from step t0 to t1 in a private Blk."""
    cdef SgdBlkStorage store
    cdef Blk* b = <Blk*>&store
    cdef Py_ssize_t r, j
    cdef int i, k, dim = S.dim
    cdef Rng* rngs = <Rng*>&S.rng[0, 0]
    b.n = 0
    b.any_stop = False
    b.hist_out = 0
    memset(&b.R, 0, sizeof(RngBlock))     # lanes past the live runs are advanced too (SIMD): defined
    for r in range(r0, r1):
        if not S.alive[r]:
            continue
        j = b.n
        b.run[j] = r
        for i in range(dim):
            b.W[j * dim + i] = S.w[r, i]
        lane_put(&b.R, j, &rngs[r])
        for k in range(S.n_slots):
            for i in range(dim):
                b.ST[k * LANE + j * dim + i] = S.ost[r, k * dim + i]
        if S.lg is not None:
            b.lg_sum[j] = S.lg.s[r]
            b.lg_n[j] = S.lg.n[r]
        else:
            b.lg_sum[j] = 0.0
            b.lg_n[j] = 0
        b.stop[j] = 0
        b.n += 1
    if b.n == 0:
        return
    if t0 == 0 and (S.exit_region is not None or S.targets is not None):
        _events(S, b, 0, dim)
        if b.any_stop:
            _retire(S, b, 0, dim)
    b.snap_p = S.snaps.first_after(t0) if S.snaps is not None else 0
    if dim == 1:
        _steps(S, b, t0, t1, tid, <Dim1*>NULL)
    elif dim == 2:
        _steps(S, b, t0, t1, tid, <Dim2*>NULL)
    else:
        _steps(S, b, t0, t1, tid, <DimN*>NULL)
    for j in range(b.n):
        _store(S, b, j, dim)
    if S.hist is not None:
        S.hist.flush(b, tid)


# ---------------------------------------------------------------------- one step, block-wide

cdef inline void _gradient(Core S, Blk* b, double* G, double* X, double* T, int dim) noexcept nogil:
    """Stochastic (or, if exact, expected) gradients of the block's n runs, plus additive noise,
    into G (n x dim). X, T are scratch. Per run, the draws come from its own stream in a fixed
    order: data points first (one per batch element), then the noise (dim coordinates, or
    direction then radius)."""
    cdef Py_ssize_t j, q, n = b.n, m = b.n * dim
    cdef int i, k
    cdef double s, nrm, amp
    cdef double dirn[MAXDIM]
    cdef Rng rng
    cdef const double* W = b.W
    if S.L.sampled:
        if S.exact:
            if S.data.n_atoms > 0:
                for q in range(m):
                    G[q] = 0.0
                for k in range(S.data.n_atoms):
                    for j in range(n):
                        X[j] = S.data.atoms[k]
                    S.L.grad_block(W, X, T, n)
                    for q in range(m):
                        G[q] += S.data.probs[k] * T[q]
            else:
                for j in range(n):
                    X[j] = S.xmean
                S.L.grad_block(W, X, G, n)
        elif S.batch == 1:
            S.data.sample_block(&b.R, X, n)
            S.L.grad_block(W, X, G, n)
        else:
            for q in range(m):
                G[q] = 0.0
            for k in range(S.batch):
                S.data.sample_block(&b.R, X, n)
                S.L.grad_block(W, X, T, n)
                for q in range(m):
                    G[q] += T[q]
            for q in range(m):
                G[q] /= S.batch
    else:
        for j in range(n):
            X[j] = 0.0
        S.L.grad_block(W, X, G, n)
    if not S.has_noise:
        return
    if S.isotropic and dim > 1:
        for j in range(n):
            rng = lane_get(&b.R, j)
            s = S.nscale.scale(S.L.value(&W[j * dim], S.xmean) if S.needs_value else 0.0, &W[j * dim])
            nrm = 0.0
            for i in range(dim):
                dirn[i] = std_normal(&rng)
                nrm += dirn[i] * dirn[i]
            nrm = sqrt(nrm)
            amp = s * fabs(S.noise.sample(&rng)) / nrm if nrm > 0 else 0.0
            lane_put(&b.R, j, &rng)
            for i in range(dim):
                G[j * dim + i] += amp * dirn[i]
        return
    S.noise.sample_block(&b.R, T, n, dim)
    if S.const_scale:
        s = S.scale0
        for q in range(m):
            G[q] += s * T[q]
    else:
        for j in range(n):
            s = S.nscale.scale(S.L.value(&W[j * dim], S.xmean) if S.needs_value else 0.0, &W[j * dim])
            for i in range(dim):
                G[j * dim + i] += s * T[j * dim + i]


cdef void _steps(Core S, Blk* b, int64_t t0, int64_t t1, int tid, DimT* tag) noexcept nogil:
    """Steps t0+1..t1 of the block: gradient, direction, then per run
    w_t = proj(w_{t-1} - clip(lr d)), divergence check, escape-rate sum; then events and records."""
    cdef int dim
    cdef double G[LANE]
    cdef double T[LANE]
    cdef double Dbuf[LANE]
    cdef double X[BLOCK]
    cdef double WN[LANE]
    cdef double* D
    cdef double* w
    cdef double* wn
    cdef double* d
    cdef Py_ssize_t j, n, q, m, n_bad
    cdef int i, bad
    cdef int64_t t
    cdef double nrm, nrm_prev, c, f, z
    # the model's constants in locals: the stores below cannot alias them
    cdef double lr = S.lr, clip = S.clip, max_abs = S.max_abs, prad = S.proj_rad
    cdef int proj_kind = S.proj_kind
    cdef double pa[MAXDIM]
    cdef double pb[MAXDIM]
    cdef bint log_growth = S.lg is not None, identity_dir = S.identity_dir
    cdef bint events = S.exit_region is not None or S.targets is not None
    cdef bint every_step
    cdef int badmask
    cdef int64_t k, burn = 0
    if DimT is Dim1:
        dim = 1
    elif DimT is Dim2:
        dim = 2
    else:
        dim = S.dim
    for i in range(dim):
        pa[i] = S.proj_a[i]; pb[i] = S.proj_b[i]
    if identity_dir:
        D = &G[0]
    else:
        D = &Dbuf[0]
    # events, occupancy and histograms look at the block after every step; snapshots and
    # trajectories only at their steps (`_next_record_step`): between those the fused step runs on
    every_step = events or S.occ is not None or S.hist is not None
    if S.occ is not None:
        burn = S.occ.burn_in
    if S.hist is not None:
        burn = S.hist.burn_in if S.occ is None else min(burn, S.hist.burn_in)
    t = t0
    while t < t1:
        n = b.n
        if n == 0:
            break
        if S.fast:
            # the fused SIMD step (sgdlab/_fast.h): up to the chunk's end, the next record step, or
            # the first step at which a run diverges; then the events, records and stops below, as
            # after one step. Events need the block after every step; occupancy and histograms
            # count nothing up to burn_in, and after it count the steps before the last from the
            # trace (no run stops before the last step: the fused step stops at a divergence)
            if not every_step:
                k = _next_record_step(S, b, t, t1) - t
            elif events:
                k = 1
            elif t < burn:
                k = min(_next_record_step(S, b, t, t1), burn) - t
            else:
                k = min(_next_record_step(S, b, t, t1) - t, <int64_t>TRACE_STEPS)
            if every_step and not events and t >= burn and k > 1:
                t += _fast_traced(S, b, t, k, tid, dim, &badmask)
            else:
                t += sgd_fast_steps(&S.plan, b.R.s0, b.R.s1, b.R.s2, b.R.s3, b.W, b.ST, LANE,
                                    b.lg_sum if log_growth else NULL, b.lg_n if log_growth else NULL,
                                    n, k, &badmask, NULL)
            n_bad = 0
            for j in range(n):
                bad = (badmask >> j) & 1
                b.stop[j] = 2 * bad
                n_bad += bad
            _after_update(S, b, t, tid, dim, n_bad, events)
            continue
        t += 1
        _gradient(S, b, G, X, T, dim)
        if not identity_dir:
            S.opt.direction_block(G, b.ST, LANE, Dbuf, n, dim)
        m = n * dim
        # the update in passes over the block (each a short loop gcc can vectorise); per run the
        # operations are those of: d = lr d; clip d to norm `clip`; wn = proj(w - d); diverged if
        # wn is non-finite or |wn| > max_abs (max_abs is finite: "not |wn| <= max_abs" says both)
        for q in range(m):
            D[q] = lr * D[q]
        if clip > 0:
            for j in range(n):
                d = &D[j * dim]
                nrm = 0.0
                for i in range(dim):
                    nrm += d[i] * d[i]
                nrm = sqrt(nrm)
                if nrm > clip:
                    c = clip / nrm
                    for i in range(dim):
                        d[i] = d[i] * c
        for q in range(m):
            WN[q] = b.W[q] - D[q]
        if proj_kind == 1:
            for j in range(n):
                for i in range(dim):
                    z = WN[j * dim + i]
                    if z < pa[i]:
                        WN[j * dim + i] = pa[i]
                    elif z > pb[i]:
                        WN[j * dim + i] = pb[i]
        elif proj_kind == 2:
            for j in range(n):
                nrm = 0.0
                for i in range(dim):
                    nrm += (WN[j * dim + i] - pa[i]) * (WN[j * dim + i] - pa[i])
                nrm = sqrt(nrm)
                if nrm == INFINITY or (nrm < SQ_LO and prad < SQ_LO):
                    # the squares overflowed or underflowed: the norm again, scaled
                    nrm = _scaled_dist(&WN[j * dim], pa, dim)
                if nrm > prad:
                    f = prad / nrm
                    for i in range(dim):
                        WN[j * dim + i] = pa[i] + (WN[j * dim + i] - pa[i]) * f
        n_bad = 0
        for j in range(n):
            bad = 0
            for i in range(dim):
                bad = bad | (not (fabs(WN[j * dim + i]) <= max_abs))
            b.stop[j] = 2 * bad
            n_bad += bad
        if log_growth:
            for j in range(n):
                if b.stop[j]:
                    continue
                w = &b.W[j * dim]
                wn = &WN[j * dim]
                # ln(|w_t| / |w_{t-1}|) without squaring |w| (squares underflow below 1e-154)
                if dim == 1:
                    if w[0] != 0:
                        b.lg_sum[j] += log(fabs(wn[0]) / fabs(w[0]))
                        b.lg_n[j] += 1
                else:
                    c = 0.0
                    for i in range(dim):
                        c = fmax(c, fmax(fabs(w[i]), fabs(wn[i])))
                    if c > 0:
                        nrm = 0.0
                        nrm_prev = 0.0
                        for i in range(dim):
                            nrm += (wn[i] / c) * (wn[i] / c)
                            nrm_prev += (w[i] / c) * (w[i] / c)
                        if nrm_prev > 0:
                            b.lg_sum[j] += 0.5 * log(nrm / nrm_prev)
                            b.lg_n[j] += 1
        for q in range(m):
            b.W[q] = WN[q]
        _after_update(S, b, t, tid, dim, n_bad, events)


cdef int64_t _fast_traced(Core S, Blk* b, int64_t t, int64_t k, int tid, int dim,
                          int* badmask) noexcept nogil:
    """k fused steps (at most TRACE_STEPS) of a block whose occupancy or histogram counts every
    step: the steps before the last are counted here from the fused step's trace (no run stops
    before the last step: the fused step stops at a divergence); the last one by _after_update, as
    after a single step. Returns the steps done. (Its own frame: the trace stays off the stack of
    the loops that do not need it.)"""
    cdef double TR[TRACE_STEPS * 2 * BLOCK]     # (the fused step is for dimension 1 or 2)
    cdef int64_t q, done
    done = sgd_fast_steps(&S.plan, b.R.s0, b.R.s1, b.R.s2, b.R.s3, b.W, b.ST, LANE,
                          b.lg_sum if S.lg is not None else NULL,
                          b.lg_n if S.lg is not None else NULL, b.n, k, badmask, &TR[0])
    for q in range(done - 1):
        # step t + q + 1: coordinate i of run j at TR[(q * dim + i) * BLOCK + j]
        if S.occ is not None:
            S.occ.count(b, &TR[q * dim * BLOCK], 1, t + q + 1)
        if S.hist is not None:
            S.hist.count(b, &TR[q * dim * BLOCK], 1, BLOCK, t + q + 1, tid)
    return done


cdef inline int64_t _next_record_step(Core S, Blk* b, int64_t t, int64_t t1) noexcept nogil:
    """The first step after t, at most t1, at which a snapshot or a trajectory frame of this block
    is taken."""
    cdef int64_t nxt = t1, f
    cdef Py_ssize_t j
    if S.snaps is not None and b.snap_p < S.snaps.ns:
        nxt = min(nxt, S.snaps.steps[b.snap_p])
    if S.traj is not None:
        for j in range(b.n):
            if b.run[j] < S.traj.n_traj:
                f = (t // S.traj.thin + 1) * S.traj.thin
                nxt = min(nxt, f)
                break
    return max(nxt, t + 1)


cdef inline void _after_update(Core S, Blk* b, int64_t t, int tid, int dim, Py_ssize_t n_bad,
                               bint events) noexcept nogil:
    """The end of step t, once b.W holds the new iterates and b.stop the runs that diverged: events,
    diverged iterates set to NaN, records, stops."""
    cdef Py_ssize_t j
    cdef int i
    if events:
        # before diverged iterates become NaN: an exit in the step that diverges is recorded
        _events(S, b, t, dim)
    if n_bad:
        b.any_stop = True
        for j in range(b.n):
            if b.stop[j] == 2:
                for i in range(dim):
                    b.W[j * dim + i] = NAN
    if S.snaps is not None:
        S.snaps.take(b, t, dim)
    if S.traj is not None:
        S.traj.take(b, t, dim)
    if S.occ is not None:
        S.occ.count(b, b.W, dim, t)
    if S.hist is not None:
        S.hist.count(b, b.W, dim, 1, t, tid)
    if b.any_stop:
        _retire(S, b, t, dim)


def fast_math_eval(str fn, x, double y=0.0):
    """The fast_math functions of the fused step on the numbers x (for tests): fn "exp", "log" or
    "pow" (x ** y, x >= 0). Needs AVX2 (sgdlab.noise.SIMD); ValueError otherwise."""
    cdef int k
    if fn not in ("exp", "log", "pow"):
        raise ValueError(f"fn: expected 'exp', 'log' or 'pow', got {fn!r}")
    if not SIMD:
        raise ValueError("fast_math needs the fused SIMD step (an AVX2 CPU, SGDLAB_NO_SIMD unset)")
    k = ("exp", "log", "pow").index(fn)
    cdef double[::1] xv = np.ascontiguousarray(x, dtype=np.float64).ravel()
    out = np.empty(xv.shape[0])
    cdef double[::1] ov = out
    if xv.shape[0]:
        sgd_fast_math_eval(k, &xv[0], y, &ov[0], xv.shape[0])
    return out
