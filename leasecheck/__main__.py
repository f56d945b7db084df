"""`python -m leasecheck` and the ``leasecheck`` command: the command line, with signals handled
from the first moment (SIGTERM as SIGINT; a signal while the program is still loading is one line
and exit status 130, not a traceback; the extension modules load while signals wait)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def run() -> None:
    """The ``leasecheck`` command."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    # numpy's BLAS would start a thread pool (and its buffers) per core; nothing here uses it, and
    # under a tight memory limit its allocation failure ends the process with status 1
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # a signal waits until the program is loaded: an import cut short inside an extension module's
    # initialisation can leave the interpreter set to end by SIGINT whatever is caught afterwards
    held = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, held)
    from leasecheck.checker.cli.main import entry_point

    _load_extensions()
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)  # a signal that came meanwhile arrives here
        started = True
    except KeyboardInterrupt:
        started = False
    if not started:
        message = "interrupted while starting; nothing was decided"
        sys.stderr.write(f"leasecheck: {message}\n")
        _json_document(message)
        _end_interrupted()
    try:
        entry_point()
    except KeyboardInterrupt:  # in the last moments, after the command's own handling
        sys.stderr.write("leasecheck: interrupted\n")
        _end_interrupted()
    except SystemExit as exc:
        if exc.code == 130:
            _end_interrupted()
        # the answer is given: a signal now must not turn the interpreter's shutdown into a death
        # by SIGINT, whose status would hide the answer's
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise


#: the extension modules that the commands load on first use. Their initialisation runs Python
#: imports of its own, so a signal in the middle of one comes out as an ImportError (numpy: "the
#: C-extensions failed") or is swallowed by a fallback inside the library, never as an interrupt;
#: so they are loaded here, while signals wait, and what a command imports later is plain Python
#: (scipy's graph routines, a tenth of a second, load the same way in the explicit engine, only in
#: the runs that need them: leasecheck.checker.budget.import_held)
EXTENSIONS = ("numpy", "z3")


def _load_extensions() -> None:
    import importlib

    for name in EXTENSIONS:
        importlib.import_module(name)


def _json_document(message: str) -> None:
    """With ``--format json``, the interruption as the one JSON document on stdout."""
    from leasecheck.checker.cli.main import error_document, wants_json

    command = wants_json(sys.argv[1:])
    if command is not None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stdout.write(error_document(command, 130, message))


def _end_interrupted() -> None:
    """End with status 130 once the output is flushed. The interpreter's own shutdown is skipped:
    after a signal that cut short the import of an extension module, it would end the process by
    SIGINT instead (status -2), whatever the program said."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(130)


if __name__ == "__main__":
    run()
