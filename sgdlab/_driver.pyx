# cython: language_level=3
"""The driver loop of the core: N independent runs advanced T steps in C, in parallel over runs.

`Simulation` holds the model (landscape, data law, noise law and scale, optimizer), the per-run
state (iterate, optimizer state, random stream, flags) and the record buffers, all as numpy arrays
allocated by `sgdlab.simulate`. `advance(t1)` moves every live run from the current step to step
t1; the Python side calls it in chunks of steps (progress bar) and the result does not depend on the
chunking: run r only ever draws from its own stream r. No float is reduced across runs here.
"""
import numpy as np
cimport cython
from cython.parallel cimport prange, threadid
from libc.stdint cimport int64_t, uint64_t, uint8_t
from libc.math cimport sqrt, fabs, fmax, log, floor, isfinite, NAN

from sgdlab._random cimport Rng, std_normal
from sgdlab.landscapes cimport Landscape, MAXDIM
from sgdlab.noise cimport NoiseLaw, DataLaw, NoiseScale
from sgdlab.noise import Constant
from sgdlab.optimizers cimport Optimizer



cdef enum:
    BLOCK = 16     # runs advanced in lockstep by one thread (any value gives the same results)


@cython.final
cdef class Simulation:
    # model
    cdef Landscape L
    cdef DataLaw data
    cdef NoiseLaw noise
    cdef NoiseScale nscale
    cdef Optimizer opt
    cdef int dim, batch, n_slots
    cdef bint exact, isotropic, has_noise, needs_value
    cdef double lr, clip, max_abs, xmean, scale0
    cdef bint const_scale, any_record
    # projection: kind 0 none, 1 box [a, b], 2 ball (center a, radius rad)
    cdef int proj_kind
    cdef double[::1] proj_a, proj_b
    cdef double proj_rad
    # state
    cdef double[:, ::1] w
    cdef double[:, ::1] ost
    cdef uint64_t[:, ::1] rng
    cdef uint8_t[::1] alive, diverged
    cdef int64_t[::1] stop_step
    cdef readonly int64_t t
    # records
    cdef int64_t[::1] snap_steps
    cdef double[:, :, ::1] snaps
    cdef int64_t[::1] snap_ptr
    cdef Py_ssize_t n_traj
    cdef int64_t thin
    cdef double[:, :, ::1] traj
    cdef int exit_kind
    cdef double[::1] exit_a, exit_b
    cdef double exit_rad
    cdef bint stop_at_exit
    cdef int64_t[::1] exit_step
    cdef double[:, ::1] exit_state
    cdef Py_ssize_t n_targets
    cdef double[:, ::1] tcenter
    cdef double[::1] trad2
    cdef bint stop_at_target
    cdef int64_t[::1] hit_step, hit_index
    cdef int64_t burn_in
    cdef Py_ssize_t n_occ
    cdef double[::1] occ_edges
    cdef int64_t[:, ::1] occ
    cdef int hist_dim
    cdef double hist_lo[2]
    cdef double hist_hi[2]
    cdef int64_t hist_n[2]
    cdef int64_t[:, ::1] hist
    cdef int64_t[::1] hist_out
    cdef bint log_growth
    cdef double[::1] lg_sum
    cdef int64_t[::1] lg_n

    def __init__(self, *, landscape, data, noise, noise_scale, optimizer, lr, batch, exact,
                 isotropic, clip, max_abs, proj_kind, proj_a, proj_b, proj_rad,
                 w, ost, rng, alive, diverged, stop_step,
                 snap_steps, snaps, snap_ptr, n_traj, thin, traj,
                 exit_kind, exit_a, exit_b, exit_rad, stop_at_exit, exit_step, exit_state,
                 tcenter, trad, stop_at_target, hit_step, hit_index,
                 burn_in, occ_edges, occ, hist_dim, hist_lo, hist_hi, hist_n, hist, hist_out,
                 log_growth, lg_sum, lg_n):
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
        self.lr = lr; self.batch = batch; self.exact = exact; self.isotropic = isotropic
        self.clip = clip; self.max_abs = max_abs
        self.has_noise = (noise is not None) and (not exact)
        self.needs_value = self.has_noise and noise_scale.needs_value
        self.xmean = data.mean if data is not None else 0.0
        self.proj_kind = proj_kind; self.proj_a = proj_a; self.proj_b = proj_b; self.proj_rad = proj_rad
        self.w = w; self.ost = ost; self.rng = rng; self.alive = alive; self.diverged = diverged
        self.stop_step = stop_step; self.t = 0
        self.snap_steps = snap_steps; self.snaps = snaps; self.snap_ptr = snap_ptr
        self.n_traj = n_traj; self.thin = thin; self.traj = traj
        self.exit_kind = exit_kind; self.exit_a = exit_a; self.exit_b = exit_b; self.exit_rad = exit_rad
        self.stop_at_exit = stop_at_exit; self.exit_step = exit_step; self.exit_state = exit_state
        self.tcenter = tcenter; self.trad2 = np.asarray(trad, dtype=np.float64) ** 2
        self.n_targets = tcenter.shape[0] if len(trad) else 0
        self.stop_at_target = stop_at_target; self.hit_step = hit_step; self.hit_index = hit_index
        self.burn_in = burn_in
        self.occ_edges = occ_edges; self.occ = occ
        self.n_occ = occ_edges.shape[0] - 1 if occ.shape[1] > 1 else 0
        self.hist_dim = hist_dim
        for i in range(2):
            self.hist_lo[i] = hist_lo[i]; self.hist_hi[i] = hist_hi[i]; self.hist_n[i] = hist_n[i]
        self.hist = hist; self.hist_out = hist_out
        self.log_growth = log_growth; self.lg_sum = lg_sum; self.lg_n = lg_n
        self.const_scale = isinstance(noise_scale, Constant)
        self.scale0 = noise_scale.sigma if self.const_scale else 0.0
        self.any_record = (snap_steps.shape[0] > 0 or n_traj > 0 or self.n_occ > 0 or hist_dim > 0)

    def advance(self, int64_t t1, int n_threads):
        """Advance every live run from step self.t to step t1."""
        cdef Py_ssize_t b, n = self.w.shape[0]
        cdef Py_ssize_t n_blocks = (n + BLOCK - 1) // BLOCK
        cdef int64_t t0 = self.t
        if t1 <= t0:
            return
        with nogil:
            for b in prange(n_blocks, num_threads=n_threads, schedule="dynamic", chunksize=1):
                self._run_block(b * BLOCK, min(n, (b + 1) * BLOCK), t0, t1, threadid())
        self.t = t1

    # ------------------------------------------------------------------ block kernel

    cdef inline void _gradient_block(self, const Py_ssize_t* idx, Py_ssize_t n, const double* W,
                                     double* G, double* X, double* T, Rng* rngs) noexcept nogil:
        """Stochastic (or, if exact, expected) gradients of the n runs idx[0..n-1], plus additive
        noise, into G (n x dim). W holds their iterates. X, T are scratch buffers.
        Per run, the draws are taken from its own stream in a fixed order: data points first (one
        per batch element), then the noise (dim coordinates, or direction then radius)."""
        cdef Py_ssize_t j, q, m = n * self.dim
        cdef int i, k, dim = self.dim
        cdef double s, nrm, amp
        cdef double dirn[MAXDIM]
        cdef Rng* rng
        if self.L.sampled:
            if self.exact:
                if self.data.n_atoms > 0:
                    for q in range(m):
                        G[q] = 0.0
                    for k in range(self.data.n_atoms):
                        for j in range(n):
                            X[j] = self.data.atoms[k]
                        self.L.grad_block(W, X, T, n)
                        for q in range(m):
                            G[q] += self.data.probs[k] * T[q]
                else:
                    for j in range(n):
                        X[j] = self.xmean
                    self.L.grad_block(W, X, G, n)
            elif self.batch == 1:
                self.data.sample_block(rngs, idx, X, n)
                self.L.grad_block(W, X, G, n)
            else:
                for q in range(m):
                    G[q] = 0.0
                for k in range(self.batch):
                    self.data.sample_block(rngs, idx, X, n)
                    self.L.grad_block(W, X, T, n)
                    for q in range(m):
                        G[q] += T[q]
                for q in range(m):
                    G[q] /= self.batch
        else:
            for j in range(n):
                X[j] = 0.0
            self.L.grad_block(W, X, G, n)
        if not self.has_noise:
            return
        if self.isotropic and dim > 1:
            for j in range(n):
                rng = &rngs[idx[j]]
                s = self.nscale.scale(self.L.value(&W[j * dim], self.xmean) if self.needs_value else 0.0, &W[j * dim])
                nrm = 0.0
                for i in range(dim):
                    dirn[i] = std_normal(rng)
                    nrm += dirn[i] * dirn[i]
                nrm = sqrt(nrm)
                amp = s * fabs(self.noise.sample(rng)) / nrm if nrm > 0 else 0.0
                for i in range(dim):
                    G[j * dim + i] += amp * dirn[i]
            return
        self.noise.sample_block(rngs, idx, T, n, dim)
        if self.const_scale:
            for q in range(m):
                G[q] += self.scale0 * T[q]
        else:
            for j in range(n):
                s = self.nscale.scale(self.L.value(&W[j * dim], self.xmean) if self.needs_value else 0.0, &W[j * dim])
                for i in range(dim):
                    G[j * dim + i] += s * T[j * dim + i]

    cdef inline void _project(self, double* w) noexcept nogil:
        cdef int i
        cdef double nrm = 0.0, f
        if self.proj_kind == 1:
            for i in range(self.dim):
                if w[i] < self.proj_a[i]:
                    w[i] = self.proj_a[i]
                elif w[i] > self.proj_b[i]:
                    w[i] = self.proj_b[i]
        elif self.proj_kind == 2:
            for i in range(self.dim):
                nrm += (w[i] - self.proj_a[i]) * (w[i] - self.proj_a[i])
            nrm = sqrt(nrm)
            if nrm > self.proj_rad:
                f = self.proj_rad / nrm
                for i in range(self.dim):
                    w[i] = self.proj_a[i] + (w[i] - self.proj_a[i]) * f

    cdef inline bint _events(self, Py_ssize_t r, double* w, int64_t t) noexcept nogil:
        """Exit from the region / arrival at a target at step t. Returns True if the run stops."""
        cdef bint stop = False, outside = False
        cdef int i
        cdef Py_ssize_t k
        cdef double d2, z
        if self.exit_kind != 0 and self.exit_step[r] < 0:
            if self.exit_kind == 1:
                for i in range(self.dim):
                    if w[i] < self.exit_a[i] or w[i] > self.exit_b[i]:
                        outside = True
            else:
                d2 = 0.0
                for i in range(self.dim):
                    d2 += (w[i] - self.exit_a[i]) * (w[i] - self.exit_a[i])
                outside = d2 > self.exit_rad * self.exit_rad
            if outside:
                self.exit_step[r] = t
                for i in range(self.dim):
                    self.exit_state[r, i] = w[i]
                if self.stop_at_exit:
                    stop = True
        if self.n_targets > 0 and self.hit_step[r] < 0:
            for k in range(self.n_targets):
                d2 = 0.0
                for i in range(self.dim):
                    z = w[i] - self.tcenter[k, i]
                    d2 += z * z
                if d2 <= self.trad2[k]:
                    self.hit_step[r] = t
                    self.hit_index[r] = k
                    if self.stop_at_target:
                        stop = True
                    break
        return stop

    cdef inline void _record(self, Py_ssize_t r, double* w, int64_t t, int tid) noexcept nogil:
        cdef int i
        cdef Py_ssize_t p, lo, hi, mid, ix, iy
        cdef double z
        p = self.snap_ptr[r]
        if p < self.snap_steps.shape[0] and self.snap_steps[p] == t:
            for i in range(self.dim):
                self.snaps[r, p, i] = w[i]
            self.snap_ptr[r] = p + 1
        if r < self.n_traj and t % self.thin == 0:
            for i in range(self.dim):
                self.traj[r, t // self.thin, i] = w[i]
        if t > self.burn_in:
            if self.n_occ > 0:
                # bin k in 0..n_occ+1 = the number of edges <= z: 0 below edges[0], n_occ + 1
                # at/above edges[-1] (n_occ + 2 edges in all); bisection over lo < k < hi
                z = w[0]
                lo = 0
                hi = self.n_occ + 2
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if self.occ_edges[mid - 1] <= z:
                        lo = mid
                    else:
                        hi = mid
                if z < self.occ_edges[0]:
                    lo = 0
                self.occ[r, lo] += 1
            if self.hist_dim > 0:
                z = (w[0] - self.hist_lo[0]) / (self.hist_hi[0] - self.hist_lo[0]) * self.hist_n[0]
                if z >= 0 and z < self.hist_n[0]:
                    ix = <Py_ssize_t>z
                    if self.hist_dim == 1:
                        self.hist[tid, ix] += 1
                    else:
                        z = (w[1] - self.hist_lo[1]) / (self.hist_hi[1] - self.hist_lo[1]) * self.hist_n[1]
                        if z >= 0 and z < self.hist_n[1]:
                            iy = <Py_ssize_t>z
                            self.hist[tid, ix * self.hist_n[1] + iy] += 1
                        else:
                            self.hist_out[tid] += 1
                else:
                    self.hist_out[tid] += 1

    cdef void _run_block(self, Py_ssize_t r0, Py_ssize_t r1, int64_t t0, int64_t t1, int tid) noexcept nogil:
        """Advance runs r0..r1-1 (at most BLOCK) in lockstep: each stage (data draws, gradients,
        noise, optimizer) runs over the whole block, then each run finishes its step."""
        cdef Py_ssize_t idx[BLOCK]
        cdef double W[BLOCK * MAXDIM]
        cdef double G[BLOCK * MAXDIM]
        cdef double T[BLOCK * MAXDIM]
        cdef double D[BLOCK * MAXDIM]
        cdef double X[BLOCK]
        cdef Rng* rngs = <Rng*>&self.rng[0, 0]
        cdef Py_ssize_t r, j, n, st_stride = self.ost.shape[1]
        cdef int i, dim = self.dim
        cdef int64_t t
        if t0 == 0:
            for r in range(r0, r1):
                if self.alive[r] and self._events(r, &self.w[r, 0], 0):
                    self.alive[r] = 0
                    self.stop_step[r] = 0
        for t in range(t0 + 1, t1 + 1):
            n = 0
            for r in range(r0, r1):
                if self.alive[r]:
                    idx[n] = r
                    n += 1
            if n == 0:
                break
            for j in range(n):
                for i in range(dim):
                    W[j * dim + i] = self.w[idx[j], i]
            self._gradient_block(idx, n, W, G, X, T, rngs)
            if self.n_slots == 0:
                self.opt.direction_block(G, NULL, 0, D, n, dim)
            else:
                for j in range(n):
                    self.opt.direction(&G[j * dim], &self.ost[idx[j], 0], &D[j * dim], dim)
            for j in range(n):
                self._finish(idx[j], &D[j * dim], t, tid)

    cdef inline void _finish(self, Py_ssize_t r, double* d, int64_t t, int tid) noexcept nogil:
        """End of step t for run r given its direction d: w_t = proj(w_{t-1} - clip(lr d)),
        divergence check, escape-rate sum, events and records."""
        cdef double* w = &self.w[r, 0]
        cdef double wn[MAXDIM]
        cdef int i, dim = self.dim
        cdef double nrm, nrm_prev, c
        cdef bint bad = False
        for i in range(dim):
            d[i] = self.lr * d[i]
        if self.clip > 0:
            nrm = 0.0
            for i in range(dim):
                nrm += d[i] * d[i]
            nrm = sqrt(nrm)
            if nrm > self.clip:
                c = self.clip / nrm
                for i in range(dim):
                    d[i] = d[i] * c
        for i in range(dim):
            wn[i] = w[i] - d[i]
        if self.proj_kind != 0:
            self._project(wn)
        for i in range(dim):
            bad = bad | (not isfinite(wn[i])) | (fabs(wn[i]) > self.max_abs)
        if bad:
            self.diverged[r] = 1
            self.alive[r] = 0
            self.stop_step[r] = t
            for i in range(dim):
                w[i] = NAN
            return
        if self.log_growth:
            # ln(|w_t| / |w_{t-1}|) without squaring |w| (squares underflow below 1e-154)
            if dim == 1:
                if w[0] != 0:
                    self.lg_sum[r] += log(fabs(wn[0]) / fabs(w[0]))
                    self.lg_n[r] += 1
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
                        self.lg_sum[r] += 0.5 * log(nrm / nrm_prev)
                        self.lg_n[r] += 1
        for i in range(dim):
            w[i] = wn[i]
        if (self.exit_kind != 0 or self.n_targets > 0) and self._events(r, w, t):
            self.alive[r] = 0
            self.stop_step[r] = t
        if self.any_record:
            self._record(r, w, t, tid)
