"""Child processes that tests send signals to: started with SIGINT and SIGTERM at their default
dispositions, whatever the test run inherited.

A process started in the background by a script (``nohup python -m pytest ... &``) begins with
SIGINT ignored, and an ignored signal stays ignored across ``fork`` and ``exec``: a child would then
never see the SIGINT a test sends it (and Python installs no ``KeyboardInterrupt`` handler for an
ignored SIGINT). ``subprocess``'s ``restore_signals`` resets only SIGPIPE, SIGXFZ and SIGXFSZ, so
the tests that signal a child pass :func:`default_signals` as ``preexec_fn``.
"""

from __future__ import annotations

import signal

#: the signals the tests send, reset in the child before it runs the command
SENT = (signal.SIGINT, signal.SIGTERM)


def default_signals() -> None:
    """In the child, between ``fork`` and ``exec``: the default disposition for every signal the
    tests send (a handler would not survive ``exec``; an ignored signal would)."""
    for sig in SENT:
        signal.signal(sig, signal.SIG_DFL)
