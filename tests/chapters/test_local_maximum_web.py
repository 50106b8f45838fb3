"""The kernel-free explorer of the local-maximum chapter (sgdlab/chapters/local_maximum/web.py)."""
import numpy as np
import pytest

from sgdlab.chapters.local_maximum import theory as th
from sgdlab.chapters.local_maximum import web


@pytest.fixture(scope="module")
def P():
    try:  # the chapter's parameter table, where it exists; else the notebook's parameters cell
        from sgdlab.chapters.local_maximum.experiments import PARAMS
        return dict(PARAMS.validate())
    except ImportError:
        return dict(a=-1.0, lr=0.8, n_runs=2000, steps=200, eps=0.001, seed=0)


@pytest.fixture(scope="module")
def small(P):
    return web.build_explorer(P, stream_offset=10**12, small=True)


def test_every_point_has_data_and_a_verdict(small):
    s = small.summary()
    assert len(s["points"]) == 16 == np.prod(small.shape)
    for p in s["points"]:
        assert p["text"] and isinstance(p["ok"], bool)
        assert len(p["head"]["hist"]["n"]) == 3 and len(p["head"]["here"]["a"]) == 1
    # a correct implementation passes everywhere (family-wise failure probability 1e-4)
    assert all(p["ok"] for p in s["points"])


def test_histogram_counts_all_runs_and_exact_law_is_a_distribution(small):
    runs = web._grid(True)[2]
    for p in small.points:
        d = small._data["hist"][p]
        assert sum(d["n"]) <= runs and sum(d["n"]) >= 0.95 * runs
        assert abs(sum(d["e"]) - runs) <= 0.01 * runs  # the bins hold >= 99% of the exact law


def test_exact_cdf_matches_prob_abs_le():
    for a, lr in [(-1.0, 0.8), (-2.5, 1.3), (-0.25, 0.2)]:
        ys = np.array([1e-6, 1e-3, 0.5, 3.0])
        got = web.exact_cdf_abs(ys, a, lr, 50)
        want = [th.prob_abs_le(y, a, lr, 50) for y in ys]
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


def test_wrong_law_flips_verdicts(P, monkeypatch):
    """With the paper's 'E x = a' misreading (x in {1, a} instead of {1, a - 1}) the exact law is wrong
    and the verdicts must say so somewhere on the grid."""
    real = th.log_scales

    def wrong(a, lr, t):
        return real(a + 1.0, lr, t)

    monkeypatch.setattr(web.th, "log_scales", wrong)
    xp = web.build_explorer(P, stream_offset=10**12, small=True)
    assert sum(not p["ok"] for p in xp.summary()["points"]) >= 4


def test_reproducible(P, small):
    again = web.build_explorer(P, stream_offset=10**12, small=True)
    assert again.summary() == small.summary()
    other = web.build_explorer(dict(P, seed=P["seed"] + 1), stream_offset=10**12, small=True)
    assert other.summary() != small.summary()


def test_streams_disjoint_and_counted(P):
    assert web.n_streams(P) == len(web.A_VALUES) * len(web.LRS) * web.RUNS
    assert web.n_streams(P, small=True) == 16 * web._grid(True)[2]


@pytest.mark.slow
def test_page_weight_at_default_parameters(P):
    xp = web.build_explorer(P, stream_offset=10**12)
    assert len(xp.html()) <= 1_000_000
    assert len(xp.summary()["points"]) == len(web.A_VALUES) * len(web.LRS)
