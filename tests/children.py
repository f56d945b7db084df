"""Child processes that tests send signals to: started with SIGINT and SIGTERM at their default
dispositions, whatever the test run inherited.

A process started in the background by a script (``nohup python -m pytest ... &``) begins with
SIGINT ignored, and an ignored signal stays ignored across ``fork`` and ``exec``: a child would then
never see the SIGINT a test sends it (and Python installs no ``KeyboardInterrupt`` handler for an
ignored SIGINT). ``subprocess``'s ``restore_signals`` resets only SIGPIPE, SIGXFZ and SIGXFSZ, so
the tests that signal a child pass :func:`default_signals` as ``preexec_fn``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

#: the signals the tests send, reset in the child before it runs the command
SENT = (signal.SIGINT, signal.SIGTERM)


def default_signals() -> None:
    """In the child, between ``fork`` and ``exec``: the default disposition for every signal the
    tests send (a handler would not survive ``exec``; an ignored signal would)."""
    for sig in SENT:
        signal.signal(sig, signal.SIG_DFL)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds the process ``pid`` has used so far (``/proc/PID/stat``); 0
    once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # after the command name: state is field 3, utime and stime fields 14 and 15 (man 5 proc)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_cpu(proc: subprocess.Popen[str], seconds: float, limit: float = 300.0) -> None:
    """Wait until ``proc`` has used ``seconds`` of CPU (so it is past its start-up and well into
    its work however busy the machine is), has ended, or ``limit`` seconds of wall time passed."""
    began = time.monotonic()
    while proc.poll() is None and cpu_seconds(proc.pid) < seconds and time.monotonic() - began < limit:
        time.sleep(0.05)
