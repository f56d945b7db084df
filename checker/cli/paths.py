"""Output files named on the command line: checked before any work, announced once written.

:func:`check_output_paths` is the one check every command makes of the files it will write, before
it starts its work, so that a run of minutes never ends in a file that cannot be written: the name
is not empty, holds no control character, is not a folder, and is short enough for the file system
(with room for the names leasecheck derives from it: numbered traces, a capture's sidecar, the
temporary file a whole-or-nothing write goes through); its folder exists and may be written.
:func:`announce` says on stderr which file was written (nothing with ``--quiet``).
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import TextIO

from leasecheck.checker.render.inputfile import shown_path
from leasecheck.errors import UserError

#: Bytes of a file name kept free for the names leasecheck derives from it: ``-PROPERTY-CLIENT``
#: of a numbered trace, ``.json`` of a sidecar, ``.NAME.XXXXXXXX.part`` of a temporary file.
NAME_RESERVE = 48
#: Unicode categories of the characters a file name may not hold: control characters, line and
#: paragraph separators (a name that is not UTF-8 is taken, and shown escaped)
_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})
#: What a file system holds when it does not say (POSIX's NAME_MAX and PATH_MAX on Linux).
NAME_MAX, PATH_MAX = 255, 4096


class OutputError(UserError):
    """A file the user named cannot be written or read as asked."""


def _limit(folder: str, name: str, fallback: int) -> int:
    try:
        return int(os.pathconf(folder, name))
    except (OSError, ValueError):
        return fallback


def check_output_path(path: str | os.PathLike[str], what: str = "an output file") -> None:
    """Refuse ``path`` unless a file could be written there (see the module's docstring)."""
    text = os.fspath(path)
    if not text.strip():
        raise OutputError(f"{what}'s name is empty")
    if any(unicodedata.category(ch) in _LINE_BREAKING for ch in text):
        raise OutputError(f"cannot write {shown_path(text)}: a file name with a control character "
                          "(a newline, a tab) could not be shown on one line")
    name = os.fsencode(Path(text).name)
    absolute = os.fsencode(os.path.abspath(text))
    if len(absolute) + NAME_RESERVE > PATH_MAX:
        raise OutputError(f"cannot write {shown_path(text)}: its path is {len(absolute):,} bytes long; "
                              f"at most {PATH_MAX - NAME_RESERVE:,} are allowed")
    parent = os.path.dirname(os.path.abspath(text))
    try:
        parent_is_dir = os.path.isdir(parent)
    except (OSError, ValueError):
        parent_is_dir = False
    if not parent_is_dir:
        raise OutputError(f"cannot write {shown_path(text)}: no folder {shown_path(os.path.dirname(text) or '.')}")
    longest = _limit(parent, "PC_NAME_MAX", NAME_MAX) - NAME_RESERVE
    if len(name) > longest:
        raise OutputError(f"cannot write {shown_path(text)}: its name is {len(name):,} bytes long; "
                              f"at most {longest:,} are allowed here")
    try:
        folder, exists = os.path.isdir(text), os.path.lexists(text)
    except (OSError, ValueError):
        folder = exists = False
    if folder or not name:
        raise OutputError(f"cannot write {shown_path(text)}: it is a folder")
    if exists and not os.path.isfile(text):  # a device or a pipe is written in place
        if not os.access(text, os.W_OK):
            raise OutputError(f"cannot write {shown_path(text)}: permission denied")
    elif not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {shown_path(text)}: the folder {shown_path(parent)} is not writable")


def check_results_path(path: str | os.PathLike[str]) -> None:
    """:func:`check_output_path` of a results file that is read back to resume (``sweep
    --results``, ``conform --matrix --results``): it must also be a regular file when it exists,
    since a device such as ``/dev/full`` or ``/dev/zero`` reads as an endless stream."""
    check_output_path(path, "the results file")
    text = os.fspath(path)
    try:
        special = os.path.exists(text) and not os.path.isfile(text)
    except (OSError, ValueError):
        special = False
    if special:
        raise OutputError(f"cannot use {shown_path(text)} as the results file: it is read back to resume, and "
                          "it is not a regular file")


def check_output_paths(*paths: str | os.PathLike[str] | None) -> None:
    """:func:`check_output_path` of each path given (``None``: an output not asked for)."""
    for p in paths:
        if p is not None:
            check_output_path(p)


def announce(err: TextIO, quiet: bool, path: str | os.PathLike[str], what: str = "") -> None:
    """One line on stderr: the file written, and what it holds (``what``); nothing when ``quiet``."""
    if quiet:
        return
    err.write(f"leasecheck: wrote {shown_path(os.fspath(path))}{f' ({what})' if what else ''}\n")
    err.flush()
