"""Benchmark of the compiled core against its peers, measured in the same run (`make bench`).

Six workloads of 2000 runs (`workloads()`). Peers, each timed in this process, one at a time:
  core     sgdlab.simulate, 1 thread and all threads;
  c        a plain-C version of the same workloads (benchmarks/peer_c.c: one run at a time, state in
           registers, OpenMP over runs, the core's streams and samplers), compiled now with the
           core's flags (sgdlab/_flags.py); its final states must equal the core's bit for bit;
  numba    the core's algorithm in Numba (benchmarks/peer_numba.py), if numba can be imported
           (`make bench` installs it into _build/bench/pkgs, outside the project's environment);
           its final states are checked against the core's too;
  numpy    the NumPy reference (sgdlab.reference), 1 thread.
Step counts are calibrated on the core so that a call lasts >= --min-seconds; every peer runs the
same number of steps. A rate is the best of --rounds rounds x --calls calls; the rounds interleave
the peers so that a slow spell of a shared machine hits all of them. The spread of identical calls
is median/best of the --calls consecutive calls of one round (the worse round is reported), for
every peer: the C and Numba peers show how much of it is the machine's.
Scaling: the core's all-threads rate over its 1-thread rate (best over best), the median ratio of
--pairs alternated 1-thread / all-threads calls (paired: robust to the machine's spells), and
beside them the ceiling the machine gives two independent 1-thread processes started together
(`--no-pair` skips it).
The machine probe (peer_c.c peer_probe: the quartic's step on 16 lanes with every state in
registers, no driver) is timed the same way: its spread and scaling are what the machine gives code
that does nothing but compute. So is the libm probe (peer_c.c peer_probe_libm: pow and exp, 4
independent evaluations at a time as the core calls them, or one chain as the C peer does): the
machine's spread for throughput-bound and for latency-bound code.
Then the per-update cost of the core on the quadratic from 200 to 200 000 runs, the run counts
interleaved round by round (best of --rounds) and each timed over the same number of updates as one
call at the largest run count (calls back to back), so that neither a drift of the machine's speed
nor its short fast spells masquerade as a dependence on the run count.
Prints the table and writes _build/bench.json. Ratios are core / peer: > 1 means the core is faster.
"""
import argparse
import ctypes
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
import warnings

# OpenBLAS worker threads spin after numpy calls and would steal the cores the timed code runs on;
# nothing here uses BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import sgdlab  # noqa: E402
from sgdlab._flags import core_cflags  # noqa: E402
from sgdlab.reference import simulate_reference  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
N_RUNS = 2000
PEER_ID = {"quadratic": 0, "quartic": 1, "sharp2d": 2, "amsgrad": 3, "himmelblau": 4, "heavy_tailed": 5}


def workloads(n_runs=N_RUNS):
    rng = np.random.default_rng(0)
    u1 = rng.uniform(-1, 1, n_runs)
    u2 = rng.uniform(-1, 1, (n_runs, 2))
    h2 = rng.uniform(-5, 5, (n_runs, 2))
    return {
        # a = -1, lr = 0.5: mu = 0, so |w| neither underflows nor overflows over the run
        "quadratic": (dict(landscape="quadratic", data=sgdlab.TwoPoint(-1.0), lr=0.5, w0=u1,
                           max_abs=1e300), {}),
        "quartic": (dict(landscape="quartic", data=sgdlab.TwoPoint(-1.0), lr=0.1, w0=u1), {}),
        "sharp2d": (dict(landscape="sharp2d", landscape_params={"a": 0.5, "b": 14.0},
                         data=sgdlab.Discrete([1.0, -1.0], [0.5, 0.5]), lr=0.05, w0=u2),
                    dict(project=sgdlab.Box(-1, 1)), dict(project=("box", -1, 1))),
        "amsgrad": (dict(landscape="quadratic", data=sgdlab.TwoPoint(-0.1), lr=0.2, w0=u1,
                         optimizer="amsgrad", beta1=0.9, beta2=0.999),
                    dict(project=sgdlab.Interval(-1, 1)), dict(project=("box", -1, 1))),
        "himmelblau": (dict(landscape="himmelblau", noise="gaussian", lr=0.002, w0=h2),
                       dict(noise_scale=float(np.sqrt(15000.0))),
                       dict(noise_scale=float(np.sqrt(15000.0)), noise_params={"scale": 1.0})),
        "heavy_tailed": (dict(landscape="four_well", lr=0.01, w0=np.full(n_runs, -0.7), clip=0.5),
                         dict(noise=sgdlab.make_noise("pareto", alpha=1.2), noise_scale=0.1,
                              project=sgdlab.Interval(-1.6, 1.6)),
                         dict(noise="pareto", noise_params={"alpha": 1.2, "scale": 0.1},
                              project=("box", -1.6, 1.6))),
    }


def _split(entry):
    common = entry[0]
    core_kw = entry[1] if len(entry) > 1 else {}
    ref_kw = entry[2] if len(entry) > 2 else core_kw
    return common, core_kw, ref_kw


# ---------------------------------------------------------------- peers

def run_core(common, core_kw, steps, threads):
    """One timed sgdlab.simulate call: (updates, seconds, final states)."""
    kw = dict(common)
    name = kw.pop("landscape")
    with warnings.catch_warnings():
        # long calibrated quadratic runs may leave 1e300 (the peers stop such runs too)
        warnings.simplefilter("ignore", sgdlab.DivergenceWarning)
        t0 = time.perf_counter()
        res = sgdlab.simulate(name, steps=steps, n_threads=threads, seed=1, **kw, **core_kw)
        dt = time.perf_counter() - t0
    return res.updates, dt, res.final


def time_numpy(common, ref_kw, steps):
    kw = dict(common)
    name = kw.pop("landscape")
    if "noise" in kw and not isinstance(kw["noise"], str):
        kw.pop("noise")
    n = len(kw["w0"])
    t0 = time.perf_counter()
    simulate_reference(name, steps=steps, seed=1, **kw, **ref_kw)
    dt = time.perf_counter() - t0
    return n * steps, dt


def build_c_peer(outdir):
    """Compile benchmarks/peer_c.c with the core's flags; return (ctypes library, flags) or (None, why)."""
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        return None, f"no C compiler ({cc})"
    os.makedirs(outdir, exist_ok=True)
    lib = os.path.join(outdir, "peer_c.so")
    base = (sysconfig.get_config_var("CFLAGS") or "").split()
    flags = base + core_cflags() + ["-fPIC", "-shared"]
    for omp in (["-fopenmp"], []):
        cmd = [cc, *flags, *omp, os.path.join(HERE, "peer_c.c"), "-o", lib, "-lm"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 0:
            break
    else:
        return None, "compile failed: " + r.stderr[-500:]
    dll = ctypes.CDLL(lib)
    dll.peer_run.restype = ctypes.c_int
    dll.peer_run.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint64,
                             ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    dll.peer_probe.restype = ctypes.c_int
    dll.peer_probe.argtypes = [ctypes.c_int64, ctypes.c_int, ctypes.POINTER(ctypes.c_double)]
    dll.peer_probe_libm.restype = ctypes.c_int
    dll.peer_probe_libm.argtypes = [ctypes.c_int64, ctypes.c_int, ctypes.POINTER(ctypes.c_double)]
    return dll, " ".join(flags + omp)


def run_c(dll, name, w0, steps, threads, seed=1):
    w0 = np.ascontiguousarray(np.asarray(w0, dtype=np.float64))
    out = np.empty_like(w0)
    t0 = time.perf_counter()
    rc = dll.peer_run(PEER_ID[name], w0.shape[0], steps, seed, w0.ctypes.data, out.ctypes.data, threads)
    dt = time.perf_counter() - t0
    assert rc == 0
    return w0.shape[0] * steps, dt, out


def load_numba_peer(dll):
    """The Numba peer if numba imports (from _build/bench/pkgs if there), else (None, reason)."""
    pkgs = os.path.join("_build", "bench", "pkgs")
    if os.path.isdir(pkgs):
        sys.path.insert(0, os.path.abspath(pkgs))
    try:
        import numba  # noqa: F401
    except Exception as exc:    # not installed, or built for another numpy
        return None, f"numba not available ({type(exc).__name__}: {str(exc)[:120]})"
    sys.path.insert(0, HERE)
    import peer_numba
    k = np.zeros(256, dtype=np.uint64)
    w = np.zeros(256)
    f = np.zeros(256)
    if dll is not None:
        dll.peer_tables(k.ctypes.data_as(ctypes.c_void_p), w.ctypes.data_as(ctypes.c_void_p),
                        f.ctypes.data_as(ctypes.c_void_p))
    else:
        return None, "the Numba peer takes its ziggurat tables from the C peer, which did not build"
    peer_numba.set_tables(k, w, f)
    return peer_numba, f"numba {numba.__version__}"


def run_numba(mod, name, w0, steps, threads, seed=1):
    w0 = np.ascontiguousarray(np.asarray(w0, dtype=np.float64))
    t0 = time.perf_counter()
    out = mod.run(PEER_ID[name], w0, steps, seed, threads)
    dt = time.perf_counter() - t0
    return w0.shape[0] * steps, dt, out


def same_bits(a, b):
    a = np.asarray(a).reshape(np.asarray(b).shape)
    return bool(np.array_equal(a, b, equal_nan=True))


def calibrated(fn, min_seconds, steps=64):
    while True:
        n, dt = fn(steps)[:2]
        if dt >= min_seconds:
            return steps
        steps = int(steps * max(2.0, 1.2 * min_seconds / max(dt, 1e-4)))


def paired_scaling(call, threads, pairs):
    """Median over `pairs` alternated calls at 1 and at `threads` threads of rate(threads) / rate(1)
    (call(th) -> (updates, seconds, ...)): each ratio compares two calls a second apart, so the
    machine's slow and fast spells, which a best-of-each-side ratio picks apart, mostly cancel."""
    ratios = []
    for _ in range(pairs):
        n1, dt1 = call(1)[:2]
        n2, dt2 = call(threads)[:2]
        ratios.append((n2 / dt2) / (n1 / dt1))
    return statistics.median(ratios)


def one_round(call, calls):
    """`calls` consecutive identical calls (call() -> (work, seconds, ...)): the best rate and the
    round's spread, median/best."""
    rates = [w / dt for w, dt, *_ in (call() for _ in range(calls))]
    return max(rates), statistics.median(rates) / max(rates)


def geomean(xs):
    xs = [x for x in xs if x and np.isfinite(x)]
    return float(np.exp(np.mean(np.log(xs)))) if xs else float("nan")


# ---------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-seconds", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--calls", type=int, default=5, help="consecutive identical calls per round")
    ap.add_argument("--pairs", type=int, default=8,
                    help="alternated 1-thread / all-threads call pairs for the paired scaling")
    ap.add_argument("--no-pair", action="store_true",
                    help="skip the two-independent-processes ceiling of the scaling")
    ap.add_argument("--out", default=os.path.join("_build", "bench.json"))
    ap.add_argument("--only", nargs="*", help="workload names")
    ap.add_argument("--no-numpy", action="store_true", help="skip the (slow) NumPy reference")
    ap.add_argument("--sizes", default="200,2000,20000,200000",
                    help="run counts of the per-update-cost sweep on the quadratic ('' to skip)")
    args = ap.parse_args(argv)
    threads = sgdlab.default_threads()
    tset = sorted({1, threads})
    dll, cinfo = build_c_peer(os.path.join("_build", "bench"))
    nb, ninfo = load_numba_peer(dll)
    print(f"sgdlab benchmark: {N_RUNS} runs per workload; 1 and {threads} threads; best of "
          f"{args.rounds} rounds x {args.calls} calls of >= {args.min_seconds:g} s")
    print(f"  c peer: {cinfo if dll is not None else 'skipped: ' + cinfo}")
    print(f"  numba peer: {ninfo}")
    table = {}
    for name, entry in workloads().items():
        if args.only and name not in args.only:
            continue
        common, core_kw, ref_kw = _split(entry)
        w0 = common["w0"]
        steps = calibrated(lambda s: run_core(common, core_kw, s, 1), args.min_seconds)
        row = {"steps": steps, "threads": threads}
        samples = {}
        spreads = {}
        finals = {}
        if nb is not None:      # JIT compilation outside the timed calls
            run_numba(nb, name, w0[:4], 2, 1)
        for rnd in range(args.rounds):
            for th in tset:
                for peer in ("core", "c", "numba"):
                    rates = []
                    for _ in range(args.calls):
                        if peer == "core":
                            n, dt, fin = run_core(common, core_kw, steps, th)
                        elif peer == "c" and dll is not None:
                            n, dt, fin = run_c(dll, name, w0, steps, th)
                        elif peer == "numba" and nb is not None:
                            n, dt, fin = run_numba(nb, name, w0, steps, th)
                        else:
                            continue
                        rates.append(n / dt)
                        finals.setdefault(peer, fin)
                    if rates:
                        samples.setdefault(f"{peer}_{th}t", []).extend(rates)
                        spreads.setdefault(f"{peer}_{th}t", []).append(statistics.median(rates) / max(rates))
        for key, rates in samples.items():
            row[key] = max(rates)
            row[key + "_median_over_best"] = min(spreads[key])    # the worse round
        if len(tset) > 1 and args.pairs > 0:
            row["core_scaling_paired"] = paired_scaling(
                lambda th: run_core(common, core_kw, steps, th), tset[-1], args.pairs)
        if len(tset) > 1 and not args.no_pair:
            row["core_pair_1t"] = max(_pair_rate(name, steps) for _ in range(args.rounds))
        for peer in ("c", "numba"):
            if peer in finals:
                row[f"{peer}_bit_identical"] = same_bits(finals[peer], finals["core"])
        if not args.no_numpy:
            nsteps = calibrated(lambda s: time_numpy(common, ref_kw, s), args.min_seconds, steps=16)
            row["numpy_1t"] = max(n / dt for n, dt in (time_numpy(common, ref_kw, nsteps)
                                                        for _ in range(args.rounds)))
        table[name] = row
        _print_row(name, row, tset)
        sys.stdout.flush()
    summary = _summary(table, tset)
    if dll is not None:
        summary["probe"] = _probe(dll, "-fopenmp" in cinfo, args, tset)
        summary["probe_libm"] = _probe_libm(dll, args)
    if "heavy_tailed" in table:
        summary["fast_math"] = _fast_math(table["heavy_tailed"], args, tset)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if sizes and (not args.only or "quadratic" in args.only):
        summary["per_update_ns"] = _sizes(sizes, args, tset)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump({"threads": threads, "c_flags": cinfo, "numba": ninfo, "workloads": table,
                   "summary": summary}, fh, indent=2)
    print(f"wrote {args.out}")


def _print_row(name, row, tset):
    parts = [f"{name:<13}"]
    for th in tset:
        core = row.get(f"core_{th}t")
        parts.append(f"core {th}t {core / 1e6:7.1f} M/s")
        for peer in ("c", "numba"):
            if f"{peer}_{th}t" in row:
                parts.append(f"x{peer} {core / row[f'{peer}_{th}t']:5.2f}")
    if "numpy_1t" in row:
        parts.append(f"x numpy(1t) {row[f'core_{tset[-1]}t'] / row['numpy_1t']:6.1f}")
    if len(tset) > 1:
        parts.append(f"scaling core {row[f'core_{tset[-1]}t'] / row['core_1t']:4.2f}")
        if "core_scaling_paired" in row:
            parts.append(f"(paired {row['core_scaling_paired']:4.2f})")
        if "c_1t" in row:
            parts.append(f"c {row[f'c_{tset[-1]}t'] / row['c_1t']:4.2f}")
        if "core_pair_1t" in row:
            parts.append(f"two 1t processes {row['core_pair_1t'] / row['core_1t']:4.2f}")
    bits = [p for p in ("c", "numba") if row.get(f"{p}_bit_identical") is False]
    parts.append("bits: " + ("NOT identical to " + ",".join(bits) if bits else "identical"))
    print("  ".join(parts))


def _summary(table, tset):
    out = {}
    if not table:
        return out
    print("-" * 100)
    for th in tset:
        for peer in ("c", "numba"):
            vals = [r[f"core_{th}t"] / r[f"{peer}_{th}t"] for r in table.values() if f"{peer}_{th}t" in r]
            if vals:
                out[f"core_over_{peer}_{th}t_geomean"] = geomean(vals)
                out[f"core_over_{peer}_{th}t_min"] = min(vals)
                print(f"core / {peer} at {th} thread(s): geomean {geomean(vals):.2f}, worst {min(vals):.2f}")
    vals = [r[f"core_{tset[-1]}t"] / r["numpy_1t"] for r in table.values() if "numpy_1t" in r]
    if vals:
        out["core_all_over_numpy_geomean"] = geomean(vals)
        print(f"core ({tset[-1]} threads) / numpy: geomean {geomean(vals):.1f}")
    if len(tset) > 1:
        for peer in ("core", "c"):
            vals = [r[f"{peer}_{tset[-1]}t"] / r[f"{peer}_1t"] for r in table.values() if f"{peer}_1t" in r]
            if vals:
                out[f"{peer}_scaling_min"] = min(vals)
                out[f"{peer}_scaling_geomean"] = geomean(vals)
                print(f"{peer} scaling 1 -> {tset[-1]} threads: geomean {geomean(vals):.2f}, worst {min(vals):.2f}")
        vals = [r["core_scaling_paired"] for r in table.values() if "core_scaling_paired" in r]
        if vals:
            out["core_scaling_paired_min"] = min(vals)
            out["core_scaling_paired_geomean"] = geomean(vals)
            print(f"core scaling 1 -> {tset[-1]} threads, median of alternated call pairs: "
                  f"geomean {geomean(vals):.2f}, worst {min(vals):.2f}")
        vals = [r[f"core_{tset[-1]}t"] / r["core_pair_1t"] for r in table.values() if "core_pair_1t" in r]
        if vals:
            out["core_scaling_over_pair_min"] = min(vals)
            out["core_scaling_over_pair_geomean"] = geomean(vals)
            print(f"core {tset[-1]} threads / two independent 1-thread core processes: "
                  f"geomean {geomean(vals):.2f}, worst {min(vals):.2f}")
    for peer in ("core", "c", "numba"):
        vals = [r[f"{peer}_{th}t_median_over_best"] for r in table.values() for th in tset
                if f"{peer}_{th}t_median_over_best" in r]
        if vals:
            out[f"{peer}_median_over_best_min"] = min(vals)
            print(f"spread of identical calls, {peer}: median/best >= {min(vals):.2f}")
    return out


def run_probe(dll, iters, threads):
    """One call of the machine probe (peer_c.c peer_probe): (updates, seconds), or None without AVX2."""
    chk = ctypes.c_double()
    t0 = time.perf_counter()
    rc = dll.peer_probe(iters, threads, ctypes.byref(chk))
    dt = time.perf_counter() - t0
    return None if rc != 0 else (16 * iters * threads, dt)


def _probe(dll, openmp, args, tset):
    """The machine probe (the quartic's step on 16 lanes with all state in registers; see
    peer_c.c): its best rate at each thread count, its 1 -> all threads scaling and the spread of
    its identical calls, measured as the core's are (best of --rounds rounds x --calls calls,
    median/best of a round's consecutive calls, the worse round)."""
    if run_probe(dll, 1, 1) is None:
        print("machine probe: skipped (no AVX2)")
        return {}
    tset = tset if openmp else [1]
    iters = calibrated(lambda k: run_probe(dll, k, 1), args.min_seconds, steps=1 << 16)
    best, spread = {}, {}
    for _ in range(args.rounds):
        for th in tset:
            b, sp = one_round(lambda: run_probe(dll, iters, th), args.calls)
            best[th] = max(best.get(th, 0.0), b)
            spread[th] = min(spread.get(th, 1.0), sp)
    out = {f"probe_{th}t": best[th] for th in tset}
    out.update({f"probe_{th}t_median_over_best": spread[th] for th in tset})
    parts = [f"{th}t {best[th] / 1e6:.0f} M/s" for th in tset]
    if len(tset) > 1:
        out["probe_scaling"] = best[tset[-1]] / best[1]
        parts.append(f"scaling {out['probe_scaling']:.2f}")
        if args.pairs > 0:
            out["probe_scaling_paired"] = paired_scaling(lambda th: run_probe(dll, iters, th),
                                                         tset[-1], args.pairs)
            parts.append(f"(paired {out['probe_scaling_paired']:.2f})")
    parts.append(f"spread of identical calls: median/best >= {min(spread.values()):.2f}")
    print("machine probe (the quartic's step on 16 lanes, all state in registers: no memory, no driver): "
          + ", ".join(parts))
    return out


def _probe_libm(dll, args):
    """The libm probe (peer_c.c peer_probe_libm): pow and exp on one thread, as 4 independent
    evaluations per iteration (the core's shape, throughput-bound) and as one dependency chain (the
    C peer's shape, latency-bound); best rate and spread of identical calls of each, measured as the
    core's are. A shared machine whose other tenants compete for the execution units of our cores
    (their other hardware threads) slows throughput-bound code more, and by how much varies from one
    moment to the next: the two spreads show what it gives each kind of code."""
    def call(chained, iters):
        chk = ctypes.c_double()
        t0 = time.perf_counter()
        dll.peer_probe_libm(iters, chained, ctypes.byref(chk))
        return (iters * (1 if chained else 4), time.perf_counter() - t0)
    out, parts = {}, []
    for chained, name in ((0, "independent"), (1, "chained")):
        iters = calibrated(lambda k: call(chained, k), args.min_seconds, steps=1 << 16)
        best, spread = 0.0, 1.0
        for _ in range(args.rounds):
            b, sp = one_round(lambda: call(chained, iters), args.calls)
            best = max(best, b)
            spread = min(spread, sp)
        out[f"libm_{name}_1t"] = best
        out[f"libm_{name}_1t_median_over_best"] = spread
        parts.append(f"{name} {best / 1e6:.1f} M evaluations/s, spread {spread:.2f}")
    print("libm probe (pow + exp, 1 thread; independent: the core's shape, chained: the C peer's): "
          + "; ".join(parts))
    return out


def _fast_math(row, args, tset):
    """The heavy-tailed workload with the documented switch simulate(fast_math=True) (vector
    exp/log/pow, not libm's bits): its rates and ratios to the exact core and the peers above."""
    common, core_kw, _ = _split(workloads()["heavy_tailed"])
    kw = dict(core_kw, fast_math=True)
    out = {}
    for th in tset:
        rates = [n / dt for _ in range(args.rounds) for n, dt, _ in
                 (run_core(common, kw, row["steps"], th) for _ in range(args.calls))]
        out[f"core_{th}t"] = max(rates)
        for peer in ("core", "c", "numba"):
            if f"{peer}_{th}t" in row:
                out[f"over_{peer}_{th}t"] = max(rates) / row[f"{peer}_{th}t"]
    print("heavy_tailed with fast_math=True (off by default; not libm's bits): " + "; ".join(
        f"{th}t {out[f'core_{th}t'] / 1e6:.1f} M/s, x exact core {out[f'over_core_{th}t']:.2f}"
        + "".join(f", x{p} {out[f'over_{p}_{th}t']:.2f}" for p in ("c", "numba") if f"over_{p}_{th}t" in out)
        for th in tset))
    return out


def _pair_child(name, steps, barrier, queue):
    common, core_kw, _ = _split(workloads()[name])
    run_core(common, core_kw, 2, 1)               # imports and first-call set-up off the clock
    barrier.wait()
    n, dt, _ = run_core(common, core_kw, steps, 1)
    queue.put(n / dt)


def _pair_rate(name, steps):
    """Summed rate of two independent 1-thread core processes started together: what the machine
    gives two threads that share nothing (the ceiling of the core's 2-thread scaling)."""
    import multiprocessing as mp
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_pair_child, args=(name, steps, barrier, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    rates = [queue.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    return sum(rates)


def _sizes(sizes, args, tset, steps=20_000):
    """ns per update of the core on the quadratic, `steps` steps (no run diverges) at each run count;
    best of --rounds rounds, each round going once through every run count and thread count (a
    drift of the machine's speed hits every run count alike). Every measurement spans the same
    number of updates, those of one call at the largest run count (smaller run counts: identical
    calls back to back, timed together): this machine has fast spells of a fraction of a second,
    and a best over shorter windows catches them more often, which would favour the small run
    counts (measured: best of 0.4-s windows 0.82-0.87 ns at 2000 and 20 000 runs against 1.02 ns
    for the 4-s window of 200 000 runs, with medians of 1.03-1.06 ns for all three)."""
    res = {}
    common, core_kw, _ = _split(workloads(2000)["quadratic"])
    window = max(sizes) * steps
    print(f"per-update cost, quadratic, {steps} steps, best of {args.rounds} interleaved rounds "
          f"of {window:.0e} updates per run count:")
    for _ in range(args.rounds):
        for n in sizes:
            c = dict(common, w0=np.random.default_rng(0).uniform(-1, 1, n))
            reps = max(1, int(round(window / (n * steps))))
            for th in tset:
                ns = sum(run_core(c, core_kw, steps, th)[1] for _ in range(reps)) / (reps * n * steps) * 1e9
                res[f"{n}_{th}t"] = min(res.get(f"{n}_{th}t", np.inf), ns)
    for th in tset:
        print(f"  {th} thread(s): " + ", ".join(f"{n} runs {res[f'{n}_{th}t']:.2f} ns" for n in sizes))
    for th in tset:
        vals = [res[f"{n}_{th}t"] for n in sizes if n >= 2000]
        if len(vals) > 1:
            res[f"spread_from_2000_{th}t"] = max(vals) / min(vals)
            print(f"  {th} thread(s): slowest / fastest per-update cost from 2000 runs on = {max(vals) / min(vals):.2f}")
    return res


if __name__ == "__main__":
    main()
