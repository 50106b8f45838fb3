"""The AVX2 kernels (sgdlab/_simd.h) give the same bits as the scalar loops (SGDLAB_NO_SIMD=1)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import sgdlab
import sgdlab.noise

CODE = """
import sys, numpy as np, sgdlab
w2 = np.random.default_rng(1).uniform(-4, 4, (203, 2))
a = sgdlab.simulate("himmelblau", noise="gaussian", noise_scale=100.0, lr=0.002, w0=w2, steps=300,
                    seed=5, n_threads=2).final
b = sgdlab.simulate("sharp2d", data=sgdlab.TwoPoint(0.3), lr=0.05, w0=w2 / 4, steps=300, seed=6,
                    project=sgdlab.Box(-1, 1), n_threads=2).final
c = sgdlab.simulate("quadratic", data=sgdlab.GaussianData(0.2, 1.0), noise="gaussian", noise_scale=0.5,
                    lr=0.1, w0=w2[:, 0], steps=300, seed=7, n_threads=1).final
np.save(sys.argv[1], np.concatenate([a.ravel(), b.ravel(), c.ravel()]))
"""


def _run(tmp_path, name, no_simd):
    env = dict(os.environ)
    env.pop("SGDLAB_NO_SIMD", None)
    if no_simd:
        env["SGDLAB_NO_SIMD"] = "1"
    out = tmp_path / f"{name}.npy"
    subprocess.run([sys.executable, "-c", CODE, str(out)], check=True, env=env, timeout=300)
    return np.load(out)


@pytest.mark.skipif(not sgdlab.noise.SIMD, reason="the CPU has no AVX2 (or SGDLAB_NO_SIMD is set)")
def test_simd_and_scalar_paths_are_bit_identical(tmp_path):
    a = _run(tmp_path, "simd", False)
    b = _run(tmp_path, "scalar", True)
    assert np.isfinite(a).mean() > 0.9
    np.testing.assert_array_equal(a, b)
