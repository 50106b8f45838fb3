"""The kernel-free explorer of the escape-rate chapter (sgdlab/chapters/saddle_escape/web.py)."""
import numpy as np
import pytest

from sgdlab.chapters.saddle_escape import theory as th
from sgdlab.chapters.saddle_escape import web


@pytest.fixture(scope="module")
def P():
    try:  # the chapter's parameter table, where it exists; else the notebook's parameters cell
        from sgdlab.chapters.saddle_escape.experiments import PARAMS
        return dict(PARAMS.validate())
    except ImportError:
        return dict(a=-1.0, a_values=[-0.1, -0.25, -0.5, -1.0, -2.0], n_runs=2000, steps=50, seed=0)


@pytest.fixture(scope="module")
def small(P):
    return web.build_explorer(P, stream_offset=10**12, small=True)


def test_every_point_has_data_and_a_verdict(small):
    s = small.summary()
    assert len(s["points"]) == 4
    for p, a in zip(s["points"], s["axes"]["a"]):
        assert p["text"].startswith("a = ") and isinstance(p["ok"], bool)
        # the simulated curve contains λ* of this a
        lrs = small._data["sim"][(s["points"].index(p),)]["lr"]
        assert min(abs(np.array(lrs) - th.optimal_lr(a))) < 1e-5
    assert all(p["ok"] for p in s["points"])


def test_star_marks_prop3(small):
    for k, a in enumerate(small.axes[0][1]):
        d = small._data["star"][(k,)]
        assert d["x"][0] == pytest.approx(float(th.optimal_lr(a)), rel=1e-4)
        assert d["y1"][0] == pytest.approx(float(th.optimal_rate(a)), rel=1e-4)


def test_wrong_theory_flips_verdicts(P, monkeypatch):
    """μ with the paper's 'E x = a' reading (x in {1, a}) must be caught by the simulated rates."""
    real = th.mu
    monkeypatch.setattr(web.th, "mu", lambda a, lr: real(np.asarray(a) + 1.0, lr))
    xp = web.build_explorer(P, stream_offset=10**12, small=True)
    assert sum(not p["ok"] for p in xp.summary()["points"]) >= 2


def test_reproducible(P, small):
    assert web.build_explorer(P, stream_offset=10**12, small=True).summary() == small.summary()
    assert web.build_explorer(dict(P, seed=P["seed"] + 1), stream_offset=10**12,
                              small=True).summary() != small.summary()


def test_streams(P):
    assert web.n_streams(P) == len(web.A_VALUES) * (len(web.LRS) + 1) * web.RUNS


@pytest.mark.slow
def test_page_weight_at_default_parameters(P):
    xp = web.build_explorer(P, stream_offset=10**12)
    assert len(xp.html()) <= 1_000_000
    assert all(p["ok"] for p in xp.summary()["points"])
