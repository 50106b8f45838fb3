"""The book's pipeline side: glued results, parameter checks, and the chapter runner
(`python -m sgdlab.book run CHAPTER -p NAME VALUE ...`, at the end). What chapters use on the page
(agreement tables, scrubbers, number formatting, glue) is the kit, `sgdlab.chapters._kit`.

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


DEFAULT_CELL_TIMEOUT = 900


def _checkout_book_dir():
    from pathlib import Path
    return Path(__file__).resolve().parent.parent / "book"


def _packaged_book_dir():
    from pathlib import Path
    return Path(__file__).resolve().parent / "_notebooks"


def book_dir():
    """Where the chapter notebooks are: the checkout's book/ (source tree or editable install), else
    the copies shipped in the wheel."""
    for d in (_checkout_book_dir(), _packaged_book_dir()):
        if d.is_dir() and any(d.glob("*.ipynb")):
            return d
    raise FileNotFoundError("no chapter notebooks found: neither a checkout's book/ next to the "
                            f"package ({_checkout_book_dir()}) nor the packaged copies "
                            f"({_packaged_book_dir()})")


def chapters():
    """Names of the chapters (book/<name>.ipynb, files starting with _ excluded), sorted."""
    return sorted(p.stem for p in book_dir().glob("*.ipynb") if not p.name.startswith("_"))


def chapter_notebook(chapter):
    """Path of a chapter's notebook; ValueError naming the known chapters for an unknown name."""
    names = chapters()
    if chapter not in names:
        raise ValueError(f"no chapter named {chapter!r}; chapters: {', '.join(names)}")
    return book_dir() / f"{chapter}.ipynb"


def chapter_params(chapter):
    """The chapter's kit `Params` (`sgdlab.chapters.<chapter>.experiments.PARAMS`), or None when the
    chapter does not declare one (then the notebook's `parameters` cell is the reference)."""
    import importlib
    if not chapter.isidentifier():
        return None
    try:
        ex = importlib.import_module(f"sgdlab.chapters.{chapter}.experiments")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(f"sgdlab.chapters.{chapter}"):
            return None
        raise
    return getattr(ex, "PARAMS", None)


def chapter_help(chapter, notebook=None):
    """Plain-text parameter help of a chapter: the kit's `PARAMS.help`, else the notebook's
    `parameters` cell as papermill reads it."""
    params = chapter_params(chapter)
    if params is not None:
        return params.help(chapter)
    import papermill as pm
    info = pm.inspect_notebook(str(notebook or chapter_notebook(chapter)))
    if not info:
        return f"chapter {chapter!r} has no parameters"
    w = max(len(n) for n in info)
    lines = [f"parameters of chapter {chapter!r} (python -m sgdlab.book run {chapter} -p name value ...):"]
    for name, p in info.items():
        extra = f"  {p['help']}" if p.get("help") else ""
        lines.append(f"  {name:<{w}}  {p['default']}{extra}")
    return "\n".join(lines)


def check_chapter_parameters(chapter, given, notebook=None):
    """Names and values of `given` checked as the chapter checks them, before anything runs
    (ValueError naming the parameter): with the chapter's kit `PARAMS` when it has one, else the
    names against the `parameters` cell of `notebook` (default: the chapter's). Papermill alone would
    only warn about an unknown name."""
    params = chapter_params(chapter)
    if params is not None:
        params.check_names(given)
        params.validate(given)
    else:
        check_parameter_names(notebook or chapter_notebook(chapter), given)


def parse_value(text):
    """A `-p` value parsed as papermill's CLI does (int, float, bool, None, else str)."""
    from papermill.cli import _resolve_type
    return _resolve_type(text)


def run_chapter(chapter, output, parameters=None, *, timeout=DEFAULT_CELL_TIMEOUT, print_glue=True,
                notebook=None, cwd=None, log=print):
    """Execute a chapter with papermill's ``sgdlab`` engine (shell replies read in 1 s slices, a
    per-cell timeout), write the executed notebook to `output` only on success and return its glued
    results. `notebook` overrides where the chapter's notebook is (default: `chapter_notebook`), `cwd`
    the kernel's working directory (default: the checkout's book/, else the current directory).
    Raises ValueError for an unknown chapter or a bad parameter, `ChapterFailed` when a cell fails or
    times out or the kernel dies."""
    import os
    import sys
    import tempfile
    import time

    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from sgdlab import _engine

    params = dict(parameters or {})
    from pathlib import Path
    src = chapter_notebook(chapter) if notebook is None else Path(notebook)
    check_chapter_parameters(chapter, params, src)
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout: must be a positive number of seconds, got {timeout!r}")
    _engine.register()
    out_dir = os.path.dirname(os.path.abspath(output))
    os.makedirs(out_dir, exist_ok=True)
    _remove_stale_partials(out_dir, chapter)
    # a partial notebook is named so that it can never be taken for a finished one, and so that a
    # later run can tell whether its writer is still alive
    fd, tmp = tempfile.mkstemp(prefix=f".{chapter}.partial-{os.getpid()}-", suffix=".ipynb", dir=out_dir)
    os.close(fd)
    if cwd is None:
        cwd = str(src.parent) if src.parent == _checkout_book_dir() else os.getcwd()
    t0 = time.perf_counter()
    log(f"[book] executing {chapter}" + (f" with {params}" if params else "")
        + f" (cell timeout {timeout:g} s)")
    sys.stdout.flush()
    restore = _sigterm_as_interrupt()
    try:
        pm.execute_notebook(str(src), tmp, parameters=params, kernel_name="python3",
                            engine_name="sgdlab", execution_timeout=timeout, cwd=cwd,
                            progress_bar=False, log_output=False)
    except PapermillExecutionError as exc:
        cell_no, source = _failed_cell(tmp, exc)
        _unlink(tmp)
        raise ChapterFailed(chapter, cell_no, source, f"{exc.ename}: {exc.evalue}") from None
    except BaseException as exc:  # kernel death, cell timeouts, Ctrl-C, SIGTERM ...
        cell_no, source = _running_cell(tmp)
        _unlink(tmp)
        if isinstance(exc, Exception):
            raise ChapterFailed(chapter, cell_no, source, f"{type(exc).__name__}: {exc}") from exc
        raise
    finally:
        restore()
    nb = nbformat.read(tmp, as_version=4)
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "hide-input" not in tags:
            tags.append("hide-input")
    nbformat.write(nb, tmp)
    os.replace(tmp, output)
    log(f"[book] {chapter}: done in {time.perf_counter() - t0:.1f} s -> {output}")
    glued = read_glue(output)
    if print_glue:
        log(f"[book] glued results of {chapter}:")
        for key, value in glued.items():
            text = repr(value)
            log(f"  {key} = {text if len(text) < 300 else text[:300] + ' ...'}")
    return glued


class ChapterFailed(RuntimeError):
    """A chapter's cell raised, timed out, or its kernel died; names the chapter and the cell."""

    def __init__(self, chapter, cell_no, source, error):
        self.chapter, self.cell_no, self.source, self.error = chapter, cell_no, source, error
        where = f", code cell {cell_no}" if cell_no else ""
        text = f"chapter {chapter}{where}: {error}"
        if source:
            text += "\n    " + "\n    ".join(source.splitlines()[:15])
        super().__init__(text)


def _unlink(path):
    import os
    if os.path.exists(path):
        os.unlink(path)


def _source_code_cells(path):
    """The code cells of a (partially) executed notebook as the chapter's source has them: papermill's
    injected-parameters cell is not counted, so cell numbers match the notebook a user edits."""
    with open(path, encoding="utf-8") as fh:
        nb = json.load(fh)
    return [c for c in nb["cells"] if c["cell_type"] == "code"
            and "injected-parameters" not in c.get("metadata", {}).get("tags", [])]


def _cell_where(path, hit):
    """(number among the source's code cells, source) of the first cell for which hit(cell) holds."""
    try:
        for i, cell in enumerate(_source_code_cells(path)):
            if hit(cell):
                src = cell["source"]
                return i + 1, "".join(src) if isinstance(src, list) else src
    except (OSError, ValueError, KeyError):  # the message is still useful without the source
        pass
    return None, ""


def _failed_cell(path, exc):
    """(number among code cells, source) of the cell that raised in a partially executed notebook."""
    cell_no, source = _cell_where(path, lambda c: any(o.get("output_type") == "error"
                                                      for o in c.get("outputs", [])))
    return (cell_no or exc.exec_count), source


def _running_cell(path):
    """(number, source) of the cell that was running when the kernel died or the run was stopped: the
    last cell that papermill started (it marks every started cell completed when it gives up)."""
    try:
        cells = _source_code_cells(path)
    except (OSError, ValueError, KeyError):
        return None, ""
    started = [i for i, c in enumerate(cells) if c.get("metadata", {}).get("papermill", {}).get("start_time")]
    if not started:
        return None, ""
    src = cells[started[-1]]["source"]
    return started[-1] + 1, "".join(src) if isinstance(src, list) else src


def _remove_stale_partials(out_dir, chapter):
    """Partial notebooks left by runs that were killed (SIGKILL, a lost machine): removed at the next
    run of the same chapter, unless their writer is still running."""
    import glob
    import os
    for path in glob.glob(os.path.join(out_dir, f".{glob.escape(chapter)}.partial-*.ipynb")):
        try:
            pid = int(os.path.basename(path).split(".partial-")[1].split("-")[0])
            os.kill(pid, 0)
            continue            # still running (another make, another terminal)
        except (ValueError, IndexError, ProcessLookupError):
            pass
        except PermissionError:
            continue
        _unlink(path)


def _sigterm_as_interrupt():
    """SIGTERM (e.g. `timeout`'s) raises KeyboardInterrupt in the main thread, so the partial notebook is
    removed and the kernel shut down; returns a function that restores the previous handler."""
    import signal
    import threading
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, frame):
        raise KeyboardInterrupt(f"stopped by signal {signum}")
    previous = signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, previous)


def _parse_cli_parameters(pairs, yamls):
    params = {}
    for text in yamls:
        import yaml
        loaded = yaml.safe_load(text)
        if not isinstance(loaded, dict):
            raise ValueError(f"-y expects a YAML mapping, got {text!r}")
        params.update(loaded)
    for name, value in pairs:
        params[name] = parse_value(value)
    return params


def main(argv=None):
    import argparse
    import os
    import sys

    ap = argparse.ArgumentParser(prog="python -m sgdlab.book",
                                 description="Run the chapters of the sgdlab book.")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the chapters")
    h = sub.add_parser("help", help="a chapter's parameters")
    h.add_argument("chapter")
    r = sub.add_parser("run", help="execute a chapter with papermill and print its glued results")
    r.add_argument("chapter")
    r.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                   help="a parameter, parsed like papermill's -p (repeatable)")
    r.add_argument("-y", "--yaml", action="append", default=[], help="parameters as a YAML mapping")
    r.add_argument("-o", "--output", help="executed notebook to write (default: sgdlab-runs/CHAPTER.ipynb)")
    r.add_argument("--timeout", type=float, default=DEFAULT_CELL_TIMEOUT,
                   help=f"per-cell timeout in seconds (default {DEFAULT_CELL_TIMEOUT})")
    r.add_argument("--no-glue", action="store_true", help="do not print the glued results")
    args = ap.parse_args(argv)

    try:
        if args.command == "list":
            print("\n".join(chapters()))
            return 0
        if args.command == "help":
            chapter_notebook(args.chapter)
            print(chapter_help(args.chapter))
            return 0
        params = _parse_cli_parameters(args.parameter, args.yaml)
        output = args.output or os.path.join("sgdlab-runs", f"{args.chapter}.ipynb")
        run_chapter(args.chapter, output, params, timeout=args.timeout, print_glue=not args.no_glue,
                    log=lambda s: print(s, flush=True))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ChapterFailed as exc:
        print(f"\n[book] FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main())
