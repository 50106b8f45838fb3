"""The chapter kit: parameters, streams, agreement rows, number formatting."""
import math

import numpy as np
import pytest

from sgdlab.chapters._kit import (STREAM_SPACE, Param, Params, Rows, Streams, agreement_html, fmt,
                                  verdict)

P = Params(
    Param("a", -1.0, "float", "curvature", lo=-4, hi=0, hi_open=True, why="a maximum needs a < 0"),
    Param("n_runs", 2000, "int", "runs", lo=10, hi=10**6),
    Param("law", "gaussian", "choice", "noise law", choices=("gaussian", "pareto")),
    Param("flag", False, "bool", "a switch"),
    Param("lrs", [0.1, 0.2], "list", "learning rates", lo=0, lo_open=True),
    Param("executor", None, "str", "where sweeps run", optional=True),
)


def test_defaults_validate():
    v = P.validate()
    assert v == dict(a=-1.0, n_runs=2000, law="gaussian", flag=False, lrs=[0.1, 0.2], executor=None)
    assert v.n_runs == 2000


@pytest.mark.parametrize("name,text,value", [
    ("a", "-0.5", -0.5), ("n_runs", "3000", 3000), ("n_runs", 1e3, 1000), ("n_runs", "1e3", 1000),
    ("n_runs", np.int64(50), 50), ("flag", "True", True), ("lrs", "[0.5, 1]", [0.5, 1.0]),
    ("lrs", 0.3, [0.3]), ("law", "pareto", "pareto"), ("executor", "processes", "processes")])
def test_papermill_text_and_integral_floats(name, text, value):
    got = P.validate({name: text})[name]
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("param", list(P), ids=lambda p: p.name)
def test_invalid_values_name_the_parameter(param):
    for bad in param.invalid_values():
        with pytest.raises(ValueError, match=rf"^{param.name}: "):
            P.validate({param.name: bad})


def test_bounds_and_reasons():
    with pytest.raises(ValueError, match=r"a: must be in \[−4, 0\) \(a maximum needs a < 0\), got 0"):
        P.validate(a=0)
    with pytest.raises(ValueError, match="n_runs: must be an integer"):
        P.validate(n_runs=10.5)
    with pytest.raises(ValueError, match="unknown parameter"):
        P.check_names({"nruns": 1})


def test_extra_check_and_help():
    Q = Params(Param("n", 10, "int", "count", lo=1), extra=lambda v: {"n2": v["n"] ** 2})
    assert Q.validate(n=3)["n2"] == 9
    text = P.help("demo")
    assert "n_runs" in text and "[10, 1×10⁶]" in text
    assert "<code>a</code>" in P.table_html()


def test_streams_disjoint_and_stable():
    s = Streams()
    assert s.take("fig1", 2000, at=0) == 0
    assert s.take("quartic", 2000, at=10**6) == 10**6
    # a block that would overlap is moved above every block, never shared
    assert s.take("big", 10**6, at=1000) == 10**6 + 2000
    assert s.take("next", 5) == 2 * 10**6 + 2000
    assert s.overlaps() == []
    with pytest.raises(ValueError, match="already taken"):
        s.take("fig1", 1)
    with pytest.raises(ValueError, match="does not fit"):
        Streams().take("huge", STREAM_SPACE + 1)


def test_fmt():
    assert fmt(0.7071) == "0.7071"
    assert fmt(206.0) == "206"
    assert fmt(206) == "206"
    assert fmt(2.220446049250313e-16) == "2.22×10⁻¹⁶"
    assert fmt(-0.5) == "−0.5"
    assert fmt(123456.0) == "1.235×10⁵"
    assert fmt(12345.6) == "12346"
    assert fmt(True) == "✓" and fmt(None) == "—" and fmt(float("nan")) == "nan"
    assert fmt([0.5, 0.25]) == "0.5, 0.25"


def test_rows_verdict_and_html():
    r = Rows(z=4.0)
    assert r.close("mean", 1.0, 1.1, 0.05)
    assert not r.close("var", 1.0, 2.0, 0.05)
    r.bound("case 1", "≤ 1", 0.5, True, "exact", group="bound")
    r.bound("case 2", "≤ 1", 0.7, True, "exact", group="bound")
    assert verdict(r.rows).startswith("2 of 3 checks agree")
    h = agreement_html(r.rows)
    assert h.count("<details>") == 1 and "2 of 2 cases agree" in h and "✗" in h
    assert not r.all_passed
    assert math.isclose(float(r.rows[0]["theory"]), 1.0)
