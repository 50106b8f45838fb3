"""The kernel-free explorer of the AMSGrad chapter (sgdlab/chapters/amsgrad/web.py)."""
import numpy as np
import pytest

from sgdlab.chapters.amsgrad import theory as th
from sgdlab.chapters.amsgrad import web


@pytest.fixture(scope="module")
def P():
    try:  # the chapter's parameter table, where it exists; else the notebook's parameters cell
        from sgdlab.chapters.amsgrad.experiments import PARAMS
        return dict(PARAMS.validate())
    except ImportError:
        return dict(a=-0.1, lr=0.2, beta2=0.999, n_runs=2000, steps=50000, gd_lr=0.01, seed=0)


@pytest.fixture(scope="module")
def small(P):
    return web.build_explorer(P, stream_offset=10**12, small=True)


def test_every_point_has_data_and_a_verdict(small):
    s = small.summary()
    B, L, runs, steps = web._grid(True)
    assert len(s["points"]) == len(B) * len(L)
    for pt in small.points:
        ok, text = small._verdicts[pt]
        assert text.startswith("β1 = ") and "GD exact" in text and "(1 − a)²" in text
        assert ("Prop. 5" in text) == (B[pt[0]] == 0.0)
        for key in ("amsgrad", "adam", "gd"):
            d = small._data[key][pt]
            assert len(d["t"]) == len(d["m"]) >= 40
    assert all(p["ok"] for p in s["points"])


def test_gd_curve_is_the_exact_mean(small, P):
    B, L, runs, steps = web._grid(True)
    w0 = web.xp_.initial_points(runs, P["seed"])
    for pt in small.points:
        d = small._data["gd"][pt]
        t = np.asarray(web._t_grid(steps))
        want = th.gd_abs_path(P["a"], L[pt[1]], t, w0).mean(axis=0)
        np.testing.assert_allclose(d["exact"], want, rtol=1e-4)


def test_wrong_gd_law_flips_verdicts(P, monkeypatch):
    """GD with the paper's 'E x = a' (factor 1 − λa instead of 1 − λa/2) must disagree with the core."""
    monkeypatch.setattr(web.th, "gd_abs_path",
                        lambda a, lr, t, w0: np.minimum(1.0, np.multiply.outer(np.abs(w0), (1 - lr * a) ** np.asarray(t, float))))
    xp = web.build_explorer(P, stream_offset=10**12, small=True)
    assert not any(p["ok"] for p in xp.summary()["points"])


def test_wrong_drift_sign_flips_prop5(P, monkeypatch):
    real = th.mu_eff
    monkeypatch.setattr(web.th, "mu_eff", lambda a, le: -real(a, le))
    xp = web.build_explorer(P, stream_offset=10**12, small=True)
    s = xp.summary()
    B = web._grid(True)[0]
    flipped = [not p["ok"] for p, pt in zip(s["points"], xp.points) if B[pt[0]] == 0.0]
    assert any(flipped)


def test_reproducible(P, small):
    assert web.build_explorer(P, stream_offset=10**12, small=True).summary() == small.summary()
    assert web.build_explorer(dict(P, seed=P["seed"] + 1), stream_offset=10**12,
                              small=True).summary() != small.summary()


def test_streams(P):
    assert web.n_streams(P) == len(web.BETA1S) * len(web.LRS) * web.RUNS


@pytest.mark.slow
def test_page_weight_at_default_parameters(P):
    xp = web.build_explorer(P, stream_offset=10**12)
    assert len(xp.html()) <= 1_000_000
    assert all(p["ok"] for p in xp.summary()["points"])
