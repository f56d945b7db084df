"""The explicit engine's memory budget: its default from the machine, and the test between batches.

A :class:`MemoryBudget` has up to two ceilings. The first is on the process's resident size: the
``max_memory`` a run asks for (in MB), or by default 80 % of the memory available when the run
starts (``MemAvailable`` of ``/proc/meminfo`` plus what the process holds already). The second
applies when the process runs under an address-space limit (``ulimit -v``, ``RLIMIT_AS``), the
limit the kernel enforces: 80 % of it, on the process's virtual size. The explorers call
:meth:`MemoryBudget.exceeded` between batches and stop with its reason; an allocation that fails
all the same (a ``MemoryError``) ends the exploration with :meth:`MemoryBudget.reason` too.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass

#: the share of the available memory (or of the address-space limit) a run may fill
SHARE = 0.8

_MB = 1 << 20


def _page() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 4096


def process_size() -> tuple[int | None, int]:
    """(virtual size, resident size) of this process in bytes; the virtual size is None where
    ``/proc`` is missing, and the resident size is then the peak so far."""
    try:
        with open("/proc/self/statm", "rb") as f:
            fields = f.read().split()
        page = _page()
        return int(fields[0]) * page, int(fields[1]) * page
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return None, peak * (1 if os.uname().sysname == "Darwin" else 1024)


def available_bytes() -> int | None:
    """The memory the machine can still give, in bytes (None when it cannot be read)."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * _page()
    except (ValueError, OSError):
        return None


def address_limit_bytes() -> int | None:
    """The address-space limit of this process (``ulimit -v``) in bytes, None when unlimited."""
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ValueError, OSError, AttributeError):
        return None
    return None if soft == resource.RLIM_INFINITY or soft <= 0 else soft


def default_memory_mb() -> int | None:
    """The default ceiling on the resident size, in MB: 80 % of what is available plus what the
    process holds already (None when the machine does not say)."""
    free = available_bytes()
    if free is None:
        return None
    return max(1, int((free + process_size()[1]) * SHARE) // _MB)


@dataclass(frozen=True)
class MemoryBudget:
    """The ceilings a run stays under: ``resident_mb`` on the resident size and ``address_mb`` on
    the virtual size (from an address-space limit); None is no ceiling."""

    resident_mb: int | None
    address_mb: int | None = None

    def exceeded(self) -> str:
        """The reason to stop when this process is above a ceiling now, else ``""``."""
        virtual, resident = process_size()
        if self.resident_mb is not None and resident > self.resident_mb * _MB:
            return f"memory limit of {self.resident_mb:,} MB reached"
        if self.address_mb is not None and virtual is not None and virtual > self.address_mb * _MB:
            return self._address_reason()
        return ""

    def reason(self) -> str:
        """The reason to give when an allocation failed: the ceiling nearest to it."""
        if self.address_mb is not None and (self.resident_mb is None or self.address_mb <= self.resident_mb):
            return self._address_reason() + ": an allocation failed"
        if self.resident_mb is not None:
            return f"memory limit of {self.resident_mb:,} MB reached: an allocation failed"
        return "out of memory: an allocation failed"

    def _address_reason(self) -> str:
        return f"memory limit of {self.address_mb:,} MB reached, {SHARE:.0%} of the address-space limit"


def memory_budget(max_memory_mb: int | None = None) -> MemoryBudget:
    """The budget of a run that asks for ``max_memory_mb`` (None: the default from the machine)."""
    resident = max_memory_mb if max_memory_mb is not None else default_memory_mb()
    limit = address_limit_bytes()
    return MemoryBudget(resident, None if limit is None else max(1, int(limit * SHARE) // _MB))
