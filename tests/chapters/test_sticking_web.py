"""The sticking chapter's kernel-free explorer (sgdlab/chapters/sticking/web.py): complete grid, the
walk-equation solver against the Laplace closed form, verdicts that follow the exact h, reproducible,
page weight in budget."""
import numpy as np
import pytest

from sgdlab.chapters.sticking import theory as th
from sgdlab.chapters.sticking import web

P = dict(eps=1e-3, kink_a=1.0, kink_b=2.0, noise="laplace", noise_scale=1.0, alpha=1.5, offsets=[-1, 0, 1],
         n_runs=20000, seed=0)


@pytest.fixture(scope="module")
def small():
    return web.build_explorer(P, stream_offset=10**12, small=True)


def test_every_point_has_data_and_verdict(small):
    s = small.summary()
    bs, laws, n = web.grid(P, small=True)
    assert len(s["points"]) == len(bs) * len(laws)
    for p in s["points"]:
        assert p["text"].startswith("P(right)")
        assert len(p["head"]["sim"]["p"]) == 3 and len(p["head"]["theory_right"]["h"]) == 3
    assert web.n_streams(P, small=True) == len(bs) * len(laws) * len(web.OFFSETS) * n


@pytest.mark.parametrize("a,b,beta", [(1.0, 1.0, 1.0), (1.0, 2.0, 1.0), (1.0, 3.17, 0.7)])
def test_walk_solver_matches_laplace_closed_form(a, b, beta):
    ys = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    got = web.walk_split(a, b, "laplace", beta, ys)
    assert np.max(np.abs(got - th.laplace_split(ys, a, b, beta, "zero"))) < 1e-4


def test_gaussian_walk_matches_spec_table():
    # spec §4 (2e5-run walk oracle, SE ~0.001): a = 1, b = 1 and a = 1, b = 2, Gauss sigma = 1
    assert web.walk_split(1.0, 1.0, "gaussian", 1.0, [0.0, 1.0, -1.0]) == pytest.approx([0.500, 0.963, 0.037], abs=0.004)
    assert web.walk_split(1.0, 2.0, "gaussian", 1.0, [0.0, 1.0, -1.0]) == pytest.approx([0.539, 0.999, 0.041], abs=0.004)


def test_verdicts_pass_and_the_diffusion_limit_fails(small, monkeypatch):
    s = small.summary()
    assert all(p["ok"] for p in s["points"]), [p["text"] for p in s["points"] if not p["ok"]]
    # a wrong theory: the diffusion limit (b/(a+b) at 0, exponential profile) in place of the exact h
    monkeypatch.setattr(web, "exact_split", lambda a, b, law, s, ys: np.asarray(
        th.diffusion_split(np.asarray(ys, float), a, b, s * (np.sqrt(2) if law == "laplace" else 1.0)), float))
    wrong = web.build_explorer(P, stream_offset=10**12, small=True).summary()
    assert sum(not p["ok"] for p in wrong["points"]) >= 2, [p["text"] for p in wrong["points"]]


def test_reproducible(small):
    assert web.build_explorer(P, stream_offset=10**12, small=True).summary() == small.summary()


def test_page_weight_at_defaults():
    xp = web.build_explorer(P, stream_offset=10**12)
    assert len(xp.html()) <= 1_000_000
    assert len(xp.summary()["points"]) == len(web.BS) * len(web.LAWS)
