"""Where sweep points run: local processes, or the workers of a Dask cluster.

An executor takes a list of tasks, each the plain arguments of
:func:`leasecheck.checker.sweep.task.run_point`, and yields their results as they finish, in any
order. Nothing but those dictionaries crosses between processes or machines, so the results are
the same whichever executor ran them. :class:`LocalExecutor` runs a pool of worker processes on
this machine; :class:`DaskExecutor` sends the tasks to a Dask scheduler (``distributed``, the
``cluster`` extra), or to a local Dask cluster it starts when no scheduler address is given.
Both stop their workers when the sweep ends or is interrupted.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from leasecheck.checker.sweep.grid import SweepError
from leasecheck.checker.sweep.task import run_point

Task = tuple[dict[str, Any], dict[str, Any]]

EXECUTORS = ("local", "dask")


def _quiet_worker() -> None:
    """A local worker leaves Ctrl-C to the sweep, which stops the pool itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run(task: Task) -> dict[str, Any]:
    return run_point(*task)


@dataclass(frozen=True)
class LocalExecutor:
    """A pool of ``workers`` processes on this machine."""

    workers: int = 1

    @property
    def description(self) -> str:
        return f"local, {self.workers} worker process{'es' if self.workers != 1 else ''}"

    def run(self, tasks: Sequence[Task]) -> Iterator[dict[str, Any]]:
        if not tasks:
            return
        pool = multiprocessing.get_context("spawn").Pool(self.workers, initializer=_quiet_worker)
        try:
            yield from pool.imap_unordered(_run, tasks)
            pool.close()
            pool.join()
        finally:
            pool.terminate()
            pool.join()


@dataclass(frozen=True)
class DaskExecutor:
    """Tasks sent to a Dask scheduler at ``address``, or to a local cluster of ``workers`` processes."""

    workers: int = 1
    address: str | None = None
    #: seconds to keep trying to reach the scheduler at ``address``
    connect_timeout: float = 30.0

    @property
    def description(self) -> str:
        if self.address:
            return f"dask, scheduler {self.address}"
        return f"dask, a local cluster of {self.workers} worker process{'es' if self.workers != 1 else ''}"

    def run(self, tasks: Sequence[Task]) -> Iterator[dict[str, Any]]:
        if not tasks:
            return
        try:
            from distributed import Client, LocalCluster, as_completed
        except ImportError:
            raise SweepError("--executor dask needs Dask's distributed scheduler: pip install 'leasecheck[cluster]'") from None
        cluster = None
        try:
            if self.address:
                client = Client(self.address, timeout=self.connect_timeout)
            else:
                cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
                client = Client(cluster)
        except OSError as exc:
            if cluster is not None:
                cluster.close()
            raise SweepError(f"cannot reach the Dask scheduler {self.address or '(local)'}: {exc}") from None
        try:
            futures = client.map(_run, list(tasks), pure=False)
            try:
                for future in as_completed(futures):
                    yield future.result()
            finally:
                client.cancel(futures)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def make_executor(name: str, workers: int, address: str | None) -> LocalExecutor | DaskExecutor:
    if name not in EXECUTORS:
        raise SweepError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
    if workers < 1:
        raise SweepError(f"--workers must be at least 1, not {workers}")
    if address and name != "dask":
        raise SweepError("--scheduler goes with --executor dask")
    return DaskExecutor(workers, address) if name == "dask" else LocalExecutor(workers)
