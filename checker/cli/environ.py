"""What a command needs of its process's environment, set up before any library reads it.

matplotlib keeps a configuration and font cache folder, by default ``$XDG_CONFIG_HOME/matplotlib``
or ``~/.config/matplotlib``; when that cannot be written (a read-only or missing HOME, as in some
CI containers) it prints warnings on stderr and makes a temporary folder itself.
:func:`matplotlib_config_dir` sets ``MPLCONFIGDIR`` to a temporary folder of leasecheck's own in
that case only (never when the user set it), before matplotlib is imported, so that every message
on stderr is leasecheck's.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import MutableMapping
from pathlib import Path


def _default_config_dir(env: MutableMapping[str, str]) -> Path | None:
    base = env.get("XDG_CONFIG_HOME") or ""
    if not base:
        home = env.get("HOME") or ""
        if not home:
            return None
        base = os.path.join(home, ".config")
    return Path(base, "matplotlib")


def _writable(folder: Path | None) -> bool:
    """Whether matplotlib could use ``folder``: a writable folder, or one it could make (its
    nearest existing ancestor is a writable folder). Nothing is made here."""
    if folder is None or not folder.is_absolute():
        return False
    try:
        probe = folder
        while not os.path.lexists(probe):
            probe = probe.parent
        return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)
    except OSError:
        return False


def matplotlib_config_dir(env: MutableMapping[str, str] | None = None) -> str | None:
    """Point ``MPLCONFIGDIR`` at a temporary folder (removed at exit) when it is unset and the
    default cannot be written; the folder chosen, or None when nothing was changed."""
    env = os.environ if env is None else env
    if env.get("MPLCONFIGDIR") or _writable(_default_config_dir(env)):
        return None
    try:
        folder = tempfile.mkdtemp(prefix="leasecheck-matplotlib-")
    except OSError:
        return None
    atexit.register(shutil.rmtree, folder, True)
    env["MPLCONFIGDIR"] = folder
    return folder
