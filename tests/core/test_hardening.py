"""Hardening of `simulate` (issue 19, core part): bad input gives a ValueError naming the argument,
nothing crashes, hangs or returns garbage.

`BAD` is the table of bad inputs: each row is a call and the argument its ValueError must start
with ("name: ..."). Risky rows (huge allocations, threads, the environment) run in a subprocess with
a timeout, so a crash or an abort fails the test instead of killing the suite. `RUNS` are inputs
that used to crash and must now simply run.
"""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import sgdlab
simmod = sys.modules["sgdlab.simulate"]

I, B = "sgdlab.Interval", "sgdlab.Ball"
# the base call: a sampled 1-D loss, 4 runs
BASE = "landscape='quadratic', lr=0.1, steps=10, w0=np.zeros(4), data=sgdlab.TwoPoint(-1.0)"
HARM = "landscape='harmonic', lr=0.1, steps=10, w0=0.5, n_runs=4"
QUART = "landscape='quartic', data=sgdlab.TwoPoint(-1.0), lr=0.1, steps=10, w0=0.5, n_runs=4"


def call(extra, base=BASE):
    """Source of the keyword arguments: base overridden by extra."""
    return f"{{**dict({base}), **dict({extra})}}" if extra else f"dict({base})"


# (id, source of the simulate kwargs, argument named, risky, environment)
BAD = [
    # threads
    ("env-abc", call(""), "SGDLAB_NUM_THREADS", True, {"SGDLAB_NUM_THREADS": "abc"}),
    ("env-0", call(""), "SGDLAB_NUM_THREADS", True, {"SGDLAB_NUM_THREADS": "0"}),
    ("env-neg", call(""), "SGDLAB_NUM_THREADS", True, {"SGDLAB_NUM_THREADS": "-5"}),
    ("env-float", call(""), "SGDLAB_NUM_THREADS", True, {"SGDLAB_NUM_THREADS": "2.5"}),
    ("n_threads-float", call("n_threads=2.5"), "n_threads", False, None),
    # silent garbage
    ("isotropic-no", call("isotropic='no'"), "isotropic", False, None),
    ("isotropic-False", call("isotropic='False'"), "isotropic", False, None),
    ("isotropic-int", call("isotropic=1"), "isotropic", False, None),
    ("hist-huge-width", call("hist=(-1e308, 1e308, 10)"), "hist", False, None),
    ("stream-wrap", call("stream_offset=2**64 - 1"), "stream_offset", False, None),
    ("stream-wrap-2", call("stream_offset=2**64 - 3"), "stream_offset", False, None),
    ("stream-2**64", call("stream_offset=2**64"), "stream_offset", False, None),
    ("seed-2**64", call("seed=2**64"), "seed", False, None),
    # unbounded
    ("steps-2**63", call("steps=2**63"), "steps", False, None),
    ("steps-1e30", call("steps=1e30"), "steps", False, None),
    ("steps-inf", call("steps=float('inf')"), "steps", False, None),
    ("n_runs-1e9", call("n_runs=10**9, w0=0.0"), "n_runs", True, None),
    ("n_runs-1e8-2d", call("n_runs=10**8", base="landscape='himmelblau', lr=0.1, steps=1, w0=[0.0, 0.0]"),
     "n_runs", True, None),
    ("hist-1e9-bins", call("hist=(0, 1, 10**9)"), "hist", True, None),
    ("hist-2d-huge", call("hist=((0, 1, 10**5), (0, 1, 10**5))",
                          base="landscape='himmelblau', lr=0.001, steps=1, w0=[0.0, 0.0]"), "hist", True, None),
    ("occupancy-1e6", call("n_runs=1000, w0=0.0, occupancy_edges=np.arange(1e6)"), "occupancy_edges", True, None),
    ("snapshots-huge", call("n_runs=10**6, w0=0.0, steps=10**6, snapshots=np.arange(10**6)"), "snapshots",
     True, None),
    ("trajectories-huge", call("n_trajectories=4, steps=10**9"), "n_trajectories", True, None),
    # wrong types
    ("w0-complex", call("w0=1+2j"), "w0", False, None),
    ("w0-complex-array", call("w0=np.array([1+2j, 3])"), "w0", False, None),
    ("w0-str", call("w0='abc'"), "w0", False, None),
    ("w0-None", call("w0=None"), "w0", False, None),
    ("w0-mixed", call("w0=[1.0, 'a']"), "w0", False, None),
    ("landscape-list", call("landscape=['quartic']"), "landscape", False, None),
    ("landscape-None", call("landscape=None"), "landscape", False, None),
    ("landscape-unknown", call("landscape='nope'"), "landscape", False, None),
    ("landscape_params-list", call("landscape_params=[1, 2]", base=QUART),
     "landscape_params", False, None),
    ("landscape_params-str", call("landscape_params={'c': 'abc'}", base=QUART),
     "landscape_params", False, None),
    ("landscape_params-unknown", call("landscape_params={'zz': 1.0}", base=QUART),
     "landscape_params", False, None),
    ("landscape_params-bool", call("landscape_params={'c': True}", base=QUART),
     "landscape_params", False, None),
    ("targets-int", call("targets=5"), "targets", False, None),
    ("targets-list-int", call("targets=[5]"), "targets", False, None),
    ("targets-str", call("targets='abc'"), "targets", False, None),
    ("snapshots-str", call("snapshots=['a']"), "snapshots", False, None),
    ("snapshots-frac", call("snapshots=[1.5]"), "snapshots", False, None),
    ("snapshots-None-item", call("snapshots=[1, None]"), "snapshots", False, None),
    ("hist-int", call("hist=5"), "hist", False, None),
    ("hist-str", call("hist='abc'"), "hist", False, None),
    ("hist-short", call("hist=(0, 1)"), "hist", False, None),
    ("hist-nan", call("hist=(float('nan'), 1, 10)"), "hist", False, None),
    ("occupancy-str", call("occupancy_edges=['a', 'b']"), "occupancy_edges", False, None),
    ("occupancy-int", call("occupancy_edges=5"), "occupancy_edges", False, None),
    ("chunk-nan", call("chunk_updates=float('nan')"), "chunk_updates", False, None),
    ("chunk-0", call("chunk_updates=0"), "chunk_updates", False, None),
    ("chunk-str", call("chunk_updates='100'"), "chunk_updates", False, None),
    ("lr-str", call("lr='0.1'"), "lr", False, None),
    ("lr-complex", call("lr=1j"), "lr", False, None),
    ("max_abs-None", call("max_abs=None"), "max_abs", False, None),
    ("clip-str", call("clip='abc'"), "clip", False, None),
    # regions: the error names the argument
    ("project-interval", call("project=sgdlab.Interval(1, -1)"), "project", False, None),
    ("project-nan", call("project=sgdlab.Interval(float('nan'), 1)"), "project", False, None),
    ("project-str", call("project=sgdlab.Interval('a', 1)"), "project", False, None),
    ("project-ball-neg", call("project=sgdlab.Ball(0, -1)"), "project", False, None),
    ("project-ball-dim", call("project=sgdlab.Ball([0, 0], 1)"), "project", False, None),
    ("exit-interval", call("exit_region=sgdlab.Interval(1, -1)"), "exit_region", False, None),
    ("exit-inf", call("exit_region=sgdlab.Interval(0, float('inf'))"), "exit_region", False, None),
    ("exit-ball-nan", call("exit_region=sgdlab.Ball(0, float('nan'))"), "exit_region", False, None),
    ("exit-ball-str", call("exit_region=sgdlab.Ball(0, 'abc')"), "exit_region", False, None),
    ("exit-box-dim", call("exit_region=sgdlab.Box([0, 0], [1, 1])"), "exit_region", False, None),
    ("targets-interval", call("targets=[sgdlab.Interval(1, -1)]"), "targets", False, None),
    ("targets-ball-0", call("targets=[sgdlab.Ball(0, 0)]"), "targets", False, None),
    ("targets-ball-None", call("targets=[sgdlab.Ball(0, None)]"), "targets", False, None),
    ("targets-ball-center", call("targets=[sgdlab.Ball('a', 1)]"), "targets", False, None),
    ("targets-box-2d", call("targets=[sgdlab.Box([0, 0], [1, 1])]",
                            base="landscape='himmelblau', lr=0.001, steps=1, w0=[0.0, 0.0]"), "targets", False, None),
    # settings that would be ignored
    ("beta1-sgd", call("beta1=5.0"), "beta1", False, None),
    ("beta2-sgd", call("beta2=0.9"), "beta2", False, None),
    ("eps-sgd", call("eps=1e-8"), "eps", False, None),
    ("beta1-gd", call("optimizer='gd', beta1=0.9"), "beta1", False, None),
    ("beta1-adam-str", call("optimizer='adam', beta1='abc'"), "beta1", False, None),
    ("noise_scale-no-noise", call("noise_scale=2.0"), "noise_scale", False, None),
    ("noise_scale-obj-no-noise", call("noise_scale=sgdlab.Constant(2.0)"), "noise_scale", False, None),
    ("batch-deterministic", call("batch_size=4", base=HARM), "batch_size", False, None),
    ("stop_at_exit-alone", call("stop_at_exit=True"), "stop_at_exit", False, None),
    ("stop_at_target-alone", call("stop_at_target=True"), "stop_at_target", False, None),
    ("stop_at_exit-str", call("stop_at_exit='yes', exit_region=sgdlab.Interval(-1, 1)"), "stop_at_exit", False, None),
    ("log_growth-str", call("log_growth='no'"), "log_growth", False, None),
    # bools are not numbers, for every numeric argument alike
    ("lr-bool", call("lr=True"), "lr", False, None),
    ("n_runs-bool", call("n_runs=True, w0=0.0"), "n_runs", False, None),
    ("steps-bool", call("steps=True"), "steps", False, None),
    ("max_abs-bool", call("max_abs=True"), "max_abs", False, None),
    ("clip-bool", call("clip=True"), "clip", False, None),
    ("noise_scale-bool", call("noise='gaussian', noise_scale=True"), "noise_scale", False, None),
    ("seed-bool", call("seed=True"), "seed", False, None),
    ("batch-bool", call("batch_size=True"), "batch_size", False, None),
]

# inputs that used to crash the interpreter (segfault or libgomp abort): they must run
RUNS = [
    ("n_threads-1e5", call("n_threads=10**5", base=HARM.replace("steps=10", "steps=1")), None),
    ("n_threads-1e6", call("n_threads=10**6", base=HARM.replace("steps=10", "steps=1")), None),
    ("n_threads-1e9-hist", call("n_threads=10**9, hist=(-1, 1, 10)"), None),
    ("env-1e5", call("n_runs=1000, w0=0.0"), {"SGDLAB_NUM_THREADS": "100000"}),
]

_CHILD = """
import sys, warnings
import numpy as np
import sgdlab
kw = {kw}
landscape = kw.pop("landscape")
warnings.simplefilter("ignore")
try:
    res = sgdlab.simulate(landscape, **kw)
except ValueError as exc:
    print("ValueError:" + str(exc))
else:
    print("OK:" + repr(np.asarray(res.final).ravel()[:3].tolist()))
"""


def _run_child(kw_src, env=None, timeout=120):
    full_env = dict(os.environ)
    full_env.pop("SGDLAB_NUM_THREADS", None)
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-c", _CHILD.format(kw=kw_src)], capture_output=True,
                          text=True, timeout=timeout, env=full_env)
    assert proc.returncode == 0, f"child died (status {proc.returncode}): {proc.stderr[-2000:]}"
    return proc.stdout.strip().splitlines()[-1]


def _outcome(kw_src, risky, env):
    """'ValueError:<message>' or 'OK:...' (other exceptions propagate / fail the child)."""
    if risky or env:
        return _run_child(kw_src, env)
    kw = eval(kw_src, {"np": np, "sgdlab": sgdlab})
    landscape = kw.pop("landscape")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sgdlab.simulate(landscape, **kw)
        except ValueError as exc:
            return "ValueError:" + str(exc)
    return "OK"


@pytest.mark.parametrize("kw_src,name,risky,env", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises_value_error_naming_it(kw_src, name, risky, env):
    out = _outcome(kw_src, risky, env)
    assert out.startswith(f"ValueError:{name}: "), out


@pytest.mark.parametrize("kw_src,env", [r[1:] for r in RUNS], ids=[r[0] for r in RUNS])
def test_absurd_thread_counts_run(kw_src, env):
    out = _run_child(kw_src, env)
    assert out.startswith("OK:"), out


def test_thread_cap():
    cpus = os.cpu_count() or 1
    assert simmod._cap_threads(10**9, 10**9) == simmod.THREADS_PER_CPU * cpus
    assert simmod._cap_threads(10**6, 100) == min(7, simmod.THREADS_PER_CPU * cpus)
    assert simmod._cap_threads(1, 100) == 1
    # the cap does not change results
    kw = dict(noise="gaussian", lr=0.1, steps=50, w0=0.5, n_runs=100, seed=3, hist=(-2, 2, 20))
    a = sgdlab.simulate("double_well", n_threads=1, **kw)
    b = sgdlab.simulate("double_well", n_threads=10**6, **kw)
    np.testing.assert_array_equal(a.final, b.final)
    np.testing.assert_array_equal(a.hist, b.hist)


def test_valid_edge_values_still_accepted():
    kw = dict(lr=0.1, steps=3, w0=0.5, n_runs=4)
    sgdlab.simulate("harmonic", stream_offset=2**64 - 4, **kw)
    sgdlab.simulate("harmonic", seed=2**64 - 1, **kw)
    sgdlab.simulate("harmonic", isotropic=np.bool_(False), noise_scale=1.0, beta1=0.0, beta2=0.999,
                    eps=0.0, batch_size=1, chunk_updates=2e7, steps=3.0, lr=0.1, w0=0.5, n_runs=4)
    sgdlab.simulate("harmonic", noise="gaussian", noise_scale=np.float64(0.5), **kw)
    sgdlab.simulate("harmonic", hist=(-1e300, 1e300, 10), **kw)
    sgdlab.simulate("harmonic", chunk_updates=None, **kw)      # the default: chunks of ~0.25 s


# ---------------------------------------------------------------------- exit and divergence in one step

def test_exit_and_divergence_in_one_step_records_both():
    # harmonic, lr = 1000: w_1 = w_0 - 1000 w_0 = -999 w_0, beyond max_abs = 100 and outside [-5, 5]
    with pytest.warns(sgdlab.DivergenceWarning):
        res = sgdlab.simulate("harmonic", lr=1000.0, steps=5, w0=1.0, n_runs=3, max_abs=100.0,
                              exit_region=sgdlab.Interval(-5, 5))
    assert np.all(res.diverged) and np.all(res.diverged_step == 1)
    assert np.all(res.exit_step == 1)
    np.testing.assert_array_equal(res.exit_state, -999.0)
    # with stop_at_exit the run is still flagged diverged
    with pytest.warns(sgdlab.DivergenceWarning):
        res = sgdlab.simulate("harmonic", lr=1000.0, steps=5, w0=1.0, n_runs=3, max_abs=100.0,
                              exit_region=sgdlab.Interval(-5, 5), stop_at_exit=True)
    assert np.all(res.diverged) and np.all(res.exit_step == 1) and np.all(res.stop_step == 1)
    # diverged but still inside a region larger than max_abs: no exit
    with pytest.warns(sgdlab.DivergenceWarning):
        res = sgdlab.simulate("harmonic", lr=1000.0, steps=5, w0=1.0, n_runs=3, max_abs=100.0,
                              exit_region=sgdlab.Interval(-1e6, 1e6))
    assert np.all(res.diverged) and np.all(res.exit_step == -1)
    # a non-finite iterate is outside every region (2-D ball too)
    with pytest.warns(sgdlab.DivergenceWarning):
        res = sgdlab.simulate("harmonic", lr=1e300, steps=5, w0=1e300, n_runs=2,
                              exit_region=sgdlab.Interval(-1e308, 1e308), max_abs=1e308)
    assert np.all(res.diverged) and np.all(res.exit_step == 1)


def test_issue_example_exit_never_lost():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sgdlab.DivergenceWarning)
        res = sgdlab.simulate("double_well", noise=sgdlab.make_noise("pareto", alpha=0.5), noise_scale=0.5,
                              lr=0.05, steps=2000, w0=1.0, n_runs=500, max_abs=20.0,
                              exit_region=sgdlab.Interval(-5, 5))
    assert res.n_diverged > 0
    # every diverged run left [-5, 5] (|w| > 20) at or before its divergence step
    assert np.all(res.exit_step[res.diverged] >= 0)
    assert np.all(res.exit_step[res.diverged] <= res.diverged_step[res.diverged])


# ---------------------------------------------------------------------- squared radii

@pytest.mark.parametrize("steps", [0, 3])
def test_huge_ball_exit_from_outside(steps):
    kw = dict(lr=0.1, steps=steps, w0=1e201, n_runs=2, max_abs=1e300)
    res = sgdlab.simulate("harmonic", exit_region=sgdlab.Ball(0, 1e200), **kw)
    assert np.all(res.exit_step == 0)
    res = sgdlab.simulate("harmonic", exit_region=sgdlab.Ball(0, 1e202), **kw)
    assert np.all(res.exit_step == -1)
    # 2-D (himmelblau's gradient overflows out there: the runs diverge at step 1, and a diverged
    # run's non-finite iterate counts as outside)
    w0 = [[1e201, 0.0], [0.0, 9e199]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sgdlab.DivergenceWarning)
        res = sgdlab.simulate("himmelblau", lr=1e-300, steps=steps, w0=w0, optimizer="gd", max_abs=1e300,
                              exit_region=sgdlab.Ball([0.0, 0.0], 1e200))
    np.testing.assert_array_equal(res.exit_step, [0, -1 if steps == 0 else 1])


@pytest.mark.parametrize("steps", [0, 3])
def test_tiny_ball_target(steps):
    res = sgdlab.simulate("harmonic", lr=0.1, steps=steps, w0=1.0, n_runs=2, targets=[sgdlab.Ball(0, 1e-200)])
    assert np.all(res.hit_step == -1)
    res = sgdlab.simulate("harmonic", lr=0.1, steps=steps, w0=[1e-201, 2e-200],
                          targets=[sgdlab.Ball(0, 1e-200)])
    np.testing.assert_array_equal(res.hit_step, [0, -1])
    w0 = [[1e-201, 1e-201], [1e-200, 1e-200], [1.0, 1.0]]
    res = sgdlab.simulate("himmelblau", lr=1e-300, steps=steps, w0=w0, optimizer="gd",
                          targets=[sgdlab.Ball([0.0, 0.0], 1e-200)])
    np.testing.assert_array_equal(res.hit_step, [0, -1, -1])


# ---------------------------------------------------------------------- memory

def test_trajectory_steps_computed_not_stored():
    res = sgdlab.simulate("harmonic", lr=0.1, steps=1000, w0=0.5, n_runs=3, n_trajectories=2, thin=7)
    assert res.trajectory_frames == (1000 // 7 + 1, 7)
    np.testing.assert_array_equal(res.trajectory_steps, np.arange(1000 // 7 + 1) * 7)
    assert res.trajectory_steps.dtype == np.int64
    assert not any(isinstance(v, np.ndarray) and v.size == 1000 // 7 + 1 and v.dtype == np.int64
                   for v in vars(res).values())
    res = sgdlab.simulate("harmonic", lr=0.1, steps=10, w0=0.5, n_runs=3)
    assert res.trajectory_steps.size == 0 and res.trajectories is None


def test_counts(capsys):
    """The closing note's numbers: rows in BAD, all must name their argument (checked above)."""
    with capsys.disabled():
        print(f"\nhardening: {len(BAD)} bad inputs, {len(RUNS)} crash inputs that must run")


def test_ball_projection_huge_and_tiny_radii():
    res = sgdlab.simulate("harmonic", lr=0.1, steps=1, w0=1e201, n_runs=2, max_abs=1e300,
                          project=sgdlab.Ball(0, 1e200))
    np.testing.assert_allclose(res.final, 1e200, rtol=1e-15)
    res = sgdlab.simulate("harmonic", lr=0.1, steps=1, w0=-1e-199, n_runs=2, project=sgdlab.Ball(0, 1e-200))
    np.testing.assert_allclose(res.final, -1e-200, rtol=1e-15)
    res = sgdlab.simulate("himmelblau", lr=1e-300, steps=1, w0=[[1e-199, 1e-199]], optimizer="gd",
                          project=sgdlab.Ball([0.0, 0.0], 1e-200))
    np.testing.assert_allclose(np.hypot(*res.final[0]), 1e-200, rtol=1e-15)
