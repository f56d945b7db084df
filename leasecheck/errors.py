"""Every error leasecheck raises, under one root, and the exit status each one means.

This module is the bottom layer: it imports nothing of leasecheck, and every other module may
import it. The command line maps an exception to its exit status here and nowhere else
(:func:`exit_status_of`); the statuses that verdicts give are here too (:class:`ExitStatus`).

* :class:`LeasecheckError` is the root. Catch it to catch anything leasecheck raises on purpose.
* :class:`UserError`: the input was wrong (a configuration, an option, a file, an environment that
  lacks something). Exit status 2, one line on stderr.
* :class:`InternalError`: leasecheck caught itself in a bug (a trace that does not replay, an
  ill-formed model). Exit status 70.
* :class:`Signal`: an engine's internal control flow (a search that gave up, a formula that cannot
  be carried over). Caught inside the engines; reaching a user is a bug, hence exit status 70.
"""

from __future__ import annotations

import enum

__all__ = [
    "ExitStatus",
    "InternalError",
    "LeasecheckError",
    "Signal",
    "UserError",
    "exit_status_of",
    "quoted",
]


class ExitStatus(enum.IntEnum):
    """What the ``leasecheck`` command's exit status means, for people and for CI."""

    #: every checked property holds (for ``claims``: every verdict is the expected one)
    OK = 0
    #: some property is violated (for ``claims``: some verdict is not the expected one)
    VIOLATED = 1
    #: a usage or input error, said in one line on stderr
    USAGE = 2
    #: nothing violated, but some verdict is unknown (a limit was hit)
    UNKNOWN = 3
    #: with ``--engine both``, the engines disagree: one says holds where the other says violated
    DISAGREE = 4
    #: a bug in leasecheck
    INTERNAL = 70
    #: interrupted (Ctrl-C), after printing what was reached
    INTERRUPTED = 130


class LeasecheckError(Exception):
    """The root of every exception leasecheck raises on purpose."""

    exit_status: ExitStatus = ExitStatus.INTERNAL
    #: the command a message is reported under when it does not name one itself
    command: str = "leasecheck"


class UserError(LeasecheckError, ValueError):
    """The user's input was wrong: a configuration, an option, a file, a missing prerequisite."""

    exit_status = ExitStatus.USAGE


class UsageError(UserError):
    """A request that does not make sense, on the command line or through the API: an unknown value,
    options that do not go together, a required one missing. One line, exit status 2."""


class InternalError(LeasecheckError, RuntimeError):
    """leasecheck caught itself in a bug: please report it."""

    exit_status = ExitStatus.INTERNAL


class Signal(LeasecheckError):
    """An engine's internal control flow: raised and caught inside one engine."""

    exit_status = ExitStatus.INTERNAL


def exit_status_of(exc: BaseException) -> ExitStatus:
    """The exit status that ends a command which raised ``exc``: the one place this is decided."""
    if isinstance(exc, LeasecheckError):
        return exc.exit_status
    if isinstance(exc, KeyboardInterrupt):
        return ExitStatus.INTERRUPTED
    return ExitStatus.INTERNAL


def quoted(value: object, limit: int = 40) -> str:
    """A wrong value as an error message quotes it: its repr, cut short when it is huge (a number
    of 5,000 digits, a whole file), so that the message stays one readable line."""
    if isinstance(value, int) and value.bit_length() > 3 * limit:  # repr() itself refuses the largest
        return f"a number of about {int(value.bit_length() * 0.30103):,} digits"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit // 2]}... ({len(text):,} characters)"
