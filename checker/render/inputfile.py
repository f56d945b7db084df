"""Input files read within limits: a bounded read of a regular file, and JSON with its depth, its
integers and its text held to limits, so that a hostile file ends in one clear line, never in a
hang, a memory error or a traceback.

:func:`read_bounded` opens without blocking (a FIFO without a writer does not hang), refuses what
is not a regular file (``/dev/zero``, a FIFO, a folder) and reads at most ``limit + 1`` bytes.
:func:`load_json` refuses non-UTF-8 bytes, nesting deeper than :data:`MAX_JSON_DEPTH` (checked by
a scan without recursion, before the parser sees the text), integers of more than
:data:`MAX_INT_DIGITS` digits, ``NaN`` or ``Infinity``, and an object that gives one key twice
(which Python's parser would settle silently by keeping the last, so that what one reader sees
is not what another does). Each refusal is an :class:`InputFileError` naming the file through
:func:`shown_path`.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

from leasecheck.errors import Signal, UserError, quoted

#: the largest trace file or capture sidecar read (the traces leasecheck writes are far smaller)
MAX_JSON_BYTES = 64 * 1024 * 1024
#: the deepest nesting of arrays and objects a JSON input may have (a trace file has 6)
MAX_JSON_DEPTH = 32
#: the most digits an integer of a JSON input may have (every count of the model has at most 4)
MAX_INT_DIGITS = 30

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class InputFileError(UserError):
    """An input file that is missing, too large, not a regular file or not acceptable JSON."""


def shown_path(path: Path | str) -> str:
    """A file name as a message shows it: control characters escaped, one line, not too long."""
    text = str(path)
    if text.isprintable() and len(text) <= 200:
        return text
    return quoted(text, limit=200)


def read_bounded(path: Path, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file ``path``; :class:`InputFileError` when it cannot be opened,
    is not a regular file, or holds more than ``limit`` bytes (never more than ``limit + 1`` read)."""
    name = shown_path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL character in the name
        raise InputFileError(f"cannot read {name}: {exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputFileError(f"cannot read {name}: it is a folder")
        if not stat.S_ISREG(mode):
            raise InputFileError(f"cannot read {name}: not a regular file (a device, a FIFO or a socket); "
                                 f"give the {what} as a file")
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            chunk = os.read(fd, min(limit + 1 - got, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    except OSError as exc:
        raise InputFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise InputFileError(f"{name} is larger than {_size(limit)}: too large for a {what}")
    return data


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 and n % (1024 * 1024) == 0 else f"{n:,} bytes"


class _Refused(Signal):
    """Raised from inside the JSON parser's hooks and caught in :func:`parse_json`; carries the reason."""


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"has a number of {len(text.lstrip('-')):,} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _constant(text: str) -> float:
    raise _Refused(f"has {text}, which is not a JSON number")


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"gives the key {quoted(key, limit=40)} twice in one object")
        out[key] = value
    return out


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text``, found without recursion (strings are
    skipped; an ill-formed text gives some number, and the parser then says what is wrong)."""
    depth = deepest = 0
    for m in _BRACKET.finditer(_STRING.sub("", text)):
        if m.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse_json(data: bytes) -> object:
    """A JSON document from bytes within the limits of this module; :class:`ValueError` otherwise,
    its message one clause to follow the file's name (``"is not JSON: ..."``)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"is not UTF-8 text (byte {exc.start + 1} is {data[exc.start:exc.start + 1]!r})") from None
    text = text.removeprefix("\ufeff")
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"is JSON nested {depth:,} deep (at most {MAX_JSON_DEPTH})")
    try:
        return json.loads(text, parse_int=_int, parse_constant=_constant, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not JSON: {exc.msg} at line {exc.lineno}") from None
    except _Refused as exc:
        raise ValueError(str(exc)) from None
    except RecursionError:  # the scan above prevents it; kept so that nothing deep ever escapes
        raise ValueError(f"is JSON nested too deep (at most {MAX_JSON_DEPTH})") from None


def load_json(path: Path, limit: int = MAX_JSON_BYTES, what: str = "JSON file") -> object:
    """The JSON document in ``path``, read within the limits; :class:`InputFileError` otherwise."""
    data = read_bounded(path, limit, what)
    try:
        return parse_json(data)
    except ValueError as exc:
        raise InputFileError(f"{shown_path(path)} {exc}") from None
