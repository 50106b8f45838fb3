#!/usr/bin/env python
"""Execute one chapter notebook with papermill, the way `make book` and `make chapter` do.

    python scripts/run_chapter.py NAME OUTPUT [-p NAME VALUE ...] [-y YAML] [--timeout S] [--print-glue]
    python scripts/run_chapter.py NAME --help-params

A thin front of `sgdlab.book.run_chapter` (the same runner as `python -m sgdlab.book run`) for the
notebooks of this checkout (book/NAME.ipynb next to this script's folder):

* kernel `python3`, papermill's `sgdlab` engine: a per-cell execution timeout (--timeout, default
  900 s) and shell replies read in one-second slices (jupyter/nbclient#312, see sgdlab/_engine.py);
  the Makefile wraps the call in a wall-clock `timeout` as well;
* parameter names (and, for chapters with a kit `PARAMS`, values) are checked before anything runs:
  an unknown name fails with exit code 2 (papermill alone only warns);
* values are parsed like papermill's CLI (-p: int/float/bool/None/str; -y: YAML);
* the executed notebook is written to a temporary file and moved to OUTPUT only on success, so a
  failed chapter never leaves a result that looks finished; on failure the chapter's name, the
  failing cell and the error are printed and the exit code is 1;
* the `injected-parameters` cell is tagged `hide-input` so the rendered page stays clean;
* --print-glue prints the glued results of the executed notebook; --help-params prints the
  chapter's parameters.
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Execute one chapter of the sgdlab book with papermill.")
    ap.add_argument("name", help="chapter name: book/NAME.ipynb")
    ap.add_argument("output", nargs="?", help="executed notebook to write")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("-y", "--yaml", action="append", default=[], help="parameters as YAML")
    ap.add_argument("--timeout", type=float, default=900, help="per-cell timeout in seconds")
    ap.add_argument("--print-glue", action="store_true")
    ap.add_argument("--help-params", action="store_true", help="print the chapter's parameters and exit")
    args = ap.parse_args(argv)

    book = os.path.join(ROOT, "book")
    src = os.path.join(book, f"{args.name}.ipynb")
    if args.name.startswith(".") or os.sep in args.name or not os.path.exists(src):
        chapters = sorted(f[:-6] for f in os.listdir(book) if f.endswith(".ipynb") and not f.startswith("_"))
        print(f"error: no chapter named {args.name!r} (book/{args.name}.ipynb); chapters: {', '.join(chapters)}",
              file=sys.stderr)
        return 2

    from sgdlab import book as B
    if args.help_params:
        print(B.chapter_help(args.name, src))
        return 0
    if not args.output:
        ap.error("OUTPUT is required unless --help-params is given")
    try:
        params = B._parse_cli_parameters(args.parameter, args.yaml)
        B.run_chapter(args.name, args.output, params, timeout=args.timeout, print_glue=args.print_glue,
                      notebook=src, cwd=book, log=lambda s: print(s, flush=True))
    except ValueError as exc:
        print(f"error: chapter {args.name}: {exc}", file=sys.stderr)
        return 2
    except B.ChapterFailed as exc:
        print(f"\n[book] FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
