"""Kernel-free explorers: sliders on the rendered page over results precomputed by the core.

A chapter precomputes its central picture on a grid of one or two parameters (10–20 values each) at
build time, and the page swaps the plotted data in the browser when a slider moves (Bokeh, its JavaScript
served by the book itself, so the page works offline). Each grid point carries its agreement verdict, so
the reader sees ✓/✗ change with the slider.

    ex = GridExplorer("explorer-local-maximum", [("a", a_values, "a"), ("lr", lrs, "λ")])
    fig = ex.figure(x_label="final |w|", y_label="runs", y_axis_type="log")
    fig.vbar(x="x", top="y", width=0.05, source=ex.source("sim"), legend_label="simulation")
    fig.step(x="x", y="y", source=ex.source("theory"), line_dash="dashed", legend_label="exact law")
    for i, a in enumerate(a_values):
        for j, lr in enumerate(lrs):
            ex.add((i, j), "sim", x=..., y=...)
            ex.add((i, j), "theory", x=..., y=...)
            ex.verdict((i, j), ok, "P(|w| < ε): 0.998 vs 0.999 exact ✓")
    display(HTML(ex.html()))                 # in a remove-input cell
    glue("explorer_summary", ex.summary())   # the browser test compares the page with this

The live ipywidgets explorer stays in the notebook for Jupyter and Binder users.
"""
from __future__ import annotations

import itertools
import json

import numpy as np

__all__ = ["GridExplorer", "COLORS", "bokeh_js_files"]

# the matplotlib figures' colours (the kit's style): simulation, theory/second, third, ...
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
WIDTH = 680  # px, the content column

_STATIC_JS = ("bokeh.min.js", "bokeh-widgets.min.js")


def bokeh_js_files():
    """Paths of the BokehJS files the pages load (copied into the site's _static by stage_site)."""
    import os

    import bokeh
    base = os.path.join(os.path.dirname(bokeh.__file__), "server", "static", "js")
    return [os.path.join(base, f) for f in _STATIC_JS]


def _round(a, sig=5):
    """Arrays as lists with `sig` significant digits (keeps the page light); NaN/inf as None."""
    a = np.asarray(a, dtype=float)
    out = []
    for v in a.ravel().tolist():
        out.append(None if not np.isfinite(v) else float(f"{v:.{sig}g}"))
    return out


class GridExplorer:
    """Precomputed data on a grid of 1–2 slider parameters, swapped in the browser by the sliders."""

    def __init__(self, name, axes, title=""):
        if not 1 <= len(axes) <= 2:
            raise ValueError("axes: give one or two (name, values, label) sliders")
        self.name = name
        self.title = title
        self.axes = [(n, [float(v) for v in vals], label) for n, vals, label in axes]
        for n, vals, _ in self.axes:
            if len(vals) < 2:
                raise ValueError(f"axes: slider {n!r} needs at least two values")
        self.shape = tuple(len(v) for _, v, _ in self.axes)
        self.points = list(itertools.product(*[range(s) for s in self.shape]))
        self._sources = {}
        self._data: dict[str, dict[tuple, dict]] = {}
        self._verdicts: dict[tuple, tuple[bool, str]] = {}
        self._figures = []
        self.start = tuple(0 for _ in self.shape)

    # ---- building
    def figure(self, **kw):
        from bokeh.plotting import figure
        x_label = kw.pop("x_label", "")
        y_label = kw.pop("y_label", "")
        kw.setdefault("width", WIDTH if not self._figures else WIDTH)
        kw.setdefault("height", 320)
        kw.setdefault("tools", "pan,box_zoom,wheel_zoom,reset,save")
        kw.setdefault("toolbar_location", "right")
        f = figure(**kw)
        f.xaxis.axis_label = x_label
        f.yaxis.axis_label = y_label
        for ax in (f.xaxis, f.yaxis):
            ax.axis_label_text_font_size = "13px"
            ax.major_label_text_font_size = "13px"
        f.title.text_font_size = "13px"
        self._figures.append(f)
        return f

    def source(self, name):
        """The ColumnDataSource named `name` (created on first use); its columns come from `add`."""
        from bokeh.models import ColumnDataSource
        if name not in self._sources:
            self._sources[name] = ColumnDataSource(data={}, name=f"{self.name}-{name}")
            self._data[name] = {}
        return self._sources[name]

    def add(self, point, name, **columns):
        """The columns of source `name` at grid point `point` (a tuple of indices)."""
        point = self._point(point)
        self.source(name)
        self._data[name][point] = {k: _round(v) for k, v in columns.items()}

    def verdict(self, point, ok, text):
        """The verdict shown with grid point `point` (True ✓, False ✗, None: no claim to check at this
        point, shown as ○) and one line saying what was compared."""
        self._verdicts[self._point(point)] = (None if ok is None else bool(ok), str(text))

    def set_start(self, point):
        self.start = self._point(point)

    def _point(self, point):
        point = tuple(int(i) for i in (point if isinstance(point, (tuple, list)) else (point,)))
        if len(point) != len(self.shape) or any(not 0 <= i < s for i, s in zip(point, self.shape)):
            raise ValueError(f"point: {point} is not on the grid of shape {self.shape}")
        return point

    # ---- output
    def _check_complete(self):
        for name, by_point in self._data.items():
            missing = [p for p in self.points if p not in by_point]
            if missing:
                raise ValueError(f"explorer {self.name}: source {name!r} has no data at {missing[:3]}")
        missing = [p for p in self.points if p not in self._verdicts]
        if missing:
            raise ValueError(f"explorer {self.name}: no verdict at {missing[:3]}")

    def _flat(self, point):
        return int(np.ravel_multi_index(point, self.shape))

    def summary(self):
        """Plain-Python summary for `glue`: the axes, and per grid point (in C order) its verdict and
        the first values of every source's columns (what the browser test compares with the page)."""
        self._check_complete()
        return dict(
            name=self.name,
            axes={n: vals for n, vals, _ in self.axes},
            start=list(self.start),
            points=[dict(ok=self._verdicts[p][0], text=self._verdicts[p][1],
                         head={s: {c: v[:3] for c, v in d[p].items()} for s, d in self._data.items()})
                    for p in self.points])

    def layout(self):
        from bokeh.layouts import column
        from bokeh.models import CustomJS, Div, Slider
        self._check_complete()
        flat = [self._flat(p) for p in self.points]
        store = {name: [by_point[p] for p in self.points] for name, by_point in self._data.items()}
        verdicts = [list(self._verdicts[p]) for p in self.points]
        i0 = self._flat(self.start)
        for name, src in self._sources.items():
            src.data = dict(store[name][i0])
        status = Div(text=self._status_html(*self._verdicts[self.start]), name=f"{self.name}-status",
                     width=WIDTH)
        sliders = []
        for k, (n, vals, label) in enumerate(self.axes):
            s = Slider(start=0, end=len(vals) - 1, step=1, value=self.start[k], show_value=False,
                       title=f"{label} = {vals[self.start[k]]:g}", name=f"{self.name}-slider-{n}",
                       width=WIDTH - 40)
            sliders.append(s)
        code = """
            const idx = sliders.map(s => s.value);
            let flat = 0;
            for (let k = 0; k < shape.length; k++) flat = flat * shape[k] + idx[k];
            for (const [name, src] of Object.entries(sources)) src.data = Object.assign({}, store[name][flat]);
            for (let k = 0; k < sliders.length; k++) sliders[k].title = labels[k] + " = " + values[k][idx[k]];
            const v = verdicts[flat];
            status.text = (v[0] === null ? '<span style="color:#57606a;font-weight:bold">○</span> '
                           : v[0] ? '<span style="color:#1a7f37;font-weight:bold">✓</span> '
                                  : '<span style="color:#cf222e;font-weight:bold">✗</span> ') + v[1];
        """
        cb = CustomJS(args=dict(sliders=sliders, sources=self._sources, store=store, verdicts=verdicts,
                                shape=list(self.shape), labels=[lab for _, _, lab in self.axes],
                                values=[[float(f"{v:.6g}") for v in vals] for _, vals, _ in self.axes],
                                status=status), code=code)
        for s in sliders:
            s.js_on_change("value", cb)
        assert flat == list(range(len(self.points)))
        return column(*sliders, status, *self._figures, name=self.name)

    @staticmethod
    def _status_html(ok, text):
        mark = ('<span style="color:#57606a;font-weight:bold">○</span> ' if ok is None
                else '<span style="color:#1a7f37;font-weight:bold">✓</span> ' if ok
                else '<span style="color:#cf222e;font-weight:bold">✗</span> ')
        return mark + text

    def html(self):
        """The explorer as HTML for the page: a div and its script; BokehJS itself comes from the
        book's _static folder (see `bokeh_js_files`), so nothing is fetched from outside the book."""
        from bokeh.embed import components
        script, div = components(self.layout())
        payload = json.dumps(self.summary()["axes"])
        return (f'<div class="sgdlab-explorer" data-explorer="{self.name}" data-axes=\'{payload}\'>'
                f"{div}{script}</div>")
