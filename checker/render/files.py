"""Files written whole or not at all: a temporary file beside the target, renamed onto it when complete.

:func:`atomic_file` opens a temporary file in the target's folder; when the block ends normally
the file is flushed to disk and renamed onto the target (``os.replace``, atomic on one file
system), with the permissions a new file would have had (or the old file's). When the block
raises, the temporary file is removed and the target is left as it was: a reader never sees a
half-written trace, chart, picture, report or certificate. A target that exists and is not a
regular file (``/dev/stdout``, a named pipe) is written in place, since it cannot be replaced.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def _mode(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _open(target: int | Path, binary: bool) -> IO[Any]:
    return open(target, "wb") if binary else open(target, "w", encoding="utf-8")  # noqa: SIM115


def _special(path: Path) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


@contextlib.contextmanager
def atomic_file(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """A file to write ``path`` through: it takes the target's place only when the block completes."""
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    if _special(path):
        with _open(path, binary) as f:
            yield f
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with _open(fd, binary) as f:
            os.fchmod(f.fileno(), _mode(path))
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` whole, or leave ``path`` as it was."""
    with atomic_file(path, binary=isinstance(data, bytes)) as f:
        f.write(data)
