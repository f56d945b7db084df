"""The command line's standard streams made safe: closed, full or broken, and any encoding.

* Standard output that cannot be written (closed, a full device, an I/O error) becomes
  :class:`OutputLost`, a user error: exit status 2 and one line on stderr.
* A reader that stops reading (``leasecheck check | head -1``, a broken pipe) is not an error: the
  rest of the output is dropped quietly and the command ends with its own exit status.
* Standard error that cannot be written loses its messages, never the exit status.
* Characters the stream's encoding cannot carry (``PYTHONIOENCODING=ascii``) are written as ASCII:
  the arrows and rules of traces as ``->``, ``<-``, ``-``, ``|``, anything else as a backslash escape.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import sys
from typing import TextIO, cast

from leasecheck.errors import UserError

#: ASCII for the characters leasecheck's renderings use
_ASCII = {"→": "->", "←": "<-", "─": "-", "│": "|", "┌": "+", "└": "+", "◀": "<", "▶": ">", "✗": "x",
          "–": "-", "—": "--", "·": "."}

ERRORS = "leasecheck-ascii"


def _ascii_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return "".join(_ASCII.get(ch) or ch.encode("ascii", "backslashreplace").decode("ascii") for ch in bad), exc.end


codecs.register_error(ERRORS, _ascii_fallback)


class OutputLost(UserError):
    """The standard output cannot be written: closed, full, or failing."""


def _to_devnull(stream: object) -> None:
    """Point the stream's file descriptor at /dev/null, so that what it still buffers (flushed at
    exit) goes nowhere instead of raising again."""
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
        null = os.open(os.devnull, os.O_WRONLY)
    except (AttributeError, OSError, ValueError):
        return
    try:
        os.dup2(null, fd)
    except OSError:
        pass
    finally:
        os.close(null)


class _Output:
    """Standard output: a write that fails raises :class:`OutputLost`; after a broken pipe every
    write is dropped."""

    def __init__(self, stream: TextIO | None):
        self.stream = stream
        self.broken = False
        #: whether anything was written (a command that fails after printing its answer adds no
        #: second JSON document)
        self.written = False

    def _lost(self, exc: OSError | ValueError) -> OutputLost:
        _to_devnull(self.stream)
        why = "standard output is closed" if self.stream is None else (getattr(exc, "strerror", None) or str(exc))
        return OutputLost(f"leasecheck: cannot write the output: {why}")

    def write(self, text: str) -> int:
        self.written = self.written or bool(text)
        if self.broken:
            return len(text)
        if self.stream is None:
            raise self._lost(OSError("closed"))
        try:
            return self._write_whole(text)
        except BrokenPipeError:
            self.broken = True
            _to_devnull(self.stream)
            return len(text)
        except (OSError, ValueError) as exc:
            raise self._lost(exc) from None

    def _write_whole(self, text: str) -> int:
        """Write all of ``text``. A text stream hands a long text to its buffer in one call, and
        a signal that interrupts the blocked write (a reader that is slow to read) makes that
        call write only part of it, which the text stream does not notice: the rest is lost
        without an error. So a text stream's bytes are written here, part after part, until
        every one is out."""
        stream = self.stream
        assert stream is not None
        buffer = getattr(stream, "buffer", None)
        encoding = getattr(stream, "encoding", None)
        if buffer is None or not encoding:
            return stream.write(text)  # not a file's text stream (a test's StringIO)
        data = memoryview(text.encode(encoding, getattr(stream, "errors", None) or "strict"))
        stream.flush()  # what the text stream holds goes first
        done = 0
        while done < len(data):
            wrote = buffer.write(data[done:])
            if wrote is None:  # an unbuffered stream that would block: not one to wait on in a loop
                raise BlockingIOError(11, "standard output would block")
            done += wrote
        if getattr(stream, "line_buffering", False) and "\n" in text:
            buffer.flush()  # a terminal's lines as they come, as its text stream would
        return len(text)

    def flush(self) -> None:
        if self.broken or self.stream is None:
            return
        try:
            self.stream.flush()
        except BrokenPipeError:
            self.broken = True
            _to_devnull(self.stream)
        except (OSError, ValueError) as exc:
            raise self._lost(exc) from None

    def isatty(self) -> bool:
        try:
            return self.stream is not None and self.stream.isatty()
        except (OSError, ValueError):
            return False

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)


class _Errors(_Output):
    """Standard error: a message that cannot be written is dropped."""

    def write(self, text: str) -> int:
        try:
            if self.stream is not None:
                self.stream.write(text)
        except (OSError, ValueError):
            _to_devnull(self.stream)
            self.stream = None
        return len(text)

    def flush(self) -> None:
        try:
            if self.stream is not None:
                self.stream.flush()
        except (OSError, ValueError):
            _to_devnull(self.stream)
            self.stream = None


def _reconfigure(stream: TextIO | None) -> None:
    with contextlib.suppress(AttributeError, OSError, ValueError):
        stream.reconfigure(errors=ERRORS)  # type: ignore[union-attr]


def _fill(fd: int) -> None:
    """Open /dev/null as the closed descriptor ``fd``, so that no file the command opens takes its
    number (and receives what a library prints there)."""
    try:
        os.fstat(fd)
        return
    except OSError:
        pass
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    except OSError:
        pass


def standard_streams(out: TextIO | None, err: TextIO | None) -> tuple[TextIO, TextIO, bool]:
    """The streams a command writes to: ``out`` and ``err`` when given (tests), else this process's
    own, made safe as this module says. The flag says whether standard output is closed."""
    closed = False
    if out is None:
        out = sys.stdout
        closed = out is None
        if closed:
            _fill(1)
        _reconfigure(out)
    if err is None:
        err = sys.stderr
        if err is None:
            _fill(2)
        _reconfigure(err)
    return cast(TextIO, _Output(out)), cast(TextIO, _Errors(err)), closed


def finish(status: int) -> int:
    """The process's exit status once standard output is flushed: a flush that fails says so on
    stderr and makes it 2 (a broken pipe is quiet and changes nothing); either way, what is left
    goes to /dev/null, so that the interpreter's own last flush prints nothing."""
    stream = sys.stdout
    if stream is None:
        return status
    try:
        stream.flush()
    except BrokenPipeError:
        _to_devnull(stream)
    except (OSError, ValueError) as exc:
        _to_devnull(stream)
        _Errors(sys.stderr).write(f"leasecheck: cannot write the output: {getattr(exc, 'strerror', None) or exc}\n")
        return 2 if status in (0, 1, 3, 4) else status
    return status
