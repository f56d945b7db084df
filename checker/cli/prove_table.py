"""`leasecheck prove --policies`: the all-sizes verdict of every server policy x property, as a
resumable table (docs/policies.md, "For every network").

Each cell is one policy and one property at the table's configuration (:data:`TABLE_BUDGETS`:
``recovery`` with one delete, the invariants with none; no losses, reboots or restart). A cell
is decided in one of two ways:

- a fixed-size sweep's records (``--sweep-results``) show the property violated at that
  configuration: the cell ``fails``, with the smallest network that shows it and the ``check``
  command that prints the counterexample; nothing is proved again;
- otherwise the all-sizes prover (:func:`leasecheck.checker.cli.prove.prove`) runs with a limit
  of work counted by the solver (the same on every machine): ``holds`` with its certificate
  written into ``--certificates``, ``fails`` with the network of its counterexample, or
  ``unknown`` with the prover's reason.

Before a cell is proved, the fingerprint of its first-order model (the one its certificate's
header names) is compared with those of the cells proved before it: a policy whose model is the
same as another's for that property shares that proof (its record names the policy proved).

The cells the prover decides are taken in order: first those of the policies that never ACK a
lease they have no record of (cheap proofs), column by column, then the others, column by column.

Every cell's record is appended to the results file as it is decided, so an interrupted run
loses only the cell it was on; a run skips the cells its results file has decided (an
``unknown`` is run again only with a larger limit of work, or when the run's deadline, not the
limit of work, stopped it). With ``--no-run`` nothing is proved: the table (and ``--picture``)
are drawn from the results file as it stands.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shlex
import signal
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from leasecheck.checker.allsizes.fo import fingerprint, first_order_system
from leasecheck.checker.allsizes.ghost import with_ghost
from leasecheck.checker.cli.paths import OutputError, announce, check_output_paths, check_results_path
from leasecheck.checker.cli.prove import PROPERTIES, prove
from leasecheck.checker.render.chart import check_picture_path
from leasecheck.checker.render.files import atomic_write
from leasecheck.checker.render.prooftable import render_table, save_table_picture
from leasecheck.checker.sweep.store import HEADER as SWEEP_HEADER
from leasecheck.checker.sweep.store import ResultsFile
from leasecheck.errors import ExitStatus, UserError
from leasecheck.model.dhcp import Config
from leasecheck.model.policy import parse_policy
from leasecheck.properties.dhcp_fo import DHCP_FIRST_ORDER
from leasecheck.properties.spec import Verdict

#: The first line of a table's results file (the version is leasecheck's, as a sweep's).
TABLE_HEADER = {"leasecheck": "all-sizes table", "format": 1, "version": SWEEP_HEADER["version"]}

#: The budgets of each property's column: recovery after one delete; the invariants without one
#: (with one, the 2x2 network refutes no_duplicate_address for every policy).
TABLE_BUDGETS: dict[str, int] = {"recovery": 1, "single_binding": 0, "no_duplicate_address": 0}
#: The columns when ``--property`` does not name them.
TABLE_PROPERTIES = ("recovery", "single_binding", "no_duplicate_address")
#: The order the prover takes the columns in: the cheapest proofs first.
PROOF_ORDER = ("single_binding", "recovery", "no_duplicate_address")
#: The most work (Z3's resource units, summed over a cell's solver calls) a cell's proof may spend
#: by default, per property: several times what the named variants' proofs spend (docs/policies.md).
WORK_LIMITS: dict[str, int] = {"single_binding": 100_000_000, "no_duplicate_address": 750_000_000,
                               "recovery": 2_000_000_000}
#: A cell's deadline by default (seconds): a safety net behind the limit of work, not the limit.
CELL_TIMEOUT = 3600.0


class TableError(UserError):
    """A table asked for in a way that does not make sense (one line, exit 2)."""


def cell_key(policy: str, prop: str) -> str:
    return f"{policy}|{prop}"


def cell_config(policy: str, prop: str) -> Config:
    """The configuration of a cell (its C and A are not used by the prover)."""
    return Config(clients=1, addresses=1, variant=policy, deletes=TABLE_BUDGETS[prop])


def model_fingerprint(policy: str, prop: str) -> str:
    """The fingerprint of the first-order model a proof of the cell speaks of (and its
    certificate's header names): with the ghost map for recovery."""
    fs = first_order_system(DHCP_FIRST_ORDER, cell_config(policy, prop))
    return fingerprint(with_ghost(fs) if prop == "recovery" else fs)


def acks(policy: str) -> bool:
    """Whether the policy ACKs some request for a lease it has no record of: such a policy's
    invariants need many more clauses (it re-creates leases), so its cells are proved last."""
    p = parse_policy(policy)
    return "ack" in (p.renewing, p.rebinding, p.rebooting)


def check_command(policy: str, prop: str, clients: int, addresses: int) -> str:
    """The command that prints the counterexample of a failing cell in the network given."""
    return shlex.join(["leasecheck", "check", "--variant", policy, "--clients", str(clients), "--addresses",
                       str(addresses), "--deletes", str(TABLE_BUDGETS[prop]), "--property", prop])


def prove_command(policy: str, prop: str, work_limit: int | None) -> str:
    """The command that proves one cell as the table did: with its limit of work, so that it ends
    where the table's run ended (an unknown at the limit is an unknown again)."""
    return shlex.join(["leasecheck", "prove", "--variant", policy, "--property", prop,
                       "--deletes", str(TABLE_BUDGETS[prop]),
                       *(["--work", str(work_limit)] if work_limit is not None else [])])


def certificate_name(policy: str, prop: str) -> str:
    p = parse_policy(policy)
    return f"{p.renewing}-{p.rebinding}-{p.rebooting}-{p.delete}-{prop}-D{TABLE_BUDGETS[prop]}.smt2"


def sweep_failures(paths: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """From fixed-size sweep records, for each cell violated at its table configuration, the
    smallest network (fewest client x address pairs, then fewest clients) and the file."""
    out: dict[str, dict[str, Any]] = {}
    for path in paths:
        if not path.is_file():
            raise TableError(f"the sweep results {path} do not exist")
        records = ResultsFile(path, SWEEP_HEADER).load()
        for r in records.values():
            p = r["point"]
            for prop, deletes in TABLE_BUDGETS.items():
                if (p["deletes"], p["losses"], p["reboots"], p["restart"]) != (deletes, 0, 0, False):
                    continue
                if r["verdicts"].get(prop) != "violated":
                    continue
                key = cell_key(p["policy"], prop)
                old = out.get(key)
                size = (p["clients"] * p["addresses"], p["clients"])
                if old is None or size < (old["clients"] * old["addresses"], old["clients"]):
                    out[key] = {"clients": p["clients"], "addresses": p["addresses"], "source": str(path)}
    return out


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _relative(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path, base)
    except ValueError:
        return str(path)


@dataclasses.dataclass(frozen=True)
class TableRun:
    """What one table run is asked: the cells, where they go, and each cell's limits."""

    policies: tuple[str, ...]
    properties: tuple[str, ...]
    results: Path
    certificates: Path | None
    sweeps: tuple[Path, ...]
    work: dict[str, int]
    timeout: float


def _wanted(cells: Iterable[tuple[str, str]], done: Mapping[str, Mapping[str, Any]],
            work: Mapping[str, int]) -> list[tuple[str, str]]:
    """The cells to decide now: no record, or an unknown at a smaller limit of work."""
    out = []
    for policy, prop in cells:
        r = done.get(cell_key(policy, prop))
        if r is None or (r["verdict"] == "unknown" and r.get("work_limit", 0) < work[prop]):
            out.append((policy, prop))
    return out


def decide_cell(policy: str, prop: str, run: TableRun, proved: Mapping[str, Mapping[str, Any]],
                err_progress: Any) -> dict[str, Any]:
    """Prove one cell (or take the proof of an earlier cell with the same model); its record."""
    fp = model_fingerprint(policy, prop)
    base = {"key": cell_key(policy, prop), "policy": policy, "property": prop, "deletes": TABLE_BUDGETS[prop],
            "fingerprint": fp}
    same = proved.get(f"{prop}|{fp}")
    if same is not None:
        return {**base, "status": "done", "verdict": same["verdict"], "how": "shared", "shares": same["policy"],
                "reason": f"the same first-order model as {same['policy']}'s: {same['reason']}",
                **{k: same[k] for k in ("certificate", "size", "command", "work_limit") if k in same}}
    cpu0, t0 = _cpu(), time.monotonic()
    limit = run.work[prop]
    proof = prove(cell_config(policy, prop), prop, timeout=run.timeout, progress=err_progress, work_limit=limit)
    record: dict[str, Any] = {**base, "how": "prover", "reason": proof.reason, "work": proof.work,
                              "work_limit": limit, "solver_calls": proof.queries,
                              "seconds": round(time.monotonic() - t0, 1), "cpu_seconds": round(_cpu() - cpu0, 1),
                              "command": prove_command(policy, prop, limit)}
    if proof.verdict is Verdict.HOLDS:
        record["verdict"] = "holds"
        if run.certificates is not None:
            path = run.certificates / certificate_name(policy, prop)
            try:
                run.certificates.mkdir(parents=True, exist_ok=True)
                atomic_write(path, proof.certificate)
            except OSError as exc:
                raise OutputError(f"cannot write the certificate {path}: {exc.strerror or exc}") from None
            record["certificate"] = _relative(path, run.results.parent)
    elif proof.verdict is Verdict.VIOLATED and proof.counterexample_config is not None:
        net = proof.counterexample_config
        record.update(verdict="fails", size=f"{net.clients}x{net.addresses}",
                      command=check_command(policy, prop, net.clients, net.addresses))
    else:
        record["verdict"] = "unknown"
        record["stopped_by"] = proof.stopped_by or "the prover"
    # a run stopped by its deadline is not this limit's answer: the next run tries the cell again
    record["status"] = "stopped" if proof.stopped_by == "time" else "done"
    return record


def run_table(run: TableRun, err: TextIO, quiet: bool) -> tuple[list[dict[str, Any]], bool]:
    """Decide every cell not yet in the results file; the records of the table's cells, and
    whether the run was interrupted."""
    store = ResultsFile(run.results, TABLE_HEADER, "all-sizes table")
    done = store.load()
    cells = [(policy, prop) for prop in run.properties for policy in run.policies]
    todo = _wanted(cells, done, run.work)
    failures = sweep_failures(run.sweeps)

    def say(line: str) -> None:
        if not quiet:
            err.write(f"leasecheck: prove: {line}\n")
            err.flush()

    proved = {f"{r['property']}|{r['fingerprint']}": r for r in done.values()
              if r.get("how") == "prover" and r["verdict"] in ("holds", "unknown") and "fingerprint" in r}
    first = [c for c in todo if cell_key(*c) in failures]
    rest = sorted((c for c in todo if cell_key(*c) not in failures),
                  key=lambda c: (acks(c[0]), PROOF_ORDER.index(c[1]), run.policies.index(c[0])))
    say(f"{len(cells) - len(todo)} of {len(cells)} cells decided in {run.results}; "
        f"{len(first)} taken from fixed-size sweeps, {len(rest)} to prove")
    # Parts of a proof (the explicit engine's explorations) take Ctrl-C as "stop here" and go on
    # with what they have, so a cell during which a signal came is not recorded: its answer is
    # not the one its limits give.
    signalled: list[int] = []

    def interrupt(signum: int, frame: Any) -> None:
        signalled.append(signum)
        raise KeyboardInterrupt

    old = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)} if _main_thread() else {}
    interrupted = False
    try:
        for policy, prop in first:
            f = failures[cell_key(policy, prop)]
            record: dict[str, Any] = {"key": cell_key(policy, prop), "status": "done", "policy": policy, "property": prop,
                      "deletes": TABLE_BUDGETS[prop], "verdict": "fails", "how": "fixed-size sweep",
                      "size": f"{f['clients']}x{f['addresses']}", "source": _relative(Path(f["source"]), run.results.parent),
                      "command": check_command(policy, prop, f["clients"], f["addresses"]),
                      "reason": f"violated in the network of {f['clients']} clients and {f['addresses']} addresses"}
            store.append(record)
            done[record["key"]] = record
        for n, (policy, prop) in enumerate(rest, 1):
            say(f"[{n}/{len(rest)}] {prop} of {policy}, D={TABLE_BUDGETS[prop]} ...")
            record = decide_cell(policy, prop, run, proved, lambda line: say(f"  {line}"))
            if signalled:
                raise KeyboardInterrupt
            store.append(record)
            if record["status"] == "done":
                done[record["key"]] = record
            if record.get("how") == "prover" and record["verdict"] in ("holds", "unknown"):
                proved[f"{prop}|{record['fingerprint']}"] = record
            cost = f" ({record['cpu_seconds']} s of CPU, {record['work']:,} units)" if "cpu_seconds" in record else ""
            say(f"[{n}/{len(rest)}] {prop} of {policy}: {record['verdict']}{cost}")
    except KeyboardInterrupt:
        interrupted = True
        say("interrupted: the cell under way is not recorded; the same command goes on from here")
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    return [done[cell_key(*c)] for c in cells if cell_key(*c) in done], interrupted


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def load_table(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        raise TableError(f"the results file {path} does not exist; run the table without --no-run first")
    return ResultsFile(path, TABLE_HEADER, "all-sizes table").load()


def run_table_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``leasecheck prove --policies ...``."""
    props = tuple(args.prop.split(",")) if args.prop else TABLE_PROPERTIES
    for p in props:
        if p not in PROPERTIES:
            raise TableError(f"unknown property {p!r}; choose among {', '.join(PROPERTIES)}")
    given = [name for name, value in (("--variant", args.variant), ("--certificate", args.certificate),
                                      ("--any-budget", args.any_budget), ("--restart", args.restart),
                                      ("--deletes", args.deletes is not None), ("--losses", args.losses),
                                      ("--reboots", args.reboots), ("--client-nak", args.client_nak != "obey"),
                                      ("--format json", args.format == "json"))
             if value]
    if given:
        raise TableError(f"{', '.join(given)} do not go with --policies: each column has its own configuration "
                         "(recovery D=1, the invariants D=0)")
    if args.results is None:
        raise TableError("--policies needs --results FILE, where each cell's record is kept")
    if args.picture:
        check_picture_path(Path(args.picture))
    check_output_paths(args.picture)
    results = Path(args.results)
    policies = tuple(args.policies)
    if args.no_run:
        done = load_table(results)
        cells = [(policy, prop) for prop in props for policy in policies]
        records = [done[cell_key(*c)] for c in cells if cell_key(*c) in done]
        interrupted = False
    else:
        check_results_path(results)
        work = {p: args.work or WORK_LIMITS[p] for p in PROPERTIES}
        run = TableRun(policies, props, results, Path(args.certificates) if args.certificates else None,
                       tuple(Path(s) for s in args.sweep_results or ()), work, args.timeout or CELL_TIMEOUT)
        records, interrupted = run_table(run, err, args.quiet)
    if args.picture and not interrupted:
        try:
            save_table_picture(records, policies, props, Path(args.picture))
        except OSError as exc:
            raise OutputError(f"cannot draw {args.picture}: {exc.strerror or exc}") from None
        announce(err, args.quiet, args.picture, "picture")
    out.write(render_table(records, policies, props))
    if interrupted:
        return int(ExitStatus.INTERRUPTED)
    decided = [r for r in records if r["verdict"] in ("holds", "fails")]
    return int(ExitStatus.OK if len(decided) == len(policies) * len(props) else ExitStatus.UNKNOWN)
