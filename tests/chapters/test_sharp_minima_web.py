"""The kernel-free explorer of the sharp-minima chapter (sgdlab/chapters/sharp_minima/web.py)."""
import numpy as np
import pytest

from sgdlab.chapters.sharp_minima import theory as th
from sgdlab.chapters.sharp_minima import web


@pytest.fixture(scope="module")
def P():
    try:  # the chapter's parameter table, where it exists; else the notebook's parameters cell
        from sgdlab.chapters.sharp_minima.experiments import PARAMS
        return dict(PARAMS.validate())
    except ImportError:
        return dict(a=0.5, lr=0.05, b=None, n_runs=2000, steps=10000, seed=0)


@pytest.fixture(scope="module")
def small(P):
    return web.build_explorer(P, stream_offset=10**12, small=True)


def test_every_point_has_data_and_a_verdict(small):
    s = small.summary()
    L, A, runs, _ = web._grid(True)
    assert len(s["points"]) == len(L) * len(A)
    for k, p in enumerate(s["points"]):
        assert p["text"].startswith("λ = ") and (p["ok"] is None or isinstance(p["ok"], bool))
    for pt in small.points:
        sweep = small._data["sweep"][pt]
        tot = np.array(sweep["sharp"]) + np.array(sweep["flat"]) + np.array(sweep["rest"])
        np.testing.assert_allclose(tot, 1.0, atol=1e-4)      # every run is counted once
    assert all(p["ok"] is not False for p in s["points"])


def test_proof_checked_below_the_corrected_bound_only(small):
    L = small.axes[0][1]
    for pt in small.points:
        text = small._verdicts[pt][1]
        if th.proof_mu(L[pt[0]]) < 0:
            assert "corrected Prop. 4" in text and "allowed ≤" in text
            assert small._verdicts[pt][0] is True
        else:
            assert "guarantees nothing" in text
            assert small._verdicts[pt][0] is None      # shown as "no claim", never as a ✓
    assert any(th.proof_mu(lr) < 0 for lr in L) and any(th.proof_mu(lr) > 0 for lr in L)


def test_printed_proof_is_contradicted(P, monkeypatch):
    """With Eq. 92 as printed (r(−1) without its factor 2) the guarantee would reach λ = 0.1725; the runs
    trapped on the line w2 = 0 at λ = 0.16 contradict it, so verdicts flip."""
    real = th.proof_r
    monkeypatch.setattr(web.th, "proof_r", lambda lr, b=None: (real(lr, b)[0], real(lr, b)[1] / 2))
    xp = web.build_explorer(P, stream_offset=10**12, small=True)
    assert sum(p["ok"] is False for p in xp.summary()["points"]) >= 1


def test_reproducible(P, small):
    assert web.build_explorer(P, stream_offset=10**12, small=True).summary() == small.summary()
    assert web.build_explorer(dict(P, seed=P["seed"] + 1), stream_offset=10**12,
                              small=True).summary() != small.summary()


def test_streams(P):
    assert web.n_streams(P) == len(web.LRS) * len(web.A_VALUES) * web.RUNS


@pytest.mark.slow
def test_page_weight_at_default_parameters(P):
    xp = web.build_explorer(P, stream_offset=10**12)
    assert len(xp.html()) <= 1_000_000
    assert all(p["ok"] is not False for p in xp.summary()["points"])
