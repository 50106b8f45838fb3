"""The long-run chapter's kernel-free explorer (sgdlab/chapters/gibbs/web.py): complete grid,
verdicts computed from the simulation against the Gibbs law, reproducible, page weight in budget."""
import numpy as np
import pytest

from sgdlab.chapters.gibbs import theory as th
from sgdlab.chapters.gibbs import web

P = dict(eta=2e-3, sigma2=15000.0, n_chains=200, steps=400_000, burn_in=100_000, seed=0)


@pytest.fixture(scope="module")
def small():
    return web.build_explorer(P, stream_offset=10**12, small=True)


def test_every_point_has_data_and_verdict(small):
    s = small.summary()
    temps, per, _ = web.grid(P, small=True)
    assert len(s["points"]) == len(temps)
    for p in s["points"]:
        assert p["text"].startswith("basin masses")
        assert len(p["head"]["sim"]["v"]) == 3 and len(p["head"]["gibbs"]["v"]) == 3
        assert len(p["head"]["mass"]["m"]) == 3
    assert web.n_streams(P, small=True) == len(temps) * web.N_GROUPS * per


def test_verdicts_pass_and_a_wrong_law_fails(small, monkeypatch):
    s = small.summary()
    assert all(p["ok"] for p in s["points"]), [p["text"] for p in s["points"] if not p["ok"]]
    # the poster's typo E_i = f/(2σ²) (a temperature 4 times too high) must be rejected somewhere
    real = th.bin_density
    monkeypatch.setattr(th, "bin_density", lambda land, ex_, ey, eta, sigma2, *a, **k:
                        real(land, ex_, ey, eta, 4 * sigma2, *a, **k))
    wrong = web.build_explorer(P, stream_offset=10**12, small=True).summary()
    assert sum(not p["ok"] for p in wrong["points"]) >= 1, [p["text"] for p in wrong["points"]]


def test_heatmaps_are_normalised_to_the_gibbs_peak(small):
    for k in range(len(web.grid(P, small=True)[0])):
        g = small._data["gibbs"][(k,)]["v"]
        assert max(g) == pytest.approx(1.0, abs=1e-3)


def test_reproducible(small):
    assert web.build_explorer(P, stream_offset=10**12, small=True).summary() == small.summary()


def test_page_weight_at_defaults():
    xp = web.build_explorer(P, stream_offset=10**12)
    assert len(xp.html()) <= 1_000_000
    assert len(xp.summary()["points"]) == len(web.TEMPS)
