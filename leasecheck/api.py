"""The public functions of leasecheck: check a configuration, decide the claims catalogue, replay
a trace file, judge a packet capture against the model, describe the traced model, prove a
property for every network, measure a recovery after a delete; and the outputs of the command
line for a result: its text, a trace file, a message sequence chart.

The deciding functions return frozen data and print nothing; the output functions return text or
write the one file they are given. Every error is a :class:`leasecheck.errors.LeasecheckError`; a mistake in the input is
a :class:`leasecheck.errors.UserError`. The examples below are executed by the test suite.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from leasecheck.checker.explicit.explore import DEFAULT_EXPLORER
from leasecheck.checker.run import CheckOptions, CheckRun
from leasecheck.errors import UserError
from leasecheck.model.dhcp import Config

if TYPE_CHECKING:
    from leasecheck.checker.budget import Cancellation
    from leasecheck.checker.claims import ClaimsReport
    from leasecheck.checker.cli.prove import ProofRun
    from leasecheck.checker.conform.report import CaseReport
    from leasecheck.checker.explicit.explore import Progress
    from leasecheck.checker.explicit.timeline import RecoveryRun
    from leasecheck.checker.kernel.verdict import CertificateCheck
    from leasecheck.checker.render.itf import TraceFile
    from leasecheck.checker.render.narrate import StepStory
    from leasecheck.checker.results import CheckResult, Report, Trace
    from leasecheck.properties.model import Model


def check(
    config: Config | None = None,
    *,
    properties: Sequence[str] | None = None,
    engine: str = "explicit",
    explorer: str = DEFAULT_EXPLORER,
    symmetry: bool = False,
    max_states: int | None = None,
    timeout: float | None = None,
    depth: int = 20,
    max_memory: int | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> CheckRun:
    """Decide the properties of one configuration with the explicit engine, Z3, or both.

    The options are those of :class:`leasecheck.CheckOptions` (and of ``leasecheck check``).
    The KB's deadlock, as a lasso the model replays:

    >>> from leasecheck import Config, Verdict, check
    >>> run = check(Config(variant="nt35"), properties=["recovery"])
    >>> result = run.report.results[0]
    >>> result.verdict is Verdict.VIOLATED, result.trace.is_lasso
    (True, True)
    >>> [step.instance for step in result.trace.steps[result.trace.loop_start + 1:]]
    ['Discover(0)', 'ServeDiscover(0)', 'Timeout(0)']
    >>> int(run.exit_status)
    1

    NT 4.0 recovers, and both engines agree:

    >>> run = check(Config(variant="nt40"), properties=["recovery"], engine="both")
    >>> [str(r.verdict) for r in run.reports[0].results + run.reports[1].results]
    ['holds', 'holds']
    >>> run.comparison.disagreements
    ()
    """
    options = CheckOptions(None if properties is None else tuple(properties), engine, explorer, symmetry,
                           max_states, timeout, depth, max_memory)
    return run_check(Config() if config is None else config, options, progress)


def run_check(
    subject: Config | Model,
    options: CheckOptions | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: Cancellation | None = None,
) -> CheckRun:
    """Check a DHCP configuration (its model built here, once) or any model built through
    :class:`leasecheck.properties.model.Model`, as ``options`` say: the front door
    :func:`leasecheck.checker.run.run_check` with the model made for it."""
    from leasecheck.checker.run import run_check as run_model
    from leasecheck.properties.dhcp import dhcp_model

    model = dhcp_model(subject) if isinstance(subject, Config) else subject
    return run_model(model, options or CheckOptions(), progress, cancel)


def claims() -> ClaimsReport:
    """Decide every claim of the catalogue (the KB article's and the model's expected verdicts).

    >>> from leasecheck import claims
    >>> report = claims()
    >>> report.ok, len(report.results) > 60
    (True, True)
    """
    from leasecheck.checker.claims import check_claims

    return check_claims()


def replay(path: str | Path) -> TraceFile:
    """Read an ITF trace file (as ``leasecheck check --trace-out`` writes it), check every step
    against the model of the configuration recorded in it, and check that its states show the claim
    recorded with it (property, client and verdict; docs/readable.md). Raises
    :class:`leasecheck.checker.replay.ReplayError` at the first step that is not a transition,
    :class:`leasecheck.checker.replay.ClaimNotShown` for a claim the states do not show, and
    :class:`leasecheck.checker.render.itf.TraceFileError` for a file that is not such a trace.

    >>> import tempfile, pathlib
    >>> from leasecheck import Config, check, replay
    >>> from leasecheck.checker.render.itf import itf_document, write_itf
    >>> from leasecheck.model.dhcp import dhcp_system
    >>> cfg = Config(variant="nt35")
    >>> trace = check(cfg, properties=["kb_symptom"]).report.results[0].trace
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "symptom.itf.json"
    >>> write_itf(path, itf_document(dhcp_system(cfg), cfg, trace, prop="kb_symptom", client=0, verdict="holds"))
    >>> replayed = replay(path)
    >>> replayed.config == cfg, len(replayed.trace) == len(trace)
    (True, True)
    >>> write_itf(path, itf_document(dhcp_system(cfg), cfg, trace, prop="recovery", client=0, verdict="violated"))
    >>> replay(path)
    Traceback (most recent call last):
    ...
    leasecheck.checker.replay.ClaimNotShown: recorded as recovery, client 0: violated, which the trace does not show: it is neither a lasso nor ends in a deadlock
    """
    from leasecheck.checker.render.itf import load_itf, replay_trace_file

    tf = load_itf(Path(path))
    replay_trace_file(tf)
    return tf


#: the largest certificate file read
MAX_CERTIFICATE_BYTES = 256 * 1024 * 1024


def check_certificate(path: str | Path, *, solvers: Sequence[str] | None = None,
                      timeout: float | None = 60.0) -> CertificateCheck:
    """Check a certificate written by ``leasecheck check --engine z3 --certificate FILE`` or, for
    every number of clients and addresses, by ``leasecheck prove --certificate FILE``
    (docs/certificates.md): the model's definitions in it are rebuilt from its configuration and
    compared, its obligations are those of its proof rule, and each is discharged by Z3 and, when
    installed (or asked for in ``solvers``), by cvc5. A file that is not a certificate raises
    :class:`leasecheck.UserError`.

    >>> import tempfile, pathlib
    >>> from leasecheck import Config, check, check_certificate
    >>> run = check(Config(variant="nt40"), properties=["single_binding"], engine="z3")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "proof.smt2"
    >>> _ = path.write_text(run.certificates[0].smtlib)
    >>> result = check_certificate(path, solvers=["z3"])
    >>> result.valid, result.header.property, len(result.obligations)
    (True, 'single_binding', 65)
    """
    from leasecheck.checker.kernel.verdict import check_certificate_text
    from leasecheck.checker.render.inputfile import read_bounded, shown_path
    from leasecheck.checker.z3.certificate import NotACertificate

    data = read_bounded(Path(path), MAX_CERTIFICATE_BYTES, "certificate")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotACertificate(f"{shown_path(path)} is not a leasecheck certificate: it is not UTF-8 text") from None
    try:
        return check_certificate_text(text, solvers, timeout)
    except NotACertificate as exc:
        raise NotACertificate(f"{shown_path(path)} is not a leasecheck certificate: {exc}") from None


def describe(config: Config | None = None, *, format: str = "text") -> str:
    """The traced model of one configuration (default: :class:`leasecheck.Config`'s defaults) as
    text for a terminal (``format="text"``) or as Markdown (``format="markdown"``), as
    ``leasecheck describe`` prints it: the configuration, every state variable with its values and
    initial value, every action, and each guarded command with its rule, guard and updates.

    What NT 4.0 answers to a request for a lease it has no record of:

    >>> from leasecheck import Config, describe
    >>> text = describe(Config(variant="nt40"))
    >>> print(text.splitlines()[0])
    leasecheck describe: the traced model dhcp[nt40 1x1, D=1, L=0, R=0]
    >>> print("\\n".join(line for line in text.splitlines() if "no record" in line))
        ServeRequest(0) [REQUEST(RENEWING,0): NAK: no record of this lease]
        ServeRequest(0) [REQUEST(REBINDING,0): NAK: no record of this lease]
        ServeRequest(0) [REQUEST(REBOOTING,0): NAK: no record of this lease]
    >>> describe(format="markdown").splitlines()[0]
    '# The traced model `dhcp[nt35 1x1, D=1, L=0, R=0]`'
    """
    from leasecheck.checker.render.describe import describe_model, render_description
    from leasecheck.properties.dhcp import dhcp_model

    return render_description(describe_model(dhcp_model(Config() if config is None else config)), format)


def conform(
    capture: str | Path,
    *,
    delete_packet: int | None = None,
    delete_time: float | None = None,
    losses: int = 0,
    client_nak: str = "obey",
) -> CaseReport:
    """Judge a packet capture (pcap or pcapng) of a real server and client against every variant:
    which variants' behaviours include the observed DHCP message sequence. The administrator's
    delete is placed just before packet ``delete_packet`` (1-based) or at ``delete_time`` (the
    capture's clock).

    A capture of dnsmasq and udhcpc from the repository's tests (run from the repository's top):

    >>> from leasecheck import conform
    >>> case = conform("tests/data/dnsmasq-udhcpc.pcap", delete_time=1795932262.8984134)
    >>> case.validation.consistent_variants
    ('nt40', 'dnsmasq')
    """
    from leasecheck.checker.conform.pcap import MAX_CAPTURE_BYTES
    from leasecheck.checker.conform.report import analyse_capture
    from leasecheck.checker.render.inputfile import read_bounded

    path = Path(capture)
    data = read_bounded(path, MAX_CAPTURE_BYTES, "capture")
    return analyse_capture(path.name, data, delete_time=delete_time, delete_packet=delete_packet, losses=losses,
                           client_nak=client_nak)


def prove(config: Config, property: str, *, any_budget: bool = False, timeout: float = 300.0) -> ProofRun:
    """``leasecheck prove``: ``property`` for every number of clients and addresses
    (docs/allsizes.md). The verdict holds with a re-checked inductive invariant, violated with a
    finite counterexample, or unknown with the reason; :func:`render_text` prints it as the
    command does.

    >>> from leasecheck import Config, prove
    >>> proof = prove(Config(variant="nt35"), "recovery")
    >>> str(proof.verdict), proof.counterexample.trace.is_lasso
    ('violated', True)
    """
    from leasecheck.checker.cli.prove import prove as prove_all_sizes

    return prove_all_sizes(config, property, any_budget=any_budget, timeout=timeout)


def recovery_after_delete(config: Config, client: int = 0) -> RecoveryRun:
    """After the administrator deletes ``client``'s lease, the fair run back to a lease with the
    fewest lease timer events (T1, T2, Expire), replayed through the model; ``timer_events`` is
    None when no run gets back.

    >>> from leasecheck import Config, recovery_after_delete
    >>> run = recovery_after_delete(Config(variant="nt40"))
    >>> run.timers, run.answer
    (('T1',), 'REQUEST(RENEWING,0): NAK: no record of this lease')
    >>> recovery_after_delete(Config(variant="nt35")).recovers
    False
    """
    from leasecheck.checker.explicit.timeline import recovery_after_delete as quickest
    from leasecheck.properties.dhcp import dhcp_model

    return quickest(dhcp_model(config), client)


def render_text(result: object) -> str:
    """What the command line prints for a :class:`CheckRun`, a :class:`Report` (the verdict table,
    then each trace step by step) or a proof of :func:`prove`.

    >>> from leasecheck import Config, check, render_text
    >>> print(render_text(check(Config(variant="nt40"), properties=["single_binding"]).report).splitlines()[0])
    leasecheck: variant nt40, 1 client, 1 address, deletes 1, losses 0, reboots 0, restart off
    """
    from leasecheck.checker.cli.prove import ProofRun
    from leasecheck.checker.cli.prove import render_text as render_proof
    from leasecheck.checker.render.text import render_report, render_run
    from leasecheck.checker.results import Report
    from leasecheck.checker.run import CheckRun

    if isinstance(result, CheckRun):
        return render_run(result)
    if isinstance(result, Report):
        return render_report(result)
    if isinstance(result, ProofRun):
        return render_proof(result)
    raise TypeError(f"render_text takes a CheckRun, a Report or a proof, not {type(result).__name__}")


def render_trace(config: Config, trace: Trace) -> str:
    """A trace of ``config``'s model step by step, as ``leasecheck check`` prints it."""
    from leasecheck.checker.render.text import render_trace as trace_text
    from leasecheck.properties.dhcp import dhcp_model

    return trace_text(dhcp_model(config), trace)


def narrate(config: Config, trace: Trace) -> list[StepStory]:
    """For each step of ``trace`` after the first, what happened: messages sent and received,
    variables changed, the notes a reader needs (``StepStory``: ``events``, ``changes``, ``notes``,
    ``silent``)."""
    from leasecheck.checker.render.narrate import story
    from leasecheck.properties.dhcp import dhcp_model

    model = dhcp_model(config)
    return [story(model.system, before.state, step, model.narration)
            for before, step in zip(trace.steps, trace.steps[1:], strict=False)]


def chart_text(config: Config, trace: Trace) -> str:
    """The message sequence chart of ``trace`` for a terminal (lanes across, steps down), as
    ``leasecheck check`` and ``leasecheck replay --format chart`` print it."""
    from leasecheck.checker.render.msc import build_chart, render_chart_text
    from leasecheck.model.dhcp import dhcp_system

    return render_chart_text(build_chart(dhcp_system(config), trace))


def draw_chart(path: str | Path, config: Config, trace: Trace, *, title: str = "") -> Path:
    """Draw the message sequence chart of ``trace`` into ``path`` (.svg, .png or .pdf), as
    ``leasecheck check --chart`` does; the loop of a lasso is shaded. Returns the path.

    >>> import tempfile, pathlib
    >>> from leasecheck import Config, check, draw_chart
    >>> cfg = Config(variant="nt35")
    >>> trace = check(cfg, properties=["recovery"]).report.results[0].trace
    >>> svg = draw_chart(pathlib.Path(tempfile.mkdtemp()) / "deadlock.svg", cfg, trace, title="NT 3.5")
    >>> svg.read_text().startswith("<?xml")
    True
    """
    import matplotlib

    from leasecheck.checker.render.chart import check_picture_path, save_chart
    from leasecheck.checker.render.msc import build_chart
    from leasecheck.model.dhcp import dhcp_system

    target = Path(path)
    check_picture_path(target)
    backend = matplotlib.get_backend()  # drawing chooses a file backend: give the caller's back (a notebook's inline one)
    try:
        save_chart(build_chart(dhcp_system(config), trace, title), target)
    finally:
        if matplotlib.get_backend() != backend:
            matplotlib.use(backend)
    return target


def write_trace(path: str | Path, report: Report, result: CheckResult) -> Path:
    """Write ``result``'s trace (a result of ``report``) as a trace file in the Informal Trace
    Format, as ``leasecheck check --trace-out`` does; :func:`replay` reads it back. Returns the path.

    >>> import tempfile, pathlib
    >>> from leasecheck import Config, check, replay, write_trace
    >>> report = check(Config(variant="nt35"), properties=["recovery"]).report
    >>> path = write_trace(pathlib.Path(tempfile.mkdtemp()) / "deadlock.itf.json", report, report.results[0])
    >>> len(replay(path).trace) == len(report.results[0].trace)
    True
    """
    from leasecheck.checker.render.itf import itf_document, write_itf

    if result.trace is None:
        raise UserError(f"{result.property} has no trace to write (verdict {result.verdict})")
    who = "" if result.client is None else f", client {result.client}"
    kind = "witness" if str(result.verdict) == "holds" else "counterexample"
    model = report.model
    doc = itf_document(model.system, model.config, result.trace, prop=result.property,
                       client=result.client, verdict=str(result.verdict),
                       description=f"{result.property}{who}: {result.verdict} ({kind}) — {model.title}")
    target = Path(path)
    write_itf(target, doc)
    return target
