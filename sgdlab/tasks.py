"""Phase-diagram tasks for `sgdlab.sweep`: escape from the local maximum of Ziyin et al.'s models."""
import numpy as np

import sgdlab
from sgdlab._random import uniform_per_stream


def initial_points(seed, stream_offset, n_runs, low=-1.0, high=1.0):
    """w0 ~ U[low, high] for runs stream_offset..stream_offset+n_runs-1, the same whatever the chunking."""
    # a seed different from the simulation's, so the start is independent of the run's draws
    u = uniform_per_stream((seed + 0x5EED_1A17) % 2**64, stream_offset, n_runs)
    return low + (high - low) * u


def quadratic_escape(point, n_runs, seed, stream_offset):
    """One chunk of the (a, lr) phase diagram (Ziyin et al. Fig. 2 left / Fig. 5).

    point: {"a", "lr"} and optionally "loss" ("quadratic" or "quartic"), "steps" (200),
    "threshold" (0.05: half-width of the central histogram bins that count as 'not escaped').
    Runs start from w0 ~ U[-1, 1] and are stopped when |w| > 1e6 (escaped for sure).
    Returns per-run outputs: escaped (|w_T| > threshold or stopped/diverged), log_abs_final.
    """
    loss = point.get("loss", "quadratic")
    steps = int(point.get("steps", 200))
    thr = float(point.get("threshold", 0.05))
    w0 = initial_points(seed, stream_offset, n_runs)
    res = sgdlab.simulate(loss, data=sgdlab.TwoPoint(point["a"]), lr=point["lr"], steps=steps, w0=w0,
                          exit_region=sgdlab.Interval(-1e6, 1e6), stop_at_exit=True, seed=seed,
                          stream_offset=stream_offset, max_abs=1e12)
    final = np.where(res.ok, res.final, np.inf)
    gone = (res.exit_step >= 0) | res.diverged
    with np.errstate(divide="ignore"):
        logabs = np.where(gone, np.inf, np.log(np.abs(final)))
    return {"escaped": (gone | (np.abs(final) > thr)).astype(float), "log_abs_final": logabs}
