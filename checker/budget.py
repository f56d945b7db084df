"""One run's budget: the deadline of ``--timeout`` and the cancellation that a signal sets.

:func:`leasecheck.checker.run.run_check` makes one :class:`Budget` when a run starts and hands it
to every engine: the explorers stop at its deadline, each Z3 call gets the smaller of its own
limit and what is left (:meth:`Budget.call_limit`), and a search stops when :meth:`Budget.check`
raises. A :class:`Cancellation` is the one mutable part: whoever receives SIGINT or SIGTERM (the
command line) calls :meth:`Cancellation.cancel`, which records why the run stops and calls the
hooks that the running engine registered (the Z3 engine's interrupts its solver's context, so
that a call under way returns at once). An engine turns :class:`Interrupted` and
:class:`OutOfTime` into "unknown" results; an interrupted call never counts as a proof step.
"""

from __future__ import annotations

import importlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from leasecheck.errors import Signal

#: why a run stopped early (Stats.stop_reason) when a signal asked it to
INTERRUPTED = "interrupted"
#: a cancellation's cause when the run's deadline passed
DEADLINE = "deadline"


def import_held(name: str) -> None:
    """Import the extension module ``name`` with SIGINT and SIGTERM held, as the command line
    loads the others before it starts: a signal inside an extension's initialisation comes out
    as an ImportError, or is lost in a fallback of the library's, never as the interrupt it is.
    A signal that came meanwhile arrives when they are released, once the module is whole."""
    held = {signal.SIGINT, signal.SIGTERM}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        importlib.import_module(name)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


class Interrupted(Signal):
    """SIGINT or SIGTERM asked the run to stop: what is not decided stays unknown."""


class OutOfTime(Signal):
    """The run's deadline passed: what is not decided stays unknown."""


class Cancellation:
    """Set once (the first cause stays, except that an interruption overrides the deadline);
    thread-safe, so that a signal watcher may set it while the main thread is inside a solver
    call. ``shielded`` tells a signal handler not to raise in the main thread (the Z3 engine and
    rendering stop at their own safe points instead)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cause: str | None = None
        self._hooks: list[Callable[[], None]] = []
        self._shield = 0

    @property
    def cause(self) -> str | None:
        return self._cause

    @property
    def shielded(self) -> bool:
        return self._shield > 0

    def cancel(self, cause: str = INTERRUPTED) -> None:
        with self._lock:
            if self._cause is None or cause == INTERRUPTED:
                self._cause = cause
            hooks = list(self._hooks)
        for hook in hooks:
            hook()

    def poke(self) -> None:
        """Call the hooks again (a solver call that started just after :meth:`cancel`)."""
        if self._cause is not None:
            with self._lock:
                hooks = list(self._hooks)
            for hook in hooks:
                hook()

    @contextmanager
    def hook(self, fn: Callable[[], None]) -> Iterator[None]:
        """``fn`` is called on cancellation while the ``with`` block runs."""
        with self._lock:
            self._hooks.append(fn)
        try:
            yield
        finally:
            with self._lock:
                self._hooks.remove(fn)

    @contextmanager
    def shield(self) -> Iterator[None]:
        """Code in the ``with`` block stops at its own checks, never by an exception from a signal."""
        self._shield += 1
        try:
            yield
        finally:
            self._shield -= 1


@dataclass(frozen=True)
class Budget:
    """``timeout``: the run's limit in seconds (None: none); ``deadline``: when it ends, as
    ``time.monotonic()``; ``cancel``: set by a signal; ``per_call``: one solver call's own limit."""

    timeout: float | None = None
    deadline: float | None = None
    cancel: Cancellation = field(default_factory=Cancellation, compare=False)
    per_call: float | None = None

    @classmethod
    def start(cls, timeout: float | None, cancel: Cancellation | None = None) -> Budget:
        """The budget of a run that starts now."""
        deadline = None if timeout is None else time.monotonic() + timeout
        return cls(timeout, deadline, cancel or Cancellation())

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def expired(self) -> bool:
        return self.cancel.cause == DEADLINE or (self.deadline is not None and time.monotonic() >= self.deadline)

    def stop_reason(self) -> str:
        """"interrupted", the timeout's reason, or "" while the run may go on."""
        if self.cancel.cause == INTERRUPTED:
            return INTERRUPTED
        if self.expired():
            return f"timeout after {self.timeout:g} s"
        return ""

    def check(self) -> None:
        """Raise :class:`Interrupted` or :class:`OutOfTime` when the run must stop."""
        reason = self.stop_reason()
        if reason == INTERRUPTED:
            raise Interrupted(INTERRUPTED)
        if reason:
            raise OutOfTime(f"the run's time limit ran out ({reason})")

    def call_limit(self) -> float | None:
        """The limit of one solver call that starts now: its own, cut to what is left."""
        left = self.remaining()
        if left is None:
            return self.per_call
        return left if self.per_call is None else min(self.per_call, left)
