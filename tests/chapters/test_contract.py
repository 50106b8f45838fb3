"""What every chapter promises, checked the same way for all of them (like scikit-learn's common
estimator checks): its parameter table matches the notebook and rejects bad values by name, its random
streams come from one plan of disjoint blocks at any size validation allows, and its code is layered
(theory never simulates; no chapter imports another)."""
import ast
import importlib
import json
import os
import re

import numpy as np
import pytest

from sgdlab.book import notebook_parameters
from sgdlab.chapters import CHAPTERS
from sgdlab.chapters._kit import Params, Streams

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _same(a, b):
    return bool(np.array_equal(a, b)) if isinstance(a, (list, tuple, np.ndarray)) else a == b


# Known gaps of a chapter against a rule below, {kind: {chapter: what is left}}, shown as strict xfails
# (a chapter that is fixed makes its xfail fail, so an entry cannot outlive its gap). None are left.
_GAPS = {
    "offsets": {},
    "checkers": {},
}


def _gap(kind, ch):
    reason = _GAPS[kind].get(ch)
    return pytest.param(ch, marks=pytest.mark.xfail(strict=True, reason=reason)) if reason else ch


def _ex(ch):
    return importlib.import_module(f"sgdlab.chapters.{ch}.experiments")


def test_chapters_are_the_books_notebooks():
    books = {f[:-6] for f in os.listdir(os.path.join(ROOT, "book"))
             if f.endswith(".ipynb") and not f.startswith("_") and f != "errata.ipynb"}
    assert books == set(CHAPTERS)
    assert all(os.path.isdir(os.path.join(ROOT, "sgdlab", "chapters", ch)) for ch in CHAPTERS)


@pytest.mark.parametrize("ch", CHAPTERS)
def test_parameter_table_is_the_notebooks(ch):
    P = getattr(_ex(ch), "PARAMS", None)
    assert isinstance(P, Params), f"{ch}: experiments.PARAMS must be a kit Params table"
    nb = notebook_parameters(os.path.join(ROOT, "book", f"{ch}.ipynb"))  # defaults as source text
    assert list(nb) == [p.name for p in P], f"{ch}: notebook parameters cell and PARAMS differ"
    ref = P.validate()
    for name, text in nb.items():
        value = None if text == "None" else text
        assert _same(P.validate({name: value})[name], ref[name]), \
            f"{ch}.{name}: notebook default {text!r} != PARAMS {P[name].default!r}"
    assert all(p.meaning for p in P), f"{ch}: every parameter needs a one-line meaning"
    P.validate()  # the defaults are valid


@pytest.mark.parametrize("ch", CHAPTERS)
def test_bad_values_are_rejected_by_name(ch):
    P = _ex(ch).PARAMS
    for p in P:
        for bad in p.invalid_values():
            with pytest.raises(ValueError, match=rf"^{re.escape(p.name)}\b"):
                P.validate({p.name: bad})


@pytest.mark.parametrize("ch", CHAPTERS)
def test_papermill_text_forms_are_accepted(ch):
    """papermill -p may deliver any value as text: the text of each default validates to the default."""
    P = _ex(ch).PARAMS
    ref = P.validate()
    for p in P:
        if p.default is None or p.kind in ("str", "any"):
            continue
        text = str(p.default) if not isinstance(p.default, (list, tuple)) else repr(list(p.default))
        assert _same(P.validate({p.name: text})[p.name], ref[p.name]), f"{ch}.{p.name}: text {text!r}"


def _largest(P):
    """Every bounded integer parameter pushed to its upper bound, as far as the chapter's own
    cross-checks allow (greedy, in table order)."""
    values = P.defaults()
    for p in P:
        if p.kind == "int" and p.hi is not None:
            trial = dict(values, **{p.name: int(p.hi)})
            try:
                P.validate(trial)
            except ValueError:
                continue
            values = trial
    return P.validate(values)


@pytest.mark.parametrize("ch", CHAPTERS)
def test_stream_blocks_never_overlap(ch):
    ex = _ex(ch)
    assert hasattr(ex, "stream_plan"), f"{ch}: experiments.stream_plan(P) -> Streams is missing"
    for P in (ex.PARAMS.validate(), _largest(ex.PARAMS)):
        plan = ex.stream_plan(P)
        assert isinstance(plan, Streams) and plan.blocks
        assert plan.overlaps() == []


HAND_OFFSET = re.compile(r"\b(stream_offset|stream_base|block)\s*=\s*(?!0\b)[\d(]")


@pytest.mark.parametrize("ch", [_gap("offsets", c) for c in CHAPTERS])
def test_no_hand_picked_stream_offsets(ch):
    """Offsets come from the chapter's stream plan, never from a number written in the code."""
    found = []
    pkg = os.path.join(ROOT, "sgdlab", "chapters", ch)
    for f in sorted(os.listdir(pkg)):
        if f.endswith(".py"):
            for i, line in enumerate(open(os.path.join(pkg, f), encoding="utf-8"), 1):
                if HAND_OFFSET.search(line.split("#")[0]):
                    found.append(f"{f}:{i}: {line.strip()}")
    nb = json.load(open(os.path.join(ROOT, "book", f"{ch}.ipynb"), encoding="utf-8"))
    for k, c in enumerate(nb["cells"]):
        if c["cell_type"] == "code":
            for line in "".join(c["source"]).splitlines():
                if HAND_OFFSET.search(line.split("#")[0]):
                    found.append(f"notebook cell {k}: {line.strip()}")
    assert not found, "\n".join(found)


def _imports(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


@pytest.mark.parametrize("ch", CHAPTERS)
def test_layering(ch):
    pkg = os.path.join(ROOT, "sgdlab", "chapters", ch)
    theory = set(_imports(os.path.join(pkg, "theory.py")))
    for layer in ("experiments", "plots", "explorer"):
        assert not any(m.endswith(f"{ch}.{layer}") or m == layer for m in theory), \
            f"{ch}: theory.py imports {layer} (theory never simulates or draws)"
    assert "sgdlab.simulate" not in theory and not any(m.startswith("sgdlab.simulate") for m in theory)
    for f in os.listdir(pkg):
        if f.endswith(".py"):
            for m in _imports(os.path.join(pkg, f)):
                other = [o for o in CHAPTERS if o != ch and f"sgdlab.chapters.{o}" in m]
                assert not other, f"{ch}/{f} imports chapter {other[0]}"


PRIVATE_CHECKER = re.compile(r"^def (_number|_int|_integer|_is_int|_check_\w+|check_\w+|_pos\w*|validate_parameters)\(", re.M)


@pytest.mark.parametrize("ch", [_gap("checkers", c) for c in CHAPTERS])
def test_no_private_parameter_checkers(ch):
    pkg = os.path.join(ROOT, "sgdlab", "chapters", ch)
    found = [f"{f}: def {m.group(1)}" for f in sorted(os.listdir(pkg)) if f.endswith(".py")
             for m in PRIVATE_CHECKER.finditer(open(os.path.join(pkg, f), encoding="utf-8").read())]
    assert not found, "\n".join(found)
