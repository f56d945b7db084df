"""`leasecheck conform`: run the KB scenario against real daemons, or read a user's capture,
and say which server variant of the model the observed behaviour is consistent with.

Exit status: 0 some variant is consistent with every case; 1 some case is consistent with no
variant; 2 a usage error or a missing prerequisite (one line on stderr); 3 the client was not
bound again within the time limit (the verdicts are printed all the same).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import signal
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from leasecheck.checker.cli.options import add_format, add_quiet, seconds, whole
from leasecheck.checker.cli.paths import announce, check_output_paths, check_results_path
from leasecheck.checker.conform.classify import CaptureError, Classifier
from leasecheck.checker.conform.crowd import (
    CROWD_CLIENTS,
    CROWD_SECONDS,
    MAX_CROWD,
    MIN_CROWD,
    Crowd,
    harness_log,
    log_text,
    run_crowd,
    sidecar,
)
from leasecheck.checker.conform.matrix import (
    MEASURED,
    CellResult,
    MatrixError,
    all_cells,
    read_results,
    rejudge,
    rewrite_results,
    run_matrix,
)
from leasecheck.checker.conform.pcap import MAX_CAPTURE_BYTES, PcapError, UdpPacket, read_udp, stream_udp
from leasecheck.checker.conform.perclient import MAX_DELETES, PerClientReport, Source, judge_packets, judge_stream
from leasecheck.checker.conform.render import case_json, per_client_json, render_case, render_per_client, render_table
from leasecheck.checker.conform.report import CaseReport, analyse_capture, analyse_packets
from leasecheck.checker.conform.runner import (
    CLIENTS,
    SERVERS,
    ConformError,
    RunResult,
    Scenario,
    missing_prerequisites,
    run_scenario,
)
from leasecheck.checker.conform.scenarios import SCENARIO_NAMES
from leasecheck.checker.conform.validate import (
    MAX_ADDRESSES,
    MAX_CLIENTS,
    MAX_LOSSES,
    MAX_MESSAGES,
    ValidationError,
)
from leasecheck.checker.conform.verdicts import ModelVerdicts
from leasecheck.checker.render.inputfile import InputFileError, load_json, read_bounded, shown_path
from leasecheck.errors import ExitStatus, UsageError, quoted
from leasecheck.model.dhcp import CLIENT_NAK_MODES, CLIENT_REBOOT_MODES
from leasecheck.model.policy import policy_name, policy_space
from leasecheck.model.values import VARIANTS

EXIT_NONE_CONSISTENT = ExitStatus.VIOLATED  # no variant explains a capture
EXIT_USAGE = ExitStatus.USAGE
EXIT_NOT_REBOUND = ExitStatus.UNKNOWN  # the client never got a lease back: undecided
JUDGES = ("auto", "whole", "per-client")
STDIN = Path("-")
Judged = CaseReport | PerClientReport


def _choices(all_: tuple[str, ...], what: str):  # type: ignore[no-untyped-def]
    def parse(text: str) -> list[str]:
        names = list(all_) if text == "all" else [t.strip() for t in text.split(",") if t.strip()]
        bad = [n for n in names if n not in all_]
        if bad or not names:
            raise argparse.ArgumentTypeError(f"unknown {what} {', '.join(bad) or text!r}; choose from {', '.join(all_)} or all")
        return names

    parse.__name__ = what
    return parse


def _delete_time(text: str) -> tuple[str, float]:
    """("after", seconds) for "+SECONDS", ("at", epoch seconds) otherwise."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds since the epoch or +SECONDS, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite time, got {text!r}")
    return ("after", value) if text.startswith("+") else ("at", value)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "conform", help="compare real DHCP servers and clients with the model",
        description="Run the KB scenario against real daemons in network namespaces (needs root), or read a "
                    "capture, and decide per server variant whether the observed messages are a model behaviour.")
    p.add_argument("--server", type=_choices(SERVERS, "server"), metavar="NAMES",
                   help=f"server(s) to run, comma-separated or all: {', '.join(SERVERS)} (default: none; with "
                        "--matrix all)")
    p.add_argument("--client", type=_choices(CLIENTS, "client"), metavar="NAMES",
                   help=f"client(s) to run, comma-separated or all: {', '.join(CLIENTS)} (default: none; with "
                        "--matrix all)")
    p.add_argument("--time-limit", type=seconds(), default=150.0, metavar="SECONDS",
                   help="give up waiting for the client to be bound again this long after the delete "
                        "(default 150: a client that ignores a NAK needs the whole 120 s lease)")
    p.add_argument("--save-pcap", type=Path, metavar="FILE",
                   help="keep the capture of a single run here (and its delete time in FILE.json; default: not kept)")
    p.add_argument("--pcap", type=Path, metavar="FILE", nargs="+",
                   help="read these captures (pcap or pcapng; - is standard input) instead of running; FILE.json "
                        "beside a capture, as --save-pcap writes it, gives its delete time and its server and "
                        "client (default: run the daemons)")
    p.add_argument("--judge", choices=JUDGES, default="auto",
                   help="with --pcap: judge against the model of all the capture's clients at once (whole), or "
                        "client by client, each against the model of one client whose environment is what the "
                        "others hold, plus a global check (per-client; read as a stream, any size); auto: whole "
                        f"when the capture has at most {MAX_CLIENTS} clients, {MAX_ADDRESSES} addresses and "
                        f"{MAX_MESSAGES:,} messages, per-client otherwise; standard input is always per-client "
                        "(default auto)")
    p.add_argument("--concat", action="store_true",
                   help="with --pcap: read the files in sequence as one capture (a capture rotated by tcpdump "
                        "-C or -G), client by client (default: each file is a capture of its own)")
    p.add_argument("--delete-time", type=_delete_time, metavar="TIME",
                   help="with --pcap: when the lease was deleted, in the capture's clock (seconds since the epoch), "
                        "or +SECONDS after the capture's first DHCP message (default: from FILE.json)")
    p.add_argument("--delete-packet", type=whole(1), metavar="N",
                   help="with --pcap: the lease was deleted just before packet N (1-based; default: from FILE.json)")
    p.add_argument("--losses", type=whole(0, MAX_LOSSES), metavar="N",
                   help="messages the model may lose (default: 1 for a live run, where udhcpc can miss a very fast "
                        "answer; 0 for --pcap; at most 8); a consistent variant shows the fewest it needs")
    p.add_argument("--deletes", type=whole(1, MAX_DELETES), metavar="N",
                   help=f"with --pcap or --crowd, judging client by client: the leases the model may delete in "
                        f"each client's view, and the double commitments of an address it may explain, when no "
                        f"delete's moment is given (a capture whose server lost leases several times; 1 to "
                        f"{MAX_DELETES}; given, --judge auto judges client by client; default 1)")
    p.add_argument("--client-nak", choices=CLIENT_NAK_MODES, default="obey",
                   help="how the model's client treats a DHCPNAK (default obey, as RFC 2131)")
    p.add_argument("--client-reboot", choices=CLIENT_REBOOT_MODES, default="keep-on-silence",
                   help="how the model's client reboots (default keep-on-silence: INIT-REBOOT, keeping its lease "
                        "when unanswered); with forget, the model may reboot a client once without a REBOOTING request")
    p.add_argument("--policies", action="store_true",
                   help="with --pcap: judge under every server policy of docs/policies.md (54, the five named "
                        "variants among them; a policy without a name is shown in its written form), not only "
                        "the named variants; with --matrix: also write policies.md, per server the policies "
                        "that explain every measured cell")
    p.add_argument("--recorded", type=Path, metavar="DIR",
                   help="with --matrix --policies: read the recorded matrix in DIR (DIR/results.jsonl and "
                        "DIR/captures, as tests/data/matrix), run and write nothing, and print per server "
                        "configuration the policies that explain every measured cell with their verdicts "
                        "(default: run the matrix)")
    p.add_argument("--sweep", type=Path, metavar="FILE", action="append",
                   help="with --policies: a policy sweep's results file whose fixed-size verdicts of recovery "
                        "and no_duplicate_address are shown beside each policy (repeatable; default: "
                        "docs/policies/sweep-*.jsonl of this checkout, when it has them)")
    p.add_argument("--certificates", type=Path, metavar="DIR", action="append",
                   help="with --policies: a folder of all-sizes certificates (DIR/*.smt2) named beside the policies "
                        "they prove for every network (repeatable; default: tests/data/certificates and "
                        "docs/policies/certificates of this checkout, those it has)")
    p.add_argument("--summary", action="store_true",
                   help="print only the server x client table (default: each case, then the table)")
    p.add_argument("--matrix", action="store_true",
                   help="run every server x client x scenario (or those --server, --client and --scenario name), "
                        "one after another, resumable; writes matrix.json, matrix.md and matrix.png (default: one "
                        "scenario)")
    p.add_argument("--scenario", type=_choices(SCENARIO_NAMES, "scenario"), metavar="NAMES",
                   help=f"with --matrix: the scenarios, comma-separated or all (default): {', '.join(SCENARIO_NAMES)}")
    p.add_argument("--out-dir", type=Path, default=Path("conform-matrix"), metavar="DIR",
                   help="with --matrix: where the matrix, its captures and its results file go (default conform-matrix)")
    p.add_argument("--results", type=Path, metavar="FILE",
                   help="with --matrix: the results file, one JSON cell a line, appended to and resumed from "
                        "(default DIR/results.jsonl)")
    p.add_argument("--crowd", type=whole(MIN_CROWD, MAX_CROWD), metavar="N",
                   help=f"run N clients ({MIN_CROWD} to {MAX_CROWD}; the kinds --client names, in turn: "
                        f"{', '.join(CROWD_CLIENTS)}) against the one --server on one bridge, with a pool 2 "
                        "addresses larger, lease deletes, client reboots and a server restart with its table "
                        "lost, and judge the capture client by client (default: one client)")
    p.add_argument("--crowd-seconds", type=seconds(), default=CROWD_SECONDS, metavar="SECONDS",
                   help=f"with --crowd: how long the crowd's traffic runs (default {CROWD_SECONDS:.0f})")
    p.add_argument("--crowd-replace", type=whole(0, MAX_CROWD), default=0, metavar="N",
                   help="with --crowd: N more clients killed for good, each followed on its link by a new client "
                        "with a hardware address of its own (another machine, while the server holds the old one's "
                        "lease: the pool is contended) (default 0)")
    add_format(p, "conform")
    add_quiet(p)


#: the entries a capture's sidecar may have (those ``--save-pcap`` writes) and their JSON types
SIDECAR_FIELDS: dict[str, tuple[type, ...]] = {
    "server": (str,), "client": (str,), "delete_time": (int, float), "leased_address": (str, type(None)),
    "client_mac": (str, type(None)), "rebound": (bool,), "scenario": (str,),
}
MAX_SIDECAR_BYTES = 1024 * 1024


def read_sidecar(path: Path) -> dict[str, object]:
    """The sidecar ``path`` of a capture, checked strictly: a JSON object with only the entries
    ``--save-pcap`` writes, each of its type (a finite time, short printable names); anything else
    is a :class:`UsageError` naming the first offending entry."""
    name = shown_path(path)
    try:
        meta = load_json(path, MAX_SIDECAR_BYTES, "capture's sidecar")
    except InputFileError as exc:
        raise UsageError(str(exc)) from None
    if not isinstance(meta, dict):
        raise UsageError(f"{name}: a capture's sidecar is a JSON object "
                                f"(server, client, delete_time, ...), not {quoted(meta)}")
    for key, value in meta.items():
        types = SIDECAR_FIELDS.get(key)
        if types is None:
            raise UsageError(f"{name}: unknown entry {quoted(key)}; a sidecar may have "
                                    f"{', '.join(SIDECAR_FIELDS)}")
        wrong = not isinstance(value, types) or (bool not in types and isinstance(value, bool))
        if not wrong and isinstance(value, float):
            wrong = not math.isfinite(value)
        if not wrong and isinstance(value, str):
            wrong = len(value) > 100 or not value.isprintable()
        if wrong:
            kind = {"delete_time": "a finite number of seconds", "rebound": "true or false"}.get(
                key, "a short printable string" + (" or null" if type(None) in types else ""))
            raise UsageError(f"{name}: {key} must be {kind}, not {quoted(value)}")
    return meta


def _delete_options(args: argparse.Namespace, meta: dict[str, object]) -> dict[str, Any]:
    """The delete as the options give it, or as the sidecar recorded it."""
    given = args.delete_time is not None or args.delete_packet is not None
    recorded = meta.get("delete_time")
    return {
        "delete_time": args.delete_time[1] if args.delete_time and args.delete_time[0] == "at" else (
            float(recorded) if not given and isinstance(recorded, int | float) else None),
        "delete_offset": args.delete_time[1] if args.delete_time and args.delete_time[0] == "after" else None,
        "delete_packet": args.delete_packet,
    }


def _model_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"losses": args.losses, "client_nak": args.client_nak, "client_reboot": args.client_reboot,
            "reboots": _forced_reboots(args),
            "variants": tuple(policy_name(p) for p in policy_space()) if args.policies else VARIANTS}


def _sidecar(path: Path) -> dict[str, object]:
    sidecar = path.with_name(path.name + ".json")
    return read_sidecar(sidecar) if path != STDIN and sidecar.exists() else {}


def _open_stream(path: Path, stdin: BinaryIO) -> BinaryIO:
    """A capture to read as a stream: standard input, or a regular file (not a device or a FIFO)."""
    if path == STDIN:
        return stdin
    name = shown_path(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise UsageError(f"cannot read {name}: not a regular file")
        return open(path, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(f"cannot read {name}: {exc}") from None


def _progress(args: argparse.Namespace, err: TextIO) -> Callable[[str], None] | None:
    if args.quiet:
        return None

    def say(line: str) -> None:
        err.write(f"leasecheck: {line}\n")
        err.flush()

    return say


def _per_client_case(args: argparse.Namespace, paths: list[Path], err: TextIO,
                     stdin: BinaryIO) -> tuple[str | None, str | None, Judged]:
    """The captures ``paths``, read in sequence as one, judged client by client."""
    meta = _sidecar(paths[0]) if len(paths) == 1 else {}
    label = ", ".join(shown_path(p.name) if p != STDIN else "standard input" for p in paths)
    streams: list[BinaryIO] = []
    try:
        sources: list[Source] = []
        for path in paths:
            stream = _open_stream(path, stdin)
            streams.append(stream)
            sources.append((shown_path(path.name) if path != STDIN else "-", stream))
        case = judge_stream(sources, label=label, progress=_progress(args, err), **_delete_options(args, meta),
                            **_model_options(args), deletes=args.deletes or 1)
    except (PcapError, CaptureError, ValidationError) as exc:
        raise UsageError(f"{label}: {exc}") from None
    finally:
        for stream in streams:
            if stream is not stdin:
                stream.close()
    server, client = meta.get("server"), meta.get("client")
    return (server if isinstance(server, str) else label, client if isinstance(client, str) else "?", case)


def _capture_case(args: argparse.Namespace, path: Path, err: TextIO,
                  stdin: BinaryIO) -> tuple[str | None, str | None, Judged]:
    if path == STDIN or args.judge == "per-client":
        return _per_client_case(args, [path], err, stdin)
    name = shown_path(path)
    try:
        data = read_bounded(path, MAX_CAPTURE_BYTES, "capture")
    except InputFileError as exc:
        hint = "" if args.judge == "whole" else "; --judge per-client reads a capture of any size as a stream"
        raise UsageError(f"{exc}{hint}") from None
    meta = _sidecar(path)
    label = shown_path(path.name)
    try:
        packets = read_udp(data)
        if args.judge == "auto" and (args.deletes is not None or _beyond_whole(packets)):
            case: Judged = judge_packets(((label, p) for p in packets), label=label, progress=_progress(args, err),
                                         **_delete_options(args, meta), **_model_options(args),
                                         deletes=args.deletes or 1)
        else:
            case = analyse_packets(label, packets, **_delete_options(args, meta),
                                   **_model_options(args))
    except (PcapError, CaptureError, ValidationError) as exc:
        raise UsageError(f"{name}: {exc}") from None
    server, client = meta.get("server"), meta.get("client")
    return (server if isinstance(server, str) else label, client if isinstance(client, str) else "?", case)


def _beyond_whole(packets: list[UdpPacket]) -> bool:
    """Whether a capture is beyond what the model of all its clients takes (clients, addresses,
    messages), counted with the messages the model has no name for left out."""
    counter = Classifier(strict=False)
    for packet in packets:
        counter.feed(packet)
    return (len(counter.ids.macs) > MAX_CLIENTS or len(counter.ids.ips) > MAX_ADDRESSES
            or counter.count > MAX_MESSAGES)


def _forced_reboots(args: argparse.Namespace) -> int:
    """A client that forgets its lease on reboot sends no REBOOTING request: allow the model one reboot."""
    return 1 if args.client_reboot == "forget" else 0


def run_conform(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None = None) -> int:
    if args.matrix:
        return _run_matrix(args, out, err)
    if args.recorded is not None:
        raise UsageError("--recorded goes with --matrix --policies")
    if (args.sweep or args.certificates is not None) and not args.policies:
        raise UsageError("--sweep and --certificates go with --policies")
    if args.scenario is not None:
        raise UsageError("--scenario goes with --matrix")
    if args.losses is None:
        args.losses = 0 if args.pcap is not None else 1
    if not 0 <= args.losses <= MAX_LOSSES:
        raise UsageError(f"--losses must be from 0 to {MAX_LOSSES}, not {quoted(args.losses)}: each budget "
                                f"up to the one given is tried in turn, and {MAX_LOSSES} already lets every message "
                                f"of a short exchange be lost")
    if not args.time_limit > 0:
        raise UsageError("--time-limit must be more than 0 seconds")
    if stdin is None:
        stdin = sys.stdin.buffer
    if args.pcap is None and (args.concat or args.judge != "auto"):
        raise UsageError("--judge and --concat go with --pcap")
    if args.deletes is not None and args.judge == "whole":
        raise UsageError("--deletes goes with judging client by client; the model of all the clients "
                                "keeps its one delete")
    if args.deletes is not None and args.pcap is None and args.crowd is None:
        raise UsageError("--deletes goes with --pcap or --crowd")
    if args.crowd is None and (args.crowd_seconds != CROWD_SECONDS or args.crowd_replace):
        raise UsageError("--crowd-seconds and --crowd-replace go with --crowd")
    if args.crowd is not None and args.pcap is not None:
        raise UsageError("give either --pcap or --crowd, not both")
    if args.pcap is not None:
        if args.server or args.client:
            raise UsageError("give either --pcap or --server/--client, not both")
        if args.delete_packet is not None and args.delete_packet < 1:
            raise UsageError(f"--delete-packet counts packets from 1, not {args.delete_packet}")
        if args.delete_time is not None and args.delete_packet is not None:
            raise UsageError("give the delete as --delete-time or --delete-packet, not both")
        if sum(1 for p in args.pcap if p == STDIN) > 1:
            raise UsageError("standard input (-) can be read only once")
        if args.concat:
            if args.judge == "whole":
                raise UsageError("--concat judges client by client; it does not go with --judge whole")
            if args.delete_packet is not None and len(args.pcap) > 1:
                raise UsageError("--delete-packet goes with a single capture (packets are numbered per file)")
            found = [_per_client_case(args, list(args.pcap), err, stdin)]
        else:
            if len(args.pcap) > 1 and (args.delete_time is not None or args.delete_packet is not None):
                raise UsageError("--delete-time and --delete-packet go with a single capture")
            found = [_capture_case(args, path, err, stdin) for path in args.pcap]
        return _print(found, [True] * len(found), args, out)
    if not args.server or not args.client:
        raise UsageError("give --server and --client to run the scenario, or --pcap FILE to read a capture")
    if args.crowd is not None:
        return _run_crowd(args, out, err)
    if args.delete_time is not None or args.delete_packet is not None:
        raise UsageError("--delete-time and --delete-packet go with --pcap")
    pairs = [(s, c) for s in args.server for c in args.client]
    if args.save_pcap is not None and len(pairs) != 1:
        raise UsageError("--save-pcap keeps the capture of a single server and client")
    check_output_paths(args.save_pcap)  # before the daemons run: a capture is never lost after it
    for s, c in pairs:
        problems = missing_prerequisites(s, c)
        if problems:
            raise UsageError("; ".join(problems))
    cases: list[tuple[str | None, str | None, CaseReport]] = []
    rebound: list[bool] = []
    for s, c in pairs:
        if len(pairs) > 1 and not args.quiet:
            err.write(f"leasecheck: running {s} x {c} ...\n")
            err.flush()
        try:
            result = _run_cleaning_up_on_sigterm(Scenario(s, c, args.time_limit))
        except ConformError as exc:
            raise UsageError(f"{s} x {c}: {exc}") from None
        if args.save_pcap is not None:
            _save_capture(args.save_pcap, result, s, c, err, args.quiet)
        case = analyse_capture(f"{s} x {c}", result.pcap, delete_time=result.delete_time, losses=args.losses,
                               client_nak=args.client_nak, client_reboot=args.client_reboot,
                               reboots=_forced_reboots(args))
        cases.append((s, c, case))
        rebound.append(result.rebound)
    return _print(cases, rebound, args, out)


def _run_crowd(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``--crowd N``: the crowd run once, its capture judged client by client (exit 3 when some
    client was not bound at the end)."""
    if len(args.server) != 1:
        raise UsageError("--crowd runs against one --server")
    if args.delete_time is not None or args.delete_packet is not None:
        raise UsageError("--delete-time and --delete-packet go with --pcap")
    crowd = Crowd(args.server[0], tuple(args.client), args.crowd, deletes=max(1, args.crowd // 10),
                  reboots=max(1, args.crowd // 10), replacements=args.crowd_replace, seconds=args.crowd_seconds)
    problems = crowd.problems()
    if problems:
        raise UsageError("; ".join(problems))
    check_output_paths(args.save_pcap)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        result = run_crowd(crowd, progress=_progress(args, err))
    except ConformError as exc:
        raise UsageError(f"{crowd.server} x {crowd.count} {','.join(args.client)}: {exc}") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    if args.save_pcap is not None:
        _write_whole(args.save_pcap, result.pcap, err, args.quiet, "capture")
        _write_whole(args.save_pcap.with_name(args.save_pcap.name + ".json"),
                     (json.dumps(sidecar(result), indent=2) + "\n").encode(), err, args.quiet, "its server and clients")
        _write_whole(args.save_pcap.with_name(args.save_pcap.name + ".crowd.json"),
                     log_text(harness_log(result)).encode(), err, args.quiet,
                     "what the harness did, and when")
    label = f"{crowd.server} x {crowd.count} clients ({', '.join(dict.fromkeys(crowd.clients))})"
    try:
        case = judge_packets((("capture", p) for p in stream_udp(io.BytesIO(result.pcap))), label=label,
                             **_model_options(args), deletes=args.deletes or 1)
    except (PcapError, CaptureError, ValidationError) as exc:
        raise UsageError(f"{label}: {exc}") from None
    return _print([(crowd.server, ",".join(args.client), case)], [result.bound_after == crowd.count], args, out)


def _write_whole(path: Path, data: bytes, err: TextIO, quiet: bool, what: str) -> None:
    from leasecheck.checker.render.files import atomic_write

    try:
        atomic_write(path, data)
    except OSError as exc:
        raise UsageError(f"cannot write {shown_path(path)}: {exc.strerror or exc}") from None
    announce(err, quiet, path, what)


def _run_matrix(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``--matrix``: the cells not yet in the results file, then the three outputs of all of them.
    Exit 0 when every cell was measured and explained by some variant and client mode, 1 when some
    measured cell is explained by none, 3 when some cell could not be measured (failed or
    unavailable here: the reason is in the matrix)."""
    from leasecheck.checker.conform.daemons import versions
    from leasecheck.checker.conform.matrix_render import write_outputs

    if args.pcap is not None:
        raise UsageError("give either --pcap or --matrix, not both")
    if args.recorded is not None:
        if not args.policies:
            raise UsageError("--recorded goes with --matrix --policies")
        return _recorded_policies(args, out, err)
    if args.save_pcap is not None or args.delete_time is not None or args.delete_packet is not None:
        raise UsageError("--save-pcap, --delete-time and --delete-packet do not go with --matrix")
    cells = all_cells(args.server or SERVERS, args.client or CLIENTS, args.scenario or SCENARIO_NAMES)
    results = args.results or args.out_dir / "results.jsonl"
    if args.out_dir.exists() and not args.out_dir.is_dir():
        raise UsageError(f"--out-dir {shown_path(args.out_dir)} is a file, not a folder")
    check_output_paths(args.out_dir / "matrix.json" if args.out_dir.is_dir() else None)
    if args.results is not None:
        check_results_path(args.results)

    def progress(line: str) -> None:
        if not args.quiet:
            err.write(f"leasecheck: {line}\n")
            err.flush()

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        done = run_matrix(cells, results, args.out_dir / "captures", args.time_limit, progress)
    except MatrixError as exc:
        raise UsageError(str(exc)) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    done = rejudge(done, args.out_dir / "captures")
    others = [c for c in read_results(results) if c.key not in {d.key for d in done}]
    rewrite_results(results, others + done)
    paths = write_outputs(done, args.out_dir, versions())
    if args.policies:
        paths.append(_write_policies(done, args.out_dir, progress, _verdicts(args)))
    for path in paths:
        announce(err, args.quiet, path)
    if any(c.status != MEASURED for c in done):
        return EXIT_NOT_REBOUND
    if any(not any(e.variants for e in c.explanations) for c in done):
        return EXIT_NONE_CONSISTENT
    return ExitStatus.OK


#: the checkout this code runs from (its docs and test data), when it is one
CHECKOUT = Path(__file__).resolve().parent.parent.parent


def _from_here(path: Path) -> Path:
    """``path`` from the working folder when it is inside it (as it is shown)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _verdicts(args: argparse.Namespace) -> ModelVerdicts | None:
    """``--sweep`` and ``--certificates``, or this checkout's committed ones; None when there are
    none (an installed package without the repository's files)."""
    from leasecheck.checker.conform.verdicts import VerdictsError, model_verdicts

    sweeps = args.sweep if args.sweep else [_from_here(p) for p in sorted((CHECKOUT / "docs" / "policies").glob("sweep-*.jsonl"))]
    folders = args.certificates if args.certificates is not None else [
        _from_here(CHECKOUT / "tests" / "data" / "certificates"), _from_here(CHECKOUT / "docs" / "policies" / "certificates")]
    for folder in args.certificates or ():
        if not folder.is_dir():
            raise UsageError(f"--certificates {shown_path(folder)} is not a folder")
    if not sweeps:
        return None
    try:
        return model_verdicts(sweeps, sorted(p for folder in folders if folder.is_dir() for p in folder.glob("*.smt2")))
    except VerdictsError as exc:
        raise UsageError(str(exc)) from None


def _recorded_policies(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``--matrix --policies --recorded DIR``: the recorded matrix's measured cells judged again
    under every policy, nothing run or written; per server configuration the policies that
    explain every cell, their verdicts, and whether the server recovers in every network checked.
    Exit 0 when some policy explains each server configuration, 1 when none explains one."""
    from leasecheck.checker.conform.policies import render_server_policies, server_policies, server_policies_json
    from leasecheck.checker.conform.validate import Steppers

    if args.client is not None or args.scenario is not None:
        raise UsageError("--recorded judges every measured cell of each --server; --client and --scenario "
                                "do not go with it")
    results = args.results or args.recorded / "results.jsonl"
    if not results.is_file():
        raise UsageError(f"--recorded {shown_path(args.recorded)}: no results file {shown_path(results)}")
    try:
        cells = read_results(results)
    except MatrixError as exc:
        raise UsageError(str(exc)) from None
    verdicts = _verdicts(args)
    if verdicts is None:
        raise UsageError("no policy sweep's results file to read the verdicts from: give --sweep FILE")
    servers = list(args.server) if args.server else list(dict.fromkeys(c.server for c in cells))
    progress = _progress(args, err)
    shared = Steppers()
    found = [server_policies(cells, args.recorded / "captures", s, progress=progress, steppers=shared)
             for s in servers]
    if args.format == "json":
        out.write(json.dumps(server_policies_json(found, verdicts), indent=2) + "\n")
    else:
        out.write(render_server_policies(found, verdicts, shown_path(args.recorded)))
    return EXIT_NONE_CONSISTENT if any(not f.fits for f in found) else ExitStatus.OK


def _write_policies(done: list[CellResult], out_dir: Path, progress: Callable[[str], None],
                    verdicts: ModelVerdicts | None) -> Path:
    """``--matrix --policies``: per server configuration, the policies (of the 54) that explain
    every measured cell, with their verdicts when there are some, written to ``policies.md``."""
    from leasecheck.checker.conform.policies import policies_markdown, server_policies
    from leasecheck.checker.conform.validate import Steppers
    from leasecheck.checker.render.files import atomic_write

    servers = list(dict.fromkeys(c.server for c in done))
    shared = Steppers()
    found = [server_policies(done, out_dir / "captures", s, progress=progress, steppers=shared) for s in servers]
    path = out_dir / "policies.md"
    try:
        atomic_write(path, policies_markdown(found, verdicts))
    except OSError as exc:
        raise UsageError(f"cannot write {shown_path(path)}: {exc.strerror or exc}") from None
    return path


def _save_capture(path: Path, result: RunResult, server: str, client: str, err: TextIO, quiet: bool) -> None:
    """The capture and its sidecar, each written whole, each announced."""
    from leasecheck.checker.render.files import atomic_write

    meta = {"server": server, "client": client, "delete_time": result.delete_time,
            "leased_address": result.leased_address, "client_mac": result.client_mac, "rebound": result.rebound}
    sidecar = path.with_name(path.name + ".json")
    try:
        atomic_write(path, result.pcap)
        atomic_write(sidecar, json.dumps(meta, indent=2) + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write the capture {shown_path(path)}: {exc.strerror or exc}") from None
    announce(err, quiet, path, "capture")
    announce(err, quiet, sidecar, "the capture's delete time, server and client")


def _run_cleaning_up_on_sigterm(scenario: Scenario) -> RunResult:
    """Run the scenario; a SIGTERM meanwhile ends it like Ctrl-C, so its namespaces are removed."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return run_scenario(scenario)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print(cases: Sequence[tuple[str | None, str | None, Judged]], rebound: list[bool], args: argparse.Namespace,
           out: TextIO) -> int:
    whole = [(s or "", c or "", case) for s, c, case in cases if isinstance(case, CaseReport)]
    if args.format == "json":
        docs = [dict(case_json(c) if isinstance(c, CaseReport) else per_client_json(c), server=s, client=cl)
                for s, cl, c in cases]
        verdicts = _verdicts(args) if getattr(args, "policies", False) else None
        if verdicts is not None:
            from leasecheck.checker.conform.policies import verdict_json

            for doc, (_s, _c, case) in zip(docs, cases, strict=True):
                doc["model_verdicts"] = [verdict_json(verdicts, v) for v in _consistent(case)]
        out.write(json.dumps(docs, indent=2) + "\n")
    elif args.summary:
        for _s, _c, case in cases:
            if isinstance(case, PerClientReport):
                out.write(render_per_client(case) + "\n")
        if whole:
            out.write(render_table(whole))
    elif len(cases) == 1:
        case = cases[0][2]
        out.write(render_case(case) if isinstance(case, CaseReport) else render_per_client(case))
    else:
        for _s, _c, case in cases:
            out.write((render_case(case) if isinstance(case, CaseReport) else render_per_client(case)) + "\n")
        if whole:
            out.write(render_table(whole))
    if args.format != "json" and getattr(args, "policies", False):
        verdicts = _verdicts(args)
        names = list(dict.fromkeys(v for _s, _c, case in cases for v in _consistent(case)))
        if verdicts is not None and names:
            from leasecheck.checker.conform.policies import render_policy_verdicts

            out.write("\n" + render_policy_verdicts(names, verdicts))
    if not all(rebound):
        return EXIT_NOT_REBOUND
    if any(not _consistent(case) for _s, _c, case in cases):
        return EXIT_NONE_CONSISTENT
    return ExitStatus.OK


def _consistent(case: Judged) -> tuple[str, ...]:
    return case.validation.consistent_variants if isinstance(case, CaseReport) else case.consistent_variants
