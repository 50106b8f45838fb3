"""The heavy-tails chapter's kernel-free explorer (sgdlab/chapters/heavy_tails/web.py): complete grid,
verdicts computed against the Markov chain, reproducible, page weight in budget."""
import math

import numpy as np
import pytest

from sgdlab.chapters.heavy_tails import experiments as ex
from sgdlab.chapters.heavy_tails import theory as th
from sgdlab.chapters.heavy_tails import web

P = dict(alpha=1.2, b=0.5, eta=0.01, steps=10_000_000, n_paths=4, x0=0.3, noise_scale=0.1,
         noise="pareto", seed=0)


@pytest.fixture(scope="module")
def small():
    return web.build_explorer(P, stream_offset=10**12, small=True)


def test_every_point_has_data_and_verdict(small):
    s = small.summary()
    alphas, bs, _, _ = web.grid(P, small=True)
    assert len(s["points"]) == len(alphas) * len(bs)
    for p in s["points"]:
        assert p["text"].startswith("time in Ω1..Ω4")
        assert len(p["head"]["occ"]["sim"]) == 3
    assert web.n_streams(P, small=True) == len(alphas) * len(bs) * web.N_PATHS


def test_grid_is_irreducible_with_closed_form_constants():
    cp = ex.critical_points()
    for b in web.BS:
        bb = math.inf if b >= 2 * th.L_PROJ else b
        assert th.transition_graph(cp["m"], cp["s"], bb)["irreducible"], b
        assert max(th.jump_counts(cp["m"], cp["s"], bb)[0]) <= 2


def test_finite_eta_chain_tends_to_the_ctmc():
    cp = ex.critical_points()
    lim = th.predicted_occupancy(0.5, 1.2, 0.3, cp)
    # the leak into the sharp fields shrinks like eta^(alpha - 1)
    gaps = [np.max(np.abs(web.finite_eta_occupancy(0.5, 1.2, e, cp) - lim)) for e in (1e-2, 1e-6, 1e-10, 1e-14)]
    assert all(g1 < g0 for g0, g1 in zip(gaps, gaps[1:])) and gaps[-1] < 1e-3, gaps
    # untruncated: every field has l* = 1, one time scale, the chain is the CTMC at every eta
    assert np.allclose(web.finite_eta_occupancy(math.inf, 1.2, 0.01, cp),
                       th.predicted_occupancy(None, 1.2, 0.3, cp), atol=1e-12)


def test_verdicts_pass_and_a_wrong_chain_fails(small, monkeypatch):
    s = small.summary()
    assert all(p["ok"] for p in s["points"]), [p["text"] for p in s["points"] if not p["ok"]]
    # wrong theory: the truncated chain with the fields' labels reversed (time on the sharp minima)
    real = web.finite_eta_occupancy
    monkeypatch.setattr(web, "finite_eta_occupancy", lambda *a: real(*a)[::-1])
    wrong = web.build_explorer(P, stream_offset=10**12, small=True).summary()
    assert sum(not p["ok"] for p in wrong["points"]) >= 2, [p["text"] for p in wrong["points"]]


def test_reproducible(small):
    assert web.build_explorer(P, stream_offset=10**12, small=True).summary() == small.summary()


def test_page_weight_at_defaults():
    xp = web.build_explorer(P, stream_offset=10**12)
    assert len(xp.html()) <= 1_000_000
    assert len(xp.summary()["points"]) == len(web.ALPHAS) * len(web.BS)
