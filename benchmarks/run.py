"""Benchmark of the compiled core against the NumPy reference (`make bench`).

Six workloads of 2000 runs. For each: updates per second of the core with 1 thread and with all
threads, and of the NumPy reference (sgdlab.reference: vectorised over runs, a Python loop over
steps), measured in the same process. The step counts are calibrated so that each timed call lasts
at least `--min-seconds`. Prints a table and writes _build/bench.json:
{workload: {"core_1t": ..., "core_all": ..., "numpy": ...}} in updates/s.
"""
import argparse
import json
import os
import sys
import time

# OpenBLAS worker threads spin after numpy calls and would steal the cores the timed code runs on;
# nothing here uses BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import sgdlab
from sgdlab.reference import simulate_reference

N_RUNS = 2000


def workloads():
    rng = np.random.default_rng(0)
    u1 = rng.uniform(-1, 1, N_RUNS)
    u2 = rng.uniform(-1, 1, (N_RUNS, 2))
    h2 = rng.uniform(-5, 5, (N_RUNS, 2))
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
        "heavy_tailed": (dict(landscape="four_well", lr=0.01, w0=np.full(N_RUNS, -0.7), clip=0.5),
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


def time_core(common, core_kw, steps, threads):
    kw = dict(common)
    name = kw.pop("landscape")
    t0 = time.perf_counter()
    res = sgdlab.simulate(name, steps=steps, n_threads=threads, seed=1, **kw, **core_kw)
    dt = time.perf_counter() - t0
    return res.updates / dt, dt


def time_numpy(common, ref_kw, steps):
    kw = dict(common)
    name = kw.pop("landscape")
    if "noise" in kw and not isinstance(kw["noise"], str):
        kw.pop("noise")
    t0 = time.perf_counter()
    out = simulate_reference(name, steps=steps, seed=1, **kw, **ref_kw)
    dt = time.perf_counter() - t0
    return N_RUNS * steps / dt, dt


def calibrated(fn, min_seconds, steps=64):
    while True:
        rate, dt = fn(steps)
        if dt >= min_seconds:
            return rate, steps
        steps = int(steps * max(2.0, 1.2 * min_seconds / max(dt, 1e-4)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-seconds", type=float, default=1.0)
    ap.add_argument("--out", default=os.path.join("_build", "bench.json"))
    ap.add_argument("--only", nargs="*", help="workload names")
    args = ap.parse_args(argv)
    threads = sgdlab.default_threads()
    table = {}
    print(f"sgdlab benchmark: {N_RUNS} runs per workload, core with 1 and {threads} threads "
          f"vs the NumPy reference (updates/s; each timing >= {args.min_seconds:g} s)")
    header = f"{'workload':<14}{'core 1t':>12}{f'core {threads}t':>12}{'numpy':>12}{'x numpy':>9}{'scaling':>9}"
    print(header)
    print("-" * len(header))
    for name, entry in workloads().items():
        if args.only and name not in args.only:
            continue
        common, core_kw, ref_kw = _split(entry)
        c1, steps = calibrated(lambda s: time_core(common, core_kw, s, 1), args.min_seconds)
        call, _ = time_core(common, core_kw, steps, threads)
        npy, _ = calibrated(lambda s: time_numpy(common, ref_kw, s), args.min_seconds, steps=16)
        table[name] = {"core_1t": c1, "core_all": call, "numpy": npy, "threads": threads, "core_steps": steps}
        print(f"{name:<14}{c1:12.3g}{call:12.3g}{npy:12.3g}{call / npy:9.1f}{call / c1:9.2f}")
        sys.stdout.flush()
    if table:
        speed = np.exp(np.mean([np.log(v["core_all"] / v["numpy"]) for v in table.values()]))
        scale = np.exp(np.mean([np.log(v["core_all"] / v["core_1t"]) for v in table.values()]))
        print("-" * len(header))
        print(f"geometric mean: core ({threads} threads) / numpy = {speed:.1f}x; "
              f"scaling 1 -> {threads} threads = {scale:.2f}x")
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w") as fh:
            json.dump({k: {kk: vv for kk, vv in v.items()} for k, v in table.items()}, fh, indent=2)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
