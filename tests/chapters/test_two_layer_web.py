"""The two-layer chapter's kernel-free explorer (sgdlab/chapters/two_layer/web.py): complete grid,
verdicts that follow the theory, reproducible, page weight within budget."""
import numpy as np
import pytest

from sgdlab.chapters.two_layer import web

P = dict(a=-0.2, lr=0.5, batch=1, n_runs=2000, steps=2000, seed=0)


@pytest.fixture(scope="module")
def small():
    return web.build_explorer(P, stream_offset=10**12, small=True)


def test_every_point_has_data_and_verdict(small):
    s = small.summary()
    batches, lrs, n, _ = web.grid(P, small=True)
    assert len(s["points"]) == len(batches) * len(lrs)
    for p in s["points"]:
        assert p["text"] and p["text"].startswith("P(origin)")
        assert len(p["head"]["final"]["u"]) > 0 and len(p["head"]["row"]["lr"]) == 3
    assert web.n_streams(P, small=True) == len(batches) * len(lrs) * n


def test_verdicts_pass_and_follow_theory(small, monkeypatch):
    s = small.summary()
    assert all(p["ok"] for p in s["points"]), [p["text"] for p in s["points"] if not p["ok"]]
    # S = 1 at λ = 0.5 and 0.8 is captured (both exponents < 0), S = 8 escapes: the simulated fractions say so
    fr = {(i, j): float(p["text"].split()[2].rstrip(";,")) for (i, j), p in
          zip(np.ndindex(3, 3), s["points"])}
    assert fr[0, 1] > 0.9 and fr[0, 2] > 0.9 and fr[2, 1] < 0.1
    # a wrong theory (the walk's drift with the opposite sign) must flip verdicts
    real = web._walk
    monkeypatch.setattr(web, "_walk", lambda *a: (-real(*a)[0],) + real(*a)[1:])
    wrong = web.build_explorer(P, stream_offset=10**12, small=True).summary()
    assert sum(not p["ok"] for p in wrong["points"]) >= 3


def test_band_brackets_exact_walk_probability():
    # S = 1: ln|h_T/h_0| = k ln|1 - λ| + (T - k) ln|1 + λ(1 - a)|, k ~ Binomial(T, 1/2): exact P_h
    from scipy import stats
    a, lr, T = -0.2, 0.4, 300
    h0, m0 = np.array([1e-3]), np.array([1e-15])     # m starts below the threshold and shrinks
    l1, l2 = np.log(1 - lr), np.log(1 + lr * (1 - a))
    k = np.arange(T + 1)
    ok = np.log(h0[0]) + k * l1 + (T - k) * l2 < np.log(web.TAU)
    exact_h = stats.binom.pmf(k, T, 0.5)[ok].sum()
    lo, hi = web.linear_band(a, lr, 1, T, h0, m0)
    assert lo <= exact_h <= hi and hi - lo < 0.1


def test_reproducible(small):
    again = web.build_explorer(P, stream_offset=10**12, small=True)
    assert again.summary() == small.summary()


def test_page_weight_at_defaults():
    xp = web.build_explorer(P, stream_offset=10**12)
    assert len(xp.html()) <= 1_000_000
    s = xp.summary()
    assert len(s["points"]) == len(web.BATCHES) * len(web.LRS)
