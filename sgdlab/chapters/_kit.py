"""The chapter kit: what every chapter uses and none re-writes.

- **Parameters** (`Param`, `Params`): one declarative table per chapter (name, default, type, bounds,
  one-line meaning). It validates (a `ValueError` naming the parameter; papermill text and integral
  floats handled the same way in every chapter), renders the parameter table of the page and the help
  that `make chapter NAME=<chapter>` prints, and generates invalid values for the contract tests.
- **Agreement rows** (`Rows`, `agreement_html`, `verdict`): one row type {check, theory, simulation,
  tolerance, passed} (+ optional `group` for per-case detail), one renderer with a verdict line.
- **Random streams** (`Streams`): named, disjoint blocks of the core's stream space
  (`simulate(stream_offset=...)`), whatever the parameters.
- **Numbers** (`fmt`): one formatter for tables and text (significant figures; scientific notation
  for tiny and huge values).
- **Figures** (`use_book_style`): one matplotlib style sized for the book's content column.
- **glue**: myst-nb's `glue`, or a stand-in that keeps the value when myst-nb is absent (Colab).
"""
from __future__ import annotations

import ast
import html as _html
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["Param", "Params", "Rows", "bonferroni_z", "agreement_html", "verdict", "all_passed",
           "Streams", "fmt", "use_book_style", "glue", "plain", "FIG_WIDTH", "STREAM_SPACE"]


# ---------------------------------------------------------------------------------------- numbers

_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt(x, sig=4, *, sci_below=1e-3, sci_above=1e5, html=False):
    """A number as readers expect it: `sig` significant figures, no padded zeros, integers as integers,
    scientific notation (2.22×10⁻¹⁶) below `sci_below` and from `sci_above` in magnitude.

    Booleans give ✓/✗, None gives an em dash, strings pass through, sequences are formatted
    element-wise ("0.5, 0.25"). `html=True` escapes the text for an HTML table.
    """
    if x is None:
        out = "—"
    elif isinstance(x, (bool, np.bool_)):
        out = "✓" if x else "✗"
    elif isinstance(x, str):
        out = x
    elif isinstance(x, (list, tuple, np.ndarray)):
        out = ", ".join(fmt(v, sig, sci_below=sci_below, sci_above=sci_above) for v in np.ravel(x))
    elif isinstance(x, (int, np.integer)):
        v = int(x)
        out = (f"{v:d}" if abs(v) < sci_above else _sci(float(v), sig)).replace("-", "−")
    else:
        v = float(x)
        if math.isnan(v):
            out = "nan"
        elif math.isinf(v):
            out = "∞" if v > 0 else "−∞"
        elif v == 0:
            out = "0"
        elif abs(v) < sci_below or abs(v) >= sci_above:
            out = _sci(v, sig)
        else:
            out = f"{v:.{sig}g}"
            if "e" in out:  # e.g. 12345.6 at sig=4 -> 1.235e+04: write it in full
                out = f"{v:.0f}"
        out = out.replace("-", "−")
    return _html.escape(out) if html else out


def _sci(v, sig):
    mant, exp = f"{v:.{sig - 1}e}".split("e")
    mant = mant.rstrip("0").rstrip(".") if "." in mant else mant
    return f"{mant}×10{str(int(exp)).translate(_SUP)}".replace("-", "−")


def plain(value):
    """numpy scalars/arrays (recursively in lists/dicts) as plain Python, for `glue`."""
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


# ------------------------------------------------------------------------------------------- glue

try:  # pragma: no cover - which branch runs depends on the environment
    from myst_nb import glue as _myst_glue
except ImportError:  # Colab or a bare Jupyter: keep the values, show nothing
    _myst_glue = None

GLUED: dict[str, Any] = {}


def glue(name, value, display=False):
    """myst-nb's `glue(name, value, display)`; without myst-nb the value is kept in `GLUED` (and shown
    if `display`), so a chapter runs wherever a reader opens it."""
    GLUED[name] = value
    if _myst_glue is not None:
        return _myst_glue(name, value, display=display)
    if display:
        from IPython.display import display as _show
        _show(value)
    return None


# ------------------------------------------------------------------------------------- parameters

_KINDS = ("int", "float", "str", "choice", "bool", "list", "any")


@dataclass(frozen=True)
class Param:
    """One chapter parameter.

    kind: "int", "float", "str", "choice" (one of `choices`), "bool", "list" (a list of numbers; text is
    read as a Python literal) or "any" (checked only by the chapter's `extra` check).
    lo/hi: bounds (inclusive unless `lo_open`/`hi_open`); `optional`: None is accepted.
    why: the reason for a bound, appended to the error message.
    """
    name: str
    default: Any
    kind: str
    meaning: str
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple = ()
    optional: bool = False
    why: str = ""

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"{self.name}: unknown parameter kind {self.kind!r}; known: {_KINDS}")

    # ---- text forms
    def range_text(self):
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "True or False"
        if self.lo is None and self.hi is None:
            return {"int": "an integer", "float": "a finite number"}.get(self.kind, "")
        lo = "−∞" if self.lo is None else fmt(self.lo)
        hi = "∞" if self.hi is None else fmt(self.hi)
        left = "(" if (self.lo_open or self.lo is None) else "["
        right = ")" if (self.hi_open or self.hi is None) else "]"
        return f"{left}{lo}, {hi}{right}"

    def _fail(self, value, must):
        why = f" ({self.why})" if self.why else ""
        raise ValueError(f"{self.name}: must be {must}{why}, got {value!r}")

    # ---- validation
    def check(self, value):
        """The validated value, converted (text -> number, integral float -> int); ValueError otherwise."""
        if value is None:
            if self.optional:
                return None
            self._fail(value, "given (None is not allowed)")
        if self.kind == "any":
            return value
        if self.kind == "str":
            if not isinstance(value, str):
                self._fail(value, "a string")
            return value
        if self.kind == "choice":
            if isinstance(value, str) and value not in self.choices:
                # papermill may pass numbers as text: accept "2" for 2
                try:
                    lit = ast.literal_eval(value)
                except (ValueError, SyntaxError):
                    lit = value
                value = lit if lit in self.choices else value
            for c in self.choices:  # `True == 1`: compare types too
                if value == c and type(value) is type(c):
                    return c
            self._fail(value, "one of " + ", ".join(repr(c) for c in self.choices))
        if self.kind == "bool":
            if isinstance(value, str) and value in ("True", "False", "true", "false"):
                return value in ("True", "true")
            if not isinstance(value, (bool, np.bool_)):
                self._fail(value, "True or False")
            return bool(value)
        if self.kind == "list":
            if isinstance(value, str):
                try:
                    value = ast.literal_eval(value)
                except (ValueError, SyntaxError):
                    self._fail(value, "a list of numbers")
            if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
                value = [value]
            if not isinstance(value, (list, tuple, np.ndarray)) or len(value) == 0:
                self._fail(value, "a non-empty list of numbers")
            return [self._number(v, "int" if all(_is_int(u) for u in value) else "float") for v in value]
        return self._number(value, self.kind)

    def _number(self, value, kind):
        raw = value
        if isinstance(value, str):
            try:
                value = ast.literal_eval(value.strip())
            except (ValueError, SyntaxError):
                try:
                    value = float(value)
                except ValueError:
                    self._fail(raw, "a number")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            self._fail(raw, "an integer" if kind == "int" else "a finite number")
        if not math.isfinite(float(value)):
            self._fail(raw, "finite")
        if kind == "int":
            if isinstance(value, (float, np.floating)):
                if not float(value).is_integer():
                    self._fail(raw, "an integer")
            value = int(value)
        else:
            value = float(value)
        if ((self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)))
                or (self.hi is not None and (value > self.hi or (self.hi_open and value == self.hi)))):
            self._fail(raw, ("an integer in " if kind == "int" else "in ") + self.range_text())
        return value

    def invalid_values(self):
        """Values this parameter must reject (for the contract tests)."""
        bad = [object()]
        if not self.optional and self.kind != "any":
            bad.append(None)
        if self.kind in ("int", "float"):
            bad += ["abc", float("nan"), True]
            if self.lo is not None:
                bad.append(self.lo - (1 if self.kind == "int" else max(1e-9, abs(self.lo) * 1e-6)) if not self.lo_open else self.lo)
            if self.hi is not None:
                bad.append(self.hi + (1 if self.kind == "int" else max(1e-9, abs(self.hi) * 1e-6)) if not self.hi_open else self.hi)
            if self.kind == "int":
                bad.append((self.lo if self.lo is not None else 0) + 0.5)
        elif self.kind == "choice":
            bad.append("not-a-choice")
        elif self.kind == "bool":
            bad.append("maybe")
        elif self.kind == "list":
            bad += ["[", []]
        return bad


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


class Values(dict):
    """Validated parameters: a dict that also allows attribute access (`P.n_runs`)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Params:
    """A chapter's parameter table.

    `extra(values)` is an optional cross-parameter check (it raises a ValueError naming the parameter;
    it may also return a dict of derived values to add).

        PARAMS = Params(Param("a", -1.0, "float", "curvature parameter", lo=-4, hi=0, hi_open=True), ...,
                        extra=_check_budget)
        P = ex.PARAMS.validate(globals())      # in the notebook, after the parameters cell
    """

    def __init__(self, *params: Param, extra: Callable | None = None):
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names in {names}")
        self.params = {p.name: p for p in params}
        self.extra = extra

    def __iter__(self):
        return iter(self.params.values())

    def __len__(self):
        return len(self.params)

    def __getitem__(self, name):
        return self.params[name]

    def defaults(self):
        return {p.name: p.default for p in self}

    def validate(self, values=None, **kw):
        """Validated values of every parameter, from a mapping (e.g. the notebook's `globals()`; other
        names in it are ignored) and/or keywords; parameters not given take their default."""
        given = dict(values or {})
        given.update(kw)
        out = Values()
        for p in self:
            out[p.name] = p.check(given[p.name] if p.name in given else p.default)
        if self.extra is not None:
            derived = self.extra(out)
            if derived:
                out.update(derived)
        return out

    def check_names(self, given):
        """ValueError for names that are not parameters of this chapter."""
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            raise ValueError(f"unknown parameter(s) {', '.join(map(repr, unknown))}; this chapter's "
                             f"parameters are: {', '.join(self.params)}")

    def rows(self):
        return [dict(parameter=p.name, default=_default_text(p.default), allowed=p.range_text(),
                     meaning=p.meaning) for p in self]

    def table_html(self):
        """The parameter table for the page (HTML)."""
        head = "<tr><th>parameter</th><th>default</th><th>allowed</th><th>meaning</th></tr>"
        body = "".join(
            f"<tr><td><code>{_html.escape(r['parameter'])}</code></td><td>{_html.escape(r['default'])}</td>"
            f"<td>{_html.escape(r['allowed'])}</td><td>{_html.escape(r['meaning'])}</td></tr>"
            for r in self.rows())
        return f'<table class="sgdlab-params"><thead>{head}</thead><tbody>{body}</tbody></table>'

    def help(self, chapter=""):
        """Plain-text help, as `make chapter NAME=<chapter>` prints it."""
        rows = self.rows()
        w = max(len(r["parameter"]) for r in rows)
        d = max(len(r["default"]) for r in rows)
        lines = [f"parameters of chapter {chapter!r} (make chapter NAME={chapter} PARAMS=\"-p name value ...\"):"
                 if chapter else "parameters:"]
        for r in rows:
            lines.append(f"  {r['parameter']:<{w}}  {r['default']:<{d}}  {r['meaning']}"
                         + (f"  [{r['allowed']}]" if r["allowed"] else ""))
        return "\n".join(lines)


def _default_text(v):
    if isinstance(v, (float, int)) and not isinstance(v, bool):
        return fmt(v, 6)
    if isinstance(v, (list, tuple)) and len(v) > 6:
        return f"[{fmt(v[0], 6)}, {fmt(v[1], 6)}, …, {fmt(v[-1], 6)}] ({len(v)} values)"
    return repr(v)


# ------------------------------------------------------------------------------------ random streams

STREAM_SPACE = 2 ** 64  # the core's stream ids are unsigned 64-bit: stream_offset + run index


class Streams:
    """Disjoint named blocks of the core's random streams.

    `take(name, n)` returns the `stream_offset` of a block of `n` streams that overlaps no other block.
    `at=` keeps a block where the book has always drawn it (so the published numbers do not move): it
    is honoured when that place is free and moved to the first free place above every block otherwise.
    Independent experiments therefore never share a stream, whatever the run counts.
    """

    def __init__(self):
        self.blocks: dict[str, tuple[int, int]] = {}

    def _free(self, start, n):
        return all(start + n <= s or s + m <= start for s, m in self.blocks.values())

    def take(self, name, n, at=None):
        n = int(n)
        if n < 0:
            raise ValueError(f"streams: block {name!r} has a negative size {n}")
        if name in self.blocks:
            raise ValueError(f"streams: block {name!r} was already taken")
        if at is not None and self._free(int(at), n):
            start = int(at)
        else:
            start = max((s + m for s, m in self.blocks.values()), default=0)
        if start + n > STREAM_SPACE:
            raise ValueError(f"streams: block {name!r} of {n} streams does not fit in the stream space")
        self.blocks[name] = (start, n)
        return start

    def __getitem__(self, name):
        return self.blocks[name][0]

    def overlaps(self):
        """Pairs of blocks that share a stream (always empty: `take` guarantees it; for tests)."""
        items = sorted(self.blocks.items(), key=lambda kv: kv[1][0])
        out = []
        for i, (a, (s, m)) in enumerate(items):
            for b, (t, k) in items[i + 1:]:
                if t < s + m and s < t + k and m and k:
                    out.append((a, b))
        return out


# ----------------------------------------------------------------------------------- agreement rows

def bonferroni_z(n_checks, family_p=1e-4):
    """Two-sided z such that `n_checks` simultaneous normal checks all pass with probability
    >= 1 - family_p (Bonferroni)."""
    from scipy import stats
    return float(stats.norm.isf(family_p / (2 * max(int(n_checks), 1))))


class Rows:
    """Collects agreement rows {check, theory, simulation, tolerance, passed[, group]}.

    A statistical row passes if |sim − theory| ≤ z·SE + bias (bias: a stated allowance, e.g. for a limit
    the simulation can only approach). Rows with the same `group` are one claim on the page: one line
    with "k of n cases", the cases folded below the table.
    """

    def __init__(self, z=None):
        self.z = None if z is None else float(z)
        self.rows: list[dict] = []

    def _z(self, z):
        z = self.z if z is None else float(z)
        if z is None:
            raise ValueError("z: give Rows(z) or z= for a statistical row")
        return z

    def close(self, check, theory, sim, se, bias=0.0, note="", group=None, z=None):
        z = self._z(z)
        tol = z * float(se) + float(bias)
        ok = bool(abs(float(sim) - float(theory)) <= tol)
        how = f"z·SE = {fmt(z, 3)}×{fmt(float(se), 3)}" + (f" + allowance {fmt(float(bias), 3)}" if bias else "")
        self.rows.append(dict(check=check, theory=float(theory), simulation=float(sim),
                              tolerance=f"±{fmt(tol, 3)} ({how}" + (f"; {note}" if note else "") + ")",
                              passed=ok, group=group))
        return ok

    def rel(self, check, theory, sim, se, rel, note="", group=None, z=None):
        return self.close(check, theory, sim, se, bias=rel * abs(float(theory)),
                          note=note or f"allowance {rel:.0%}", group=group, z=z)

    def bound(self, check, theory_text, sim, ok, tol_text, group=None):
        """A row whose verdict the caller computed (an inequality, an exact equality, a rate)."""
        self.rows.append(dict(check=check, theory=theory_text, simulation=sim, tolerance=tol_text,
                              passed=bool(ok), group=group))
        return bool(ok)

    def extend(self, rows):
        self.rows.extend(rows)

    @property
    def all_passed(self):
        return all_passed(self.rows)


def all_passed(rows):
    return all(bool(r["passed"]) for r in rows)


def _claims(rows):
    """Rows grouped into claims, in order: [(title, [rows])]."""
    out, index = [], {}
    for r in rows:
        g = r.get("group")
        if g is None:
            out.append((r["check"], [r]))
        elif g in index:
            out[index[g]][1].append(r)
        else:
            index[g] = len(out)
            out.append((g, [r]))
    return out


def verdict(rows):
    """'14 of 14 checks agree' (counted by claim)."""
    claims = _claims(rows)
    ok = sum(all(bool(r["passed"]) for r in rs) for _, rs in claims)
    return f"{ok} of {len(claims)} checks agree with theory" + ("" if ok == len(claims) else " — see ✗ below")


_MARK = {True: '<span class="sgdlab-pass" style="color:#1a7f37;font-weight:bold">✓</span>',
         False: '<span class="sgdlab-fail" style="color:#cf222e;font-weight:bold">✗</span>'}


def _row_html(r, check=None):
    cells = [check if check is not None else _html.escape(str(r["check"])),
             fmt(r["theory"], 4, html=True), fmt(r["simulation"], 4, html=True),
             _html.escape(str(r["tolerance"])), _MARK[bool(r["passed"])]]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def agreement_html(rows, title="Agreement with theory"):
    """The agreement table of a chapter: a verdict line, one row per claim (✓/✗ coloured), and the
    per-case rows of grouped claims in a collapsed `<details>` below. Returns HTML."""
    head = "<tr><th>claim</th><th>theory</th><th>simulation</th><th>tolerance</th><th></th></tr>"
    body, details = [], []
    for title_, rs in _claims(rows):
        if len(rs) == 1 and rs[0].get("group") is None:
            body.append(_row_html(rs[0]))
            continue
        ok = sum(bool(r["passed"]) for r in rs)
        summary = dict(check=title_, theory="", simulation=f"{ok} of {len(rs)} cases agree",
                       tolerance="per case, below", passed=ok == len(rs))
        body.append(_row_html(summary))
        details.append(f"<details><summary>{_html.escape(str(title_))}: {len(rs)} cases</summary>"
                       f'<table class="sgdlab-agreement"><thead>{head}</thead><tbody>'
                       + "".join(_row_html(r) for r in rs) + "</tbody></table></details>")
    return (f'<div class="sgdlab-agreement"><p><strong>{_html.escape(verdict(rows))}.</strong></p>'
            f'<table class="sgdlab-agreement"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'
            + "".join(details) + "</div>")


# ------------------------------------------------------------------------------------------ figures

FIG_WIDTH = 6.7  # inches: at 100 dpi about 680 px, the content column (688 px) at a 1280 px window


def use_book_style():
    """The book's matplotlib style: figures as wide as the content column at 100 dpi, so that they are
    shown at (close to) their natural size and 10 pt text stays 10 pt; colour-blind-safe colours that
    also differ in greyscale; legends framed so they can sit off the data."""
    import matplotlib as mpl
    from cycler import cycler
    mpl.rcParams.update({
        "figure.figsize": (FIG_WIDTH, 4.0),
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "figure.constrained_layout.use": True,
        "font.size": 11,
        "axes.titlesize": 11,
        "axes.labelsize": 11,
        "xtick.labelsize": 11,
        "ytick.labelsize": 11,
        "legend.fontsize": 10.5,
        "legend.framealpha": 0.9,
        "lines.linewidth": 1.6,
        "axes.grid": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        # Okabe-Ito: distinguishable with colour-blindness; paired with line styles/markers in plots
        "axes.prop_cycle": cycler(color=["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                         "#56B4E9", "#000000", "#F0E442"]),
    })
    try:  # the inline backend re-applies its own figure size/dpi unless told not to
        from matplotlib_inline.backend_inline import set_matplotlib_formats  # noqa: F401
        import matplotlib_inline.backend_inline as bi
        bi.InlineBackend.instance().rc = {}
    except Exception:  # not in a kernel
        pass


# ----------------------------------------------------------------------------------- page pieces

# characters every common font has (the media-control block U+23E9.. is missing from many)
_FA_ICONS = {"fa-minus": "−", "fa-plus": "+", "fa-fast-backward": "«", "fa-step-backward": "‹",
             "fa-play": "▶", "fa-pause": "II", "fa-step-forward": "›", "fa-fast-forward": "»",
             "fa-backward": "◀", "fa-forward": "▶"}


def offline_jshtml(html):
    """matplotlib's `to_jshtml` output without its Font Awesome stylesheet from a CDN: the buttons'
    icons become plain characters, so the scrubber works offline."""
    import re
    html = re.sub(r'<link[^>]*font-awesome[^>]*>', "", html)
    def icon(m):
        name, flip = m.group(1), "fa-flip-horizontal" in m.group(0)
        return "◀" if (name == "fa-play" and flip) else _FA_ICONS.get(name, "·")
    html = re.sub(r'<i class="fa (fa-[a-z-]+)[^"]*">\s*</i>', icon, html)
    return html


def scrubber(fig, update, frames, interval=200):
    """Kernel-free frame scrubber: a matplotlib animation as `to_jshtml` (no CDN; works offline).

    update(frame) redraws `fig` for each frame of `frames` (a count n, i.e. 0..n-1, or the frames
    themselves, as for FuncAnimation). Returns an IPython HTML object; closes the figure.
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    html = _jshtml(fig, update, frames, interval)
    plt.close(fig)
    return HTML(offline_jshtml(html))


def _jshtml(fig, update, frames, interval):
    """What `FuncAnimation(fig, update, frames).to_jshtml(default_mode="once")` gives, frame for frame,
    at about a third of the cost: the animation draws the whole figure three times per frame (its own
    draw, an idle redraw, the saved frame), this draws it once, when the frame is saved."""
    import tempfile
    from pathlib import Path

    import matplotlib as mpl
    from matplotlib.animation import HTMLWriter
    dpi = mpl.rcParams["savefig.dpi"]
    dpi = fig.dpi if dpi == "figure" else dpi
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "scrubber.html")
        writer = HTMLWriter(fps=1000 / interval, embed_frames=True, default_mode="once")
        with writer.saving(fig, str(path), dpi):
            # a constrained layout settles over a couple of draws: let it settle on the first frame,
            # as the animation's extra draws do, so every frame is the animation's pixel for pixel
            seq = list(range(frames)) if isinstance(frames, (int, np.integer)) else list(frames)
            update(seq[0])
            fig.canvas.draw()
            for frame in seq:
                update(frame)
                writer.grab_frame()
        return path.read_text()


def _is_data(v):
    """Plain data (what `read_glue` gives back), not a figure or a display object."""
    if isinstance(v, (bool, int, float, str, type(None), np.generic)):
        return True
    if isinstance(v, (list, tuple)):
        return all(_is_data(x) for x in v)
    if isinstance(v, dict):
        return all(_is_data(x) for x in v.values())
    return False


def glued_html():
    """The values this chapter glued (plain data only; figures and tables are on the page), as a
    collapsed list for the "Rerun this chapter" section."""
    data = {k: v for k, v in GLUED.items() if _is_data(v)}
    items = "".join(
        f"<li><code>{_html.escape(k)}</code> = "
        + (fmt(v, 6, html=True) if not isinstance(v, (dict, list, tuple)) else _html.escape(_short(repr(v))))
        + "</li>" for k, v in data.items())
    return (f"<details><summary>Glued results ({len(data)} names; read them from the executed notebook "
            f"with <code>sgdlab.book.read_glue</code>)</summary><ul>{items}</ul></details>")


def _short(text, n=200):
    return text if len(text) <= n else text[:n] + " …"
