"""The `leasecheck` command line: argument parsing, progress display, and the exit status.

Each command is a thin layer over the public API and the front door
(:func:`leasecheck.checker.run.run_check`): parse, run, render, write. Its options come from the
shared vocabulary (:mod:`.options`: numbers, ``--format``, ``--quiet``) and its output files are
checked before the work and announced after it (:mod:`.paths`). The exit statuses are
:class:`leasecheck.errors.ExitStatus`; an exception becomes one through
:func:`leasecheck.errors.exit_status_of` only, in :func:`main`, which says it in one line that
begins ``leasecheck: `` (with ``--format json``, and nothing printed yet, also as one JSON
document on stdout: :func:`error_document`).

Signals: while a command runs, SIGTERM is treated as SIGINT. ``check`` installs
:class:`_Signals` for the run: a signal sets the run's
:class:`~leasecheck.checker.budget.Cancellation` (a watcher thread does so even while the main
thread is inside a Z3 call, and the Z3 engine's hook interrupts that call), and outside the
shielded parts (the Z3 engine, rendering) the handler raises KeyboardInterrupt, which the
explicit engine turns into what it reached. ``--timeout`` arms an alarm that stops the run the
same way at its deadline. The verdicts reached are printed, and the exit status is 130 (3 for the
deadline). A second Ctrl-C ends the process at once. Once the verdicts are printed whole, a
signal before the ``leasecheck`` process ends is ignored: the exit status is the answer's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import select
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from leasecheck.checker.budget import DEADLINE, INTERRUPTED, Cancellation
from leasecheck.checker.cli.environ import matplotlib_config_dir
from leasecheck.checker.cli.options import (
    FORMATS,
    HelpFormatter,
    add_budgets,
    add_format,
    add_quiet,
    requested_format,
    seconds,
    whole,
)
from leasecheck.checker.cli.paths import OutputError, announce, check_output_paths
from leasecheck.checker.cli.streams import OutputLost, finish, standard_streams
from leasecheck.checker.explicit.explore import DEFAULT_EXPLORER, EXPLORERS, Progress
from leasecheck.errors import ExitStatus, LeasecheckError, UsageError, exit_status_of
from leasecheck.model.dhcp import CLIENT_REBOOT_MODES, MAX_HOSTS, Config
from leasecheck.model.policy import ALIASES, PolicyError, canonical_variant
from leasecheck.model.values import VARIANTS
from leasecheck.properties.dhcp import PROPERTIES, PROPERTY_NAMES

if TYPE_CHECKING:
    from leasecheck.checker.run import CheckRun


def one_line(text: str) -> str:
    """A message made safe for one line of a terminal: control characters shown escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class _Parser(argparse.ArgumentParser):
    """Errors as :class:`UsageError`; every option's default in ``--help``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> Any:
        # argparse drops a "--" given as an option's value (``--timeout=--``) and hands the option
        # an empty list, past its type; the value is checked as any other instead
        if action.option_strings and action.nargs is None and arg_strings == ["--"]:
            value = self._get_value(action, "--")
            self._check_value(action, value)
            return value
        return super()._get_values(action, arg_strings)  # type: ignore[misc]

    def _print_message(self, message: str, file: Any = None) -> None:  # --help into a full stdout
        stream = file if file is not None else sys.stderr
        try:
            stream.write(message)
            stream.flush()
        except BrokenPipeError:
            pass
        except (OSError, ValueError) as exc:
            raise OutputLost(f"leasecheck: cannot write the output: {getattr(exc, 'strerror', None) or exc}") from None


#: The deepest bounded search ``--depth`` asks of the z3 engine (steps).
MAX_DEPTH = 10_000
#: The longest limit of one solver call (seconds): Z3 takes it in milliseconds, in 32 bits.
MAX_SOLVER_SECONDS = 86_400.0


def _variant(text: str) -> str:
    try:
        return canonical_variant(text)
    except PolicyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_config_options(p: argparse.ArgumentParser) -> None:
    """The model's parameters (docs/model.md section 2), shared by every command that builds one."""
    p.add_argument("--variant", type=_variant, default="nt35", metavar="NAME|POLICY",
                   help=f"server behaviour: {', '.join(VARIANTS)} (default nt35), or a policy such as "
                        f"{ALIASES['dnsmasq'].spec()} (docs/policies.md)")
    p.add_argument("--clients", type=whole(1, MAX_HOSTS), default=1, metavar="N", help="DHCP clients (default 1)")
    p.add_argument("--addresses", type=whole(1, MAX_HOSTS), default=1, metavar="N", help="pool addresses (default 1)")
    add_budgets(p)
    p.add_argument("--client-reboot", choices=CLIENT_REBOOT_MODES, default="keep-on-silence",
                   help="how a client reboots: INIT-REBOOT keeping its lease when unanswered (default, as RFC 2131 "
                        "3.2 allows), INIT-REBOOT then DISCOVER when unanswered, or forget the lease")


def _config(args: argparse.Namespace) -> Config:
    return Config(clients=args.clients, addresses=args.addresses, variant=args.variant,
                  deletes=args.deletes, losses=args.losses, reboots=args.reboots, restart=args.restart,
                  client_nak=args.client_nak, client_reboot=args.client_reboot)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="leasecheck", description="Model checking of DHCP lease logic (KB Q130220).")
    parser.add_argument("--version", action="version", version=f"leasecheck {_version()}",
                        help="print leasecheck's version and end")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    check = sub.add_parser("check", help="check properties of one configuration",
                           description="Explore one configuration and decide its properties.")
    _add_config_options(check)
    check.add_argument("--property", action="append", choices=PROPERTY_NAMES, metavar="NAME", dest="properties",
                       help=f"a property to check (repeatable; default: all that apply): {', '.join(PROPERTY_NAMES)}")
    add_format(check, "check")
    check.add_argument("--explorer", choices=EXPLORERS, default=DEFAULT_EXPLORER,
                       help="how states are explored: compiled (generated C, built with the C compiler once per "
                            "model and cached; vector where there is none; the default), vector (numpy) or "
                            "scalar (generated Python)")
    check.add_argument("--symmetry", action="store_true",
                       help="explore one state per class of states equal up to renaming clients and addresses "
                            "(vector or compiled explorer; per-client properties for client 0; see docs/symmetry.md; "
                            "default: every state)")
    check.add_argument("--max-states", type=whole(1), metavar="N",
                       help="stop after N states (verdicts become unknown; default: no limit)")
    check.add_argument("--timeout", type=seconds(), metavar="SECONDS",
                       help="the wall time of the whole run, every engine: model building, exploration, analyses, "
                            "solver calls (each gets at most 60 s, and never more than is left) and re-checks; "
                            "verdicts not reached by then are unknown (exit status 3; default: no limit)")
    check.add_argument("--max-memory", type=whole(1), metavar="MB",
                       help="stop exploring when the process holds this much memory (verdicts become unknown; "
                            "default 80%% of the memory available, and of an address-space limit such as ulimit -v)")
    add_quiet(check)
    check.add_argument("--trace-out", metavar="FILE",
                       help="write each trace as an ITF JSON file (FILE, or FILE-PROPERTY-CLIENT.itf.json when "
                            "several; default: none)")
    check.add_argument("--chart", metavar="FILE",
                       help="draw each trace as a message sequence chart (.svg, .png or .pdf; numbered as for "
                            "--trace-out; default: none)")
    check.add_argument("--engine", choices=("explicit", "z3", "both"), default="explicit",
                       help="explicit enumeration, Z3 (symbolic: bounded search and proofs), or both compared "
                            "(default explicit)")
    check.add_argument("--depth", type=whole(0, MAX_DEPTH), default=20, metavar="N",
                       help="bound of the z3 engine's bounded searches, in steps (default 20)")
    check.add_argument("--certificate", metavar="FILE",
                       help="save the z3 engine's proofs as SMT-LIB 2 (one file per proved property when several; "
                            "default: none)")

    claims = sub.add_parser("claims", help="check the KB article's claims, expected against computed",
                            description="Decide every claim of the catalogue at 1x1 and 2x2 and compare.")
    add_format(claims, "claims")
    claims.add_argument("--junit", metavar="FILE",
                        help="also write the results as JUnit XML (one test case per claim row; default: none)")
    add_quiet(claims)

    replay = sub.add_parser("replay", help="check a trace file against the model and print it",
                            description="Read an ITF trace written by --trace-out, check every step against the "
                                        "model of the configuration recorded in it, and print it.")
    replay.add_argument("file", metavar="FILE", help="an ITF JSON trace")
    replay.add_argument("--chart", metavar="FILE",
                        help="also draw the message sequence chart (.svg, .png or .pdf; default: none)")
    add_format(replay, "replay")
    add_quiet(replay)

    graph = sub.add_parser("graph", help="draw the reachable state graph of a small configuration",
                           description="Draw every reachable state, the stuck region, and a fair loop along which "
                                       "the client never again holds a lease.")
    _add_config_options(graph)
    graph.add_argument("--out", metavar="FILE", required=True, help="the picture to write (.svg, .png or .pdf)")
    graph.add_argument("--max-states", type=whole(1), default=600, metavar="N",
                       help="refuse configurations with more reachable states (default 600)")
    add_quiet(graph)

    describe = sub.add_parser("describe", help="print the traced model: variables, actions, guarded commands",
                              description="Print the model of one configuration as every engine reads it: the "
                                          "state variables with their values, each action, and each of its "
                                          "guarded commands (see docs/model.md).")
    _add_config_options(describe)
    add_format(describe, "describe")

    export = sub.add_parser("export", help="write the traced model for another model checker (SPIN)",
                            description="Write the model of one configuration, generated from its guarded "
                                        "commands, as a Promela program that SPIN checks as it is, with the "
                                        "invariants as ltl claims (see docs/promela.md).")
    _add_config_options(export)
    export.add_argument("--promela", action="store_true", required=True, help="write Promela for SPIN (the one format)")
    invariants = tuple(p.name for p in PROPERTIES if p.kind == "invariant")
    export.add_argument("--property", action="append", choices=invariants, metavar="NAME", dest="properties",
                        help=f"an invariant to write as a never claim (repeatable; default all: {', '.join(invariants)})")
    export.add_argument("--out", metavar="FILE", help="write the model to FILE (whole or not at all; default stdout)")
    add_quiet(export)

    certificate = sub.add_parser("certificate", help="check a proof's certificate with Z3 and cvc5",
                                 description="Certificates written by check --certificate (docs/certificates.md).")
    cert_sub = certificate.add_subparsers(dest="certificate_command", metavar="ACTION", parser_class=_Parser)
    cert_sub.required = True
    cert_check = cert_sub.add_parser(
        "check", help="rebuild the model, compare, and discharge every obligation",
        description="Read the configuration from the certificate, rebuild every definition that comes from the "
                    "model and refuse a certificate whose definitions or obligations differ; then discharge each "
                    "obligation with each solver. Exit 0: every obligation discharged by every solver; 1: refused "
                    "or refuted; 3: a solver could not decide; 2: not a certificate.")
    cert_check.add_argument("file", metavar="FILE", help="an SMT-LIB 2 certificate")
    cert_check.add_argument("--solver", choices=("z3", "cvc5", "both"), default=None,
                            help="the solvers that discharge the obligations (default both when cvc5 is installed, "
                                 "else z3)")
    cert_check.add_argument("--timeout", type=seconds(MAX_SOLVER_SECONDS), default=60.0, metavar="SECONDS",
                            help="each solver's limit per obligation (default 60)")

    from leasecheck.checker.cli.conform import add_parser as add_conform

    add_conform(sub)
    from leasecheck.checker.cli.sweep import add_parser as add_sweep

    add_sweep(sub)

    from leasecheck.checker.cli.prove import add_parser as add_prove

    add_prove(sub)
    return parser


def _version() -> str:
    """The version of the leasecheck package this command line belongs to (imported with it)."""
    return str(getattr(sys.modules.get("leasecheck"), "__version__", "unknown"))


class _ProgressPrinter:
    """One updating line on stderr for runs longer than ``after`` seconds; only on a terminal."""

    def __init__(self, stream: TextIO, after: float = 2.0):
        self.stream = stream
        self.after = after
        self.shown = False

    def __call__(self, p: Progress) -> None:
        if p.seconds < self.after:
            return
        rate = p.states / p.seconds if p.seconds else 0.0
        mem = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stream.write(
            f"\rexploring: {p.states:,} states ({rate:,.0f}/s), frontier {p.states - p.expanded:,}, "
            f"{p.transitions:,} transitions, {mem:,.0f} MB   "
        )
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


class _Signals:
    """SIGINT, SIGTERM (and, with a timeout, SIGALRM at the deadline) set ``cancel`` while the
    ``with`` block runs; the handlers before it are restored when it ends.

    Python runs a signal handler only between bytecodes, so not while a Z3 call is under way: the
    C-level handler then writes the signal's number to a pipe (``signal.set_wakeup_fd``), and a
    watcher thread reads it and sets ``cancel``, whose hooks interrupt the call; it calls them
    again every tenth of a second, for a call that started just after the signal."""

    _SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)

    def __init__(self, err: TextIO, timeout: float | None = None, *, process: bool = False):
        self.cancel = Cancellation()
        #: the block is the whole process's command: once it has answered, a signal until the
        #: process ends is ignored, not restored to the handler before (the answer's status stands)
        self._process = process
        #: the exit status of the answer once it is printed whole
        self.answered: int | None = None
        self._err = err
        self._timeout = timeout
        self._interrupts = 0
        self._old: dict[int, object] = {}
        self._stop = threading.Event()
        self._pipe: tuple[int, int] | None = None
        self._old_fd = -1
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _Signals:
        if threading.current_thread() is not threading.main_thread():
            return self  # signals reach the main thread only: nothing to install
        for sig in self._SIGNALS:
            self._old[sig] = signal.signal(sig, self._handle)
        read, write = os.pipe()
        os.set_blocking(write, False)
        self._pipe = (read, write)
        self._old_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        self._thread = threading.Thread(target=self._watch, name="leasecheck-signals", daemon=True)
        self._thread.start()
        return self

    def arm(self) -> None:
        """Start the deadline's alarm (when the run starts)."""
        if self._timeout is not None and self._old:
            signal.setitimer(signal.ITIMER_REAL, self._timeout)

    def disarm(self) -> None:
        if self._old:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if not self._old:
            return
        self.disarm()
        signal.set_wakeup_fd(self._old_fd)
        settled = self._process and self.answered is not None
        for sig, old in self._old.items():
            keep = settled and sig in (signal.SIGINT, signal.SIGTERM)
            signal.signal(sig, signal.SIG_IGN if keep else old)  # type: ignore[arg-type]
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1.0)
        if self._pipe is not None:
            for fd in self._pipe:
                os.close(fd)

    def _cause(self, signum: int) -> str:
        return DEADLINE if signum == signal.SIGALRM else INTERRUPTED

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if signum != signal.SIGALRM:
            self._interrupts += 1
            if self._interrupts > 1:  # a second Ctrl-C: at once
                self._err.write("leasecheck: interrupted again; stopped at once\n")
                self._err.flush()
                os._exit(int(ExitStatus.INTERRUPTED))
        self.cancel.cancel(self._cause(signum))
        if not self.cancel.shielded:
            raise KeyboardInterrupt

    def _watch(self) -> None:
        assert self._pipe is not None
        read = self._pipe[0]
        while not self._stop.is_set():
            ready, _, _ = select.select([read], [], [], 0.1)
            if ready:
                try:
                    data = os.read(read, 64)
                except OSError:
                    return
                for signum in data:
                    if signum in self._SIGNALS:
                        self.cancel.cancel(self._cause(signum))
            else:
                self.cancel.poke()


def _stopped_at_start(args: argparse.Namespace, out: TextIO, err: TextIO, cause: str | None) -> int:
    """Stopped before the run began: by the deadline of ``--timeout`` (every verdict unknown, exit
    status 3) or by a signal (130). With --format json, a document that says so, no results."""
    deadline = cause == DEADLINE
    reason = f"timeout after {args.timeout:g} s" if deadline else INTERRUPTED
    if args.format == "json":
        from leasecheck.checker.render.jsondoc import config_json

        stats = {"states": 0, "transitions": 0, "seconds": 0.0, "complete": False, "stop_reason": reason}
        doc = {"config": config_json(_config(args)), "engine": args.engine, "stats": stats, "results": []}
        out.write(json.dumps(doc, indent=2) + "\n")
        out.flush()
    if deadline:
        err.write(f"leasecheck: the time limit ran out ({reason}) before the check began; every verdict is unknown\n")
        return int(ExitStatus.UNKNOWN)
    err.write(f"leasecheck: {reason} before the check began; nothing was decided\n")
    return int(ExitStatus.INTERRUPTED)


def _check(args: argparse.Namespace, out: TextIO, err: TextIO, process: bool) -> int:
    with _Signals(err, args.timeout, process=process) as signals:
        try:
            return _check_in(args, out, err, signals)
        except KeyboardInterrupt:
            if signals.answered is not None:  # after the answer was printed whole: it stands
                return signals.answered
            # before the run began (a run catches its own)
            return _stopped_at_start(args, out, err, signals.cancel.cause)


def _check_in(args: argparse.Namespace, out: TextIO, err: TextIO, signals: _Signals) -> int:
    cfg = _config(args)
    if args.certificate is not None and args.engine == "explicit":
        raise UsageError("--certificate needs --engine z3 or --engine both")
    check_output_paths(args.trace_out, args.chart, args.certificate)  # before any work: nothing is lost after it
    if args.chart is not None:
        from leasecheck.checker.render.chart import ChartFileError, check_picture_path

        try:
            check_picture_path(Path(args.chart))
        except ChartFileError as exc:
            raise OutputError(str(exc)) from None
    with signals.cancel.shield():  # an import cut short by a signal leaves a half-made module
        from leasecheck.checker.run import CheckOptions, run_check
        from leasecheck.properties.dhcp import dhcp_model
    if signals.cancel.cause is not None:
        raise KeyboardInterrupt
    options = CheckOptions(tuple(args.properties) if args.properties else None, args.engine, args.explorer,
                           args.symmetry, args.max_states, args.timeout, args.depth, max_memory=args.max_memory)
    show = not args.quiet and err.isatty() and os.environ.get("CI") is None
    printer = _ProgressPrinter(err) if show else None
    model = dhcp_model(cfg)
    signals.arm()
    try:
        run = run_check(model, options, printer, signals.cancel)
    finally:
        signals.disarm()
        if printer is not None:
            printer.done()
    with signals.cancel.shield():  # a signal now: the verdicts are printed whole, then exit 130
        signals.answered = _show(args, run, out, err, signals.cancel)
    return signals.answered


def _show(args: argparse.Namespace, run: CheckRun, out: TextIO, err: TextIO, cancel: Cancellation) -> int:
    if args.format == "json":
        from leasecheck.checker.render.jsondoc import run_json

        out.write(json.dumps(run_json(run), indent=2) + "\n")
    else:
        from leasecheck.checker.render.text import render_run

        out.write(render_run(run))
    out.flush()  # the verdicts first: a file that then fails to be written loses none of them
    if args.certificate is not None:
        from leasecheck.checker.cli.outputs import save_certificates

        for path, what in save_certificates(Path(args.certificate), run.certificates):
            announce(err, args.quiet, path, what)
    if args.trace_out or args.chart:
        from leasecheck.checker.cli.outputs import write_trace_outputs

        for path, what in write_trace_outputs(run.report, args.trace_out, args.chart):
            announce(err, args.quiet, path, what)
    if run.interrupted:
        states = sum(r.stats.states for r in run.reports)
        reached = f" after {states:,} states" if states else ""
        err.write(f"leasecheck: interrupted{reached}; verdicts above are partial\n")
    elif cancel.cause == INTERRUPTED:
        err.write("leasecheck: interrupted while the verdicts were being written; they are complete\n")
        return int(ExitStatus.INTERRUPTED)
    return int(run.exit_status)


def _claims(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from leasecheck.checker.claims import check_claims
    from leasecheck.checker.render.claims import claims_json, render_claims_text

    check_output_paths(args.junit)
    report = check_claims()
    if args.junit:
        from leasecheck.checker.render.junit import write_junit

        write_junit(report, Path(args.junit))
        announce(err, args.quiet, args.junit, "JUnit XML")
    if args.format == "json":
        out.write(json.dumps(claims_json(report), indent=2) + "\n")
    else:
        out.write(render_claims_text(report))
    return ExitStatus.OK if report.ok else ExitStatus.VIOLATED


def _export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from leasecheck.checker.render.promela import promela_model
    from leasecheck.properties.dhcp import dhcp_model

    check_output_paths(args.out)
    text = promela_model(dhcp_model(_config(args)), args.properties).text
    if args.out is None:
        out.write(text)
        return 0
    from leasecheck.checker.render.files import atomic_write
    from leasecheck.checker.render.inputfile import shown_path

    try:
        atomic_write(Path(args.out), text)
    except OSError as exc:
        raise OutputError(f"cannot write the Promela model {shown_path(args.out)}: {exc.strerror or exc}") from None
    announce(err, args.quiet, args.out, "Promela")
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None, *,
         process: bool = False) -> int:
    """Run one command; its exit status. ``process``: the command is the whole process (the
    ``leasecheck`` program), so once it has printed its answer, a signal until the process ends is
    ignored: the status is the answer's (SIGINT and SIGTERM are not handed back)."""
    out, err, closed = standard_streams(out, err)
    started = time.perf_counter()
    matplotlib_config_dir()  # before anything imports matplotlib
    old_term = None
    if threading.current_thread() is threading.main_thread():
        old_term = signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM as SIGINT
    try:
        return _main(argv, out, err, started, closed, process)
    finally:
        if process and old_term is not None:  # the answer is given: a signal now must not change it
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        elif old_term is not None:
            signal.signal(signal.SIGTERM, old_term)


def _main(argv: Sequence[str] | None, out: TextIO, err: TextIO, started: float, closed: bool, process: bool) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    answer = _Answer(argv, out, err)
    try:
        if any("\x00" in a for a in argv):
            raise UsageError("an argument contains a NUL character, which no option or file name may hold")
        args = build_parser().parse_args(argv)
        answer.args, answer.command, answer.format = args, args.command, getattr(args, "format", None)
        if closed and args.command != "graph":  # graph alone prints nothing there
            raise OutputLost("cannot write the output: standard output is closed")
        return _run(args, out, err, process)
    except KeyboardInterrupt:
        if answer.args is not None and answer.command == "check" and not _written(out):
            with contextlib.suppress(LeasecheckError):  # a configuration that is wrong: the error document
                return _stopped_at_start(answer.args, out, err, INTERRUPTED)  # the report, with no results
        return answer.error(ExitStatus.INTERRUPTED, f"interrupted after {time.perf_counter() - started:.1f} s")
    except BrokenPipeError:
        return 0
    except MemoryError:  # outside the explicit engine, which makes verdicts unknown itself
        return answer.error(ExitStatus.UNKNOWN, "out of memory before the results were complete (see --max-memory)")
    except OutputLost as exc:
        err.write(f"{_message(exc)}\n")  # no JSON document either: standard output is what failed
        return int(exit_status_of(exc))
    except LeasecheckError as exc:
        status = exit_status_of(exc)
        if status == ExitStatus.USAGE:
            return answer.error(status, _message(exc))
        return answer.error(status, None)
    except Exception:  # a bug in leasecheck, not the user's mistake
        return answer.error(ExitStatus.INTERNAL, None)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO, process: bool) -> int:
    if args.command == "check":
        return _check(args, out, err, process)
    if args.command == "conform":
        from leasecheck.checker.cli.conform import run_conform

        return run_conform(args, out, err)
    if args.command == "sweep":
        from leasecheck.checker.cli.sweep import run_sweep_command

        return run_sweep_command(args, out, err)
    if args.command == "prove" and args.policies is not None:
        from leasecheck.checker.cli.prove_table import run_table_command

        return run_table_command(args, out, err)
    if args.command == "prove":
        from leasecheck.checker.cli.prove import run_prove

        return run_prove(args, out, err)
    if args.command == "replay":
        from leasecheck.checker.cli.outputs import replay_command

        check_output_paths(args.chart)
        status = replay_command(args.file, args.chart, args.format, out)
        if args.chart:
            announce(err, args.quiet, args.chart, "chart")
        return status
    if args.command == "certificate":
        from leasecheck.checker.cli.outputs import certificate_command

        solvers = None if args.solver is None else ("z3", "cvc5") if args.solver == "both" else (args.solver,)
        return certificate_command(args.file, solvers, args.timeout, out)
    if args.command == "graph":
        from leasecheck.checker.cli.outputs import graph_command

        check_output_paths(args.out)
        return graph_command(_config(args), args.out, args.max_states, err, quiet=args.quiet)
    if args.command == "describe":
        from leasecheck.checker.render.describe import describe_model, render_description
        from leasecheck.properties.dhcp import dhcp_model

        out.write(render_description(describe_model(dhcp_model(_config(args))), args.format))
        return 0
    if args.command == "export":
        return _export(args, out, err)
    return _claims(args, out, err)


class _Answer:
    """How a command that fails says so: one line on stderr (a traceback too for a bug), and with
    ``--format json`` one JSON document on stdout, unless the command had printed its own."""

    def __init__(self, argv: list[str], out: TextIO, err: TextIO):
        self.out, self.err = out, err
        self.args: argparse.Namespace | None = None
        self.command: str | None = next((a for a in argv if not a.startswith("-")), None)  # until parsed
        self.format: str | None = requested_format(argv)

    def error(self, status: ExitStatus, message: str | None) -> int:
        """Say so; ``message`` None: a bug, said with its traceback. The exit status."""
        if message is None:
            message = "internal error (a bug in leasecheck; please report it)"
            self.err.write(f"leasecheck: {message}:\n{traceback.format_exc()}")
        else:
            self.err.write(f"{message if message.startswith('leasecheck: ') else 'leasecheck: ' + message}\n")
        self.err.flush()
        if self.format == "json" and "json" in FORMATS.get(self.command or "", {}) and not _written(self.out):
            self.out.write(error_document(self.command, status, message))
            self.out.flush()
        return int(status)


def error_document(command: str | None, status: int, message: str) -> str:
    """The JSON document of a command that failed before its answer (docs/json.md)."""
    doc = {"command": command, "exit_status": int(status), "error": message.removeprefix("leasecheck: ")}
    return json.dumps(doc, indent=2) + "\n"


def wants_json(argv: Sequence[str]) -> str | None:
    """The command of ``argv`` when it asks for ``--format json`` (and has it), else None."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if requested_format(argv) == "json" and "json" in FORMATS.get(command or "", {}):
        return command
    return None


def _written(out: TextIO) -> bool:
    return bool(getattr(out, "written", True))


#: an error message's own prefix, taken off so that every message has the one prefix "leasecheck: "
_PREFIX = re.compile(r"^(leasecheck( [a-z]+)?: )+")


def _message(exc: LeasecheckError) -> str:
    """One line for the user: ``leasecheck: `` and the message."""
    return "leasecheck: " + _PREFIX.sub("", one_line(str(exc)))


def entry_point() -> NoReturn:
    try:
        status = main(process=True)
    except SystemExit as exc:  # --help: argparse ends the run itself
        status = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    sys.exit(finish(status))
