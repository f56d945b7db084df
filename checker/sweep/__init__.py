"""The server design space swept (``leasecheck.checker.sweep``).

Owns: the grid of sweep points, policies x sizes x budgets x restart, and their keys
(:mod:`.grid`); the work of one point, plain data in and plain data out (:mod:`.task`); the
executors that run points, local processes or a Dask cluster (:mod:`.executors`); the results
file that makes a sweep resumable, and its CSV form (:mod:`.store`); the sweep itself, with
progress and interruption (:mod:`.sweep`). Pictures and findings are drawn by
:mod:`leasecheck.checker.render.sweep`.

May import: leasecheck.errors, leasecheck.version, leasecheck.model, leasecheck.properties, leasecheck.checker,
leasecheck.checker.explicit.
"""
