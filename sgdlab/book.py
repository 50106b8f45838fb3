"""Helpers for the book's chapters: glued results, parameter checks, agreement tables, scrubbers.

Every chapter stores its key numbers with myst-nb's `glue(name, value, display=False)` as plain
Python numbers, strings, or lists/dicts of them; `read_glue` reads them back from an executed
notebook (the stored text is parsed with `ast.literal_eval`, never evaluated).
"""
from __future__ import annotations

import ast
import json
import math

GLUE_PREFIX = "application/papermill.record/"


def read_glue(path_or_nb):
    """Glued values of an executed notebook, {name: value}, in the order they were glued."""
    nb = path_or_nb
    if not isinstance(nb, dict):
        with open(path_or_nb, encoding="utf-8") as fh:
            nb = json.load(fh)
    out = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            data = output.get("data", {})
            text = data.get(meta.get("mime_prefix", "") + "text/plain")
            if text is None:
                continue
            if isinstance(text, list):
                text = "".join(text)
            out[meta["name"]] = _literal(text)
    return out


def _literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        # numpy reprs like np.float64(0.5) are not literals: unwrap the common ones
        for prefix in ("np.float64(", "np.int64(", "np.True_", "np.False_"):
            if text.startswith(prefix):
                inner = text[len(prefix):-1] if text.endswith(")") else text[len(prefix):]
                return ast.literal_eval(inner) if inner else text.endswith("True_")
        return text


def notebook_parameters(path):
    """Names and default values of a notebook's `parameters` cell (via papermill)."""
    import papermill as pm
    return {name: p["default"] for name, p in pm.inspect_notebook(str(path)).items()}


def check_parameter_names(path, given):
    """Raise ValueError if `given` names a parameter that the notebook does not declare."""
    known = notebook_parameters(path)
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(map(repr, unknown))} for {path}; "
                         f"the chapter's parameters are: {', '.join(sorted(known))}")


def agreement_table(rows):
    """A pandas DataFrame from rows {"check", "theory", "simulation", "tolerance", "passed", ...}
    with the pass/fail column rendered as 'pass'/'FAIL'. The verdicts are computed by the caller."""
    import pandas as pd
    df = pd.DataFrame(rows)
    if "passed" in df:
        df["passed"] = df["passed"].map(lambda ok: "pass" if bool(ok) else "FAIL")
    return df


def all_passed(rows):
    return all(bool(r["passed"]) for r in rows)


def scrubber(fig, update, frames, interval=200):
    """Kernel-free frame scrubber: matplotlib animation rendered with `to_jshtml` (works offline).

    update(i) redraws frame i on `fig`. Returns an IPython HTML object; closes the figure.
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation
    anim = FuncAnimation(fig, update, frames=frames, interval=interval)
    html = anim.to_jshtml(default_mode="once")
    plt.close(fig)
    return HTML(html)


def plain(value):
    """Convert numpy scalars/arrays (recursively in lists/dicts) to plain Python for `glue`."""
    import numpy as np
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
