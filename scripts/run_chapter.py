#!/usr/bin/env python
"""Execute one chapter notebook with papermill, the way `make book` and `make chapter` do.

    python scripts/run_chapter.py NAME OUTPUT [-p NAME VALUE ...] [-y YAML] [--timeout S]

* kernel `python3`, a per-cell execution timeout (--timeout, default 900 s); the Makefile wraps the
  call in a wall-clock `timeout` as well;
* parameter names are checked against the chapter's `parameters` cell (papermill only warns):
  an unknown name fails before anything runs;
* values are parsed like papermill's CLI (-p: int/float/bool/None/str; -y: YAML);
* the executed notebook is written to a temporary file and moved to OUTPUT only on success, so a
  failed chapter never leaves a result that looks finished; on failure the chapter's name, the
  failing cell and the error are printed and the exit code is 1;
* the `injected-parameters` cell is tagged `hide-input` so the rendered page stays clean;
* --print-glue prints the glued results of the executed notebook.
"""
import argparse
import os
import sys
import tempfile
import time

import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_value(text):
    from papermill.cli import _resolve_type
    return _resolve_type(text)


def _poll_shell_in_short_waits(interval=1.0):
    """Work around jupyter/nbclient#312: a cell that creates ipywidgets sometimes stays blocked in one
    long `shell_channel.get_msg(timeout=<cell timeout>)` although its reply has arrived; the cell
    then "finishes" only when the cell timeout runs out (seen here: 900 s on an explorer cell of a
    loaded machine, 7 s otherwise). Waiting in slices of `interval` seconds until the same deadline
    picks the reply up within a second; nothing else changes (a slice that times out consumes
    no message)."""
    from time import monotonic
    from queue import Empty
    from nbclient import client as nbc
    from jupyter_core.utils import ensure_async
    from nbclient.util import run_sync

    if getattr(nbc.NotebookClient, "_sgdlab_short_waits", False):
        return
    original = nbc.NotebookClient.async_start_new_kernel_client

    async def start(self):
        kc = await original(self)
        get_msg = kc.shell_channel.get_msg

        async def sliced_get_msg(timeout=None, **kw):
            deadline = None if timeout is None else monotonic() + timeout
            while True:
                left = interval if deadline is None else min(interval, max(0.0, deadline - monotonic()))
                try:
                    return await ensure_async(get_msg(timeout=left, **kw))
                except Empty:
                    if deadline is not None and monotonic() >= deadline:
                        raise

        kc.shell_channel.get_msg = sliced_get_msg
        return kc

    nbc.NotebookClient.async_start_new_kernel_client = start
    nbc.NotebookClient.start_new_kernel_client = run_sync(start)   # the sync alias papermill calls
    nbc.NotebookClient._sgdlab_short_waits = True


def main(argv=None):
    ap = argparse.ArgumentParser(description="Execute one chapter of the sgdlab book with papermill.")
    ap.add_argument("name", help="chapter name: book/NAME.ipynb")
    ap.add_argument("output", help="executed notebook to write")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("-y", "--yaml", action="append", default=[], help="parameters as YAML")
    ap.add_argument("--timeout", type=int, default=900, help="per-cell timeout in seconds")
    ap.add_argument("--print-glue", action="store_true")
    args = ap.parse_args(argv)

    src = os.path.join(ROOT, "book", f"{args.name}.ipynb")
    if not os.path.exists(src):
        chapters = sorted(f[:-6] for f in os.listdir(os.path.join(ROOT, "book"))
                          if f.endswith(".ipynb") and not f.startswith("_"))
        print(f"error: no chapter named {args.name!r} (book/{args.name}.ipynb); chapters: {', '.join(chapters)}",
              file=sys.stderr)
        return 2
    params = {}
    for text in args.yaml:
        import yaml
        loaded = yaml.safe_load(text)
        if not isinstance(loaded, dict):
            print(f"error: -y expects a YAML mapping, got {text!r}", file=sys.stderr)
            return 2
        params.update(loaded)
    for name, value in args.parameter:
        params[name] = parse_value(value)

    from sgdlab.book import check_parameter_names, read_glue
    try:
        check_parameter_names(src, params)
    except ValueError as exc:
        print(f"error: chapter {args.name}: {exc}", file=sys.stderr)
        return 2

    import papermill as pm
    from papermill.exceptions import PapermillExecutionError
    _poll_shell_in_short_waits()
    os.makedirs(os.path.dirname(os.path.abspath(args.output)) or ".", exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".ipynb", dir=os.path.dirname(os.path.abspath(args.output)))
    os.close(fd)
    t0 = time.perf_counter()
    print(f"[book] executing {args.name}" + (f" with {params}" if params else ""), flush=True)
    try:
        pm.execute_notebook(src, tmp, parameters=params, kernel_name="python3",
                            execution_timeout=args.timeout, cwd=os.path.join(ROOT, "book"),
                            progress_bar=False, log_output=False)
    except PapermillExecutionError as exc:
        _report_failure(args.name, tmp, exc)
        os.unlink(tmp)
        return 1
    except Exception as exc:  # kernel death, timeouts, ...
        print(f"\n[book] FAILED: chapter {args.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.path.exists(tmp):
            os.unlink(tmp)
        return 1
    nb = nbformat.read(tmp, as_version=4)
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "hide-input" not in tags:
            tags.append("hide-input")
    nbformat.write(nb, tmp)
    os.replace(tmp, args.output)
    print(f"[book] {args.name}: done in {time.perf_counter() - t0:.1f} s -> {args.output}", flush=True)
    if args.print_glue:
        glued = read_glue(args.output)
        print(f"[book] glued results of {args.name}:")
        for key, value in glued.items():
            text = repr(value)
            print(f"  {key} = {text if len(text) < 300 else text[:300] + ' ...'}")
    return 0


def _report_failure(name, path, exc):
    cell_no, source = exc.exec_count, ""
    try:
        nb = nbformat.read(path, as_version=4)
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        for i, cell in enumerate(code_cells):
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                cell_no, source = i + 1, cell.source
                break
    except Exception:  # noqa: BLE001 - the report below is still useful without the source
        pass
    print(f"\n[book] FAILED: chapter {name}, code cell {cell_no}:", file=sys.stderr)
    if source:
        print("    " + "\n    ".join(source.splitlines()[:15]), file=sys.stderr)
    print(f"{exc.ename}: {exc.evalue}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
