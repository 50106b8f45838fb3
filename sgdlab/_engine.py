"""A papermill engine that cannot sit forever on a cell whose reply has already arrived.

Registered as the papermill engine ``sgdlab`` (entry point ``papermill.engine`` in pyproject.toml), so

    papermill --engine sgdlab -k python3 chapter.ipynb out.ipynb -p name value

runs a chapter the way ``python -m sgdlab.book run`` and ``make chapter`` do.

What it changes against papermill's default ``nbclient`` engine, and nothing else:

* **Shell replies are awaited in slices of one second** until the cell's deadline
  (jupyter/nbclient#312). nbclient waits for a cell's ``execute_reply`` with one
  ``shell_channel.get_msg(timeout=<cell timeout>)``, i.e. one ``zmq.asyncio`` poll on the shell
  socket for the whole cell. On cells that create ipywidgets, that single poll has been seen here
  to miss the reply that was already in the socket (the kernel idle, papermill idle, the reply
  delivered only when the poll timed out: 900 s with ``make``'s timeout, forever without one).
  Measured here: 4 rounds of the 8 explorer cells in one kernel with nbclient's single wait and a
  120 s cell timeout: 3 of the 32 cells took exactly 120.0 s and then completed *without* a
  timeout error. At its timeout pyzmq answers the poll with a synchronous ``zmq_poll(0)``, and that
  found the reply, which had therefore been in the socket while the asyncio wake-up for it never
  came (a lost edge of the ZMQ_FD notification; the cells themselves take 2-10 s). So: each slice
  first looks with a zero timeout (pyzmq's synchronous path), then waits at most one second;
  a slice that times out consumes nothing.
* **A per-cell timeout always applies**: papermill's default is none; here it is the
  ``--execution-timeout`` given, else ``SGDLAB_CELL_TIMEOUT`` (seconds), else 900 s.
"""
from __future__ import annotations

import os
from queue import Empty
from time import monotonic

DEFAULT_CELL_TIMEOUT = 900
SLICE = 1.0   # seconds per wait on the shell channel
STATS = {"clients": 0}   # kernel clients whose shell channel was wrapped (tests check it happened)


def sliced(get_msg, interval=SLICE):
    """Wrap an async ``get_msg(timeout=...)``: wait in slices of `interval` seconds until the same
    deadline; raise ``queue.Empty`` only when the whole timeout has passed."""
    from jupyter_core.utils import ensure_async

    async def get_msg_sliced(timeout=None, **kw):
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            # a zero-timeout look first: pyzmq answers it with a synchronous zmq_poll, which sees a
            # message that the asyncio wake-up of a longer poll can miss
            try:
                return await ensure_async(get_msg(timeout=0, **kw))
            except Empty:
                pass
            left = interval if deadline is None else min(interval, max(0.0, deadline - monotonic()))
            try:
                return await ensure_async(get_msg(timeout=left, **kw))
            except Empty:
                if deadline is not None and monotonic() >= deadline:
                    raise

    get_msg_sliced.sgdlab_sliced = True
    return get_msg_sliced


def cell_timeout(given=None):
    """The per-cell timeout in seconds: `given`, else $SGDLAB_CELL_TIMEOUT, else 900."""
    if given:
        return given
    env = os.environ.get("SGDLAB_CELL_TIMEOUT")
    if env:
        try:
            value = float(env)
        except ValueError:
            raise ValueError(f"SGDLAB_CELL_TIMEOUT: expected seconds, got {env!r}") from None
        if value <= 0:
            raise ValueError(f"SGDLAB_CELL_TIMEOUT: must be > 0, got {env!r}")
        return value
    return DEFAULT_CELL_TIMEOUT


# The classes subclass papermill's, but this module must not import papermill at its top: papermill
# loads its `papermill.engine` entry points (this module) while it initialises, so a top-level import
# here would be circular whenever sgdlab._engine is imported first. They are built on first access
# (PEP 562 module __getattr__), which also works from inside papermill's initialisation.
_CLASSES = ("SlicedWaitClient", "SgdlabEngine")


def __getattr__(name):
    if name in _CLASSES:
        _build()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _build():
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine

    if "SgdlabEngine" in globals():   # built meanwhile (papermill's initialisation loads this module)
        return

    from nbclient.util import run_sync

    class SlicedWaitClient(PapermillNotebookClient):
        """papermill's notebook client whose shell channel is read in one-second slices."""

        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            if not getattr(kc.shell_channel.get_msg, "sgdlab_sliced", False):
                kc.shell_channel.get_msg = sliced(kc.shell_channel.get_msg)
                STATS["clients"] += 1
            return kc

        # nbclient binds its sync alias (what `setup_kernel`, hence papermill, calls) to its own
        # coroutine in the class body: rebind it, or the override above is never used
        start_new_kernel_client = run_sync(async_start_new_kernel_client)

    class SgdlabEngine(NBClientEngine):
        """papermill engine ``sgdlab``: nbclient with sliced shell waits and a default cell timeout."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            from papermill.engines import logger
            from papermill.utils import merge_kwargs, remove_args

            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs,
                timeout=cell_timeout(execution_timeout or kwargs.get("timeout")),
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            return SlicedWaitClient(nb_man, **final_kwargs).execute()

    globals().update(SlicedWaitClient=SlicedWaitClient, SgdlabEngine=SgdlabEngine)


def register():
    """Make ``engine_name="sgdlab"`` available in this process even without the installed entry point
    (e.g. a source checkout that was never pip-installed)."""
    from papermill.engines import papermill_engines
    papermill_engines.register("sgdlab", __getattr__("SgdlabEngine"))
