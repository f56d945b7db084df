"""Throughput of ``leasecheck conform --pcap`` judging client by client, on synthetic captures.

Each capture is written by :func:`leasecheck.checker.conform.synth.renewals`: N clients, each
bound (DISCOVER, OFFER, REQUEST, ACK) to an address of its own and then renewing, interleaved at
random, M messages in all; every server variant explains it. The capture is judged from a
stream (:func:`leasecheck.checker.conform.perclient.judge_stream`, all five variants), and the
time includes reading and classifying every packet, and the building of the five variants' views
of the model (about a second of the smallest run). Wall time and the process's CPU time are both
printed: on a shared machine the CPU time is the fairer figure, and figures taken under load say so.

    python benchmarks/conform_bench.py                      # the three sizes of benchmarks/README.md
    python benchmarks/conform_bench.py --clients 500 --messages 10000
    python benchmarks/conform_bench.py --write capture.pcap --clients 5000 --messages 100000
    python benchmarks/conform_bench.py --real 500            # real captures multiplied: speed and recall
    valgrind --tool=callgrind python -m benchmarks.conform_bench --judge capture.pcap   # instructions, less
    valgrind --tool=callgrind python -m benchmarks.conform_bench --load capture.pcap    # ... those of loading it

``--real N`` multiplies each real capture of tests/data (and busybox udhcpd's renewal after a delete
from the matrix) into N clients (:func:`leasecheck.checker.conform.assemble.assemble`), judges it,
then seeds each class of deviation into it and prints, per class, how many were found at the
packet and client where they were put (recall, found/injected), and the variants closest to the
capture with the deviation (those with the fewest clients in deviation).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from pathlib import Path

from leasecheck.checker.conform import assemble as A
from leasecheck.checker.conform.perclient import judge_stream
from leasecheck.checker.conform.synth import CaptureWriter, renewals

SIZES = ((500, 10_000), (5_000, 100_000), (200, 20_000))


def capture(clients: int, messages: int, seed: int = 1) -> bytes:
    out = io.BytesIO()
    writer = CaptureWriter(out)
    for m in renewals(clients, messages, random.Random(seed)):
        writer.write(m)
    return out.getvalue()


def measure(clients: int, messages: int) -> dict[str, float]:
    data = capture(clients, messages)
    start, cpu = time.perf_counter(), time.process_time()
    report = judge_stream([("synthetic", io.BytesIO(data))])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if report.consistent_variants != report.variants or report.clients != clients:
        raise SystemExit(f"the synthetic capture was misjudged: {report.deviant}, {report.clients} clients")
    return {"clients": clients, "messages": report.messages, "seconds": seconds, "cpu_seconds": cpu,
            "messages_per_second": report.messages / seconds, "messages_per_cpu_second": report.messages / cpu}


DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def real_bases() -> list[str]:
    return sorted(p.stem for p in DATA.glob("*.pcap")) + sorted(
        f"matrix/captures/{p.stem}" for p in (DATA / "matrix" / "captures").glob("udhcpd-*-delete-renew.pcap"))


def recall(copies: int) -> int:
    """Each real capture multiplied into ``copies`` clients: the judging's speed, then recall per class."""
    tally = {kind: [0, 0] for kind in A.CLASSES}
    for name in real_bases():
        meta = json.loads((DATA / f"{name}.pcap.json").read_text())
        data = (DATA / f"{name}.pcap").read_bytes()
        assembled = A.assemble(data, meta["delete_time"], copies)
        capture = assembled.pcap()
        for losses in (0, 1):
            start, cpu = time.perf_counter(), time.process_time()
            report = judge_stream([(name, io.BytesIO(capture))], delete_time=assembled.delete_time, losses=losses)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            if report.consistent_variants:
                break
        variants = report.consistent_variants
        print(f"{name}: {report.clients:,} clients, {report.messages:,} messages, {seconds:.2f} s wall, "
              f"{cpu:.2f} s CPU ({report.messages / cpu:,.0f} messages/s); losses {losses}; explained by "
              f"{', '.join(variants) or 'none'}", flush=True)
        for kind in A.CLASSES:
            applies = {A.DOUBLE_ACK: losses == 0, A.OFFER_BOUND: losses == 0,
                       A.MISSING_NAK: losses == 0 and "NAK" in report_kinds(assembled),
                       A.ACK_SILENT: set(variants) <= {"nt35", "rfc2131", "dnsmasq"}}[kind]
            if not applies or not variants:
                continue
            for which in range(0, min(copies - 2, 3)) if kind in (A.DOUBLE_ACK, A.OFFER_BOUND) else (0,):
                seeded = A.inject(assembled, kind, which)
                got = judge_stream([(name, io.BytesIO(seeded.capture.pcap()))],
                                   delete_time=seeded.capture.delete_time, losses=losses)
                hit = A.found(seeded, got.findings, variants)
                tally[kind][1] += 1
                tally[kind][0] += bool(hit)
                fewest = min(got.deviant.values())
                closest = [v for v in got.variants if got.deviant[v] == fewest]
                print(f"  {kind}: packet {seeded.number} of {seeded.mac}: {'found' if hit else 'MISSED'}"
                      f"{' (' + hit[0].display_filter + ')' if hit else ''}; closest: {', '.join(closest)} "
                      f"({fewest} client(s) in deviation)", flush=True)
    for kind, (hit, put) in tally.items():
        print(f"recall, {kind}: {hit}/{put}")
    return 0


def report_kinds(assembled: A.Assembled) -> set[str]:
    """The DHCP message types of the whole copy after its delete."""
    return {p.kind for p in assembled.packets if p.copy == 0 and p.time >= assembled.delete_time}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int)
    parser.add_argument("--messages", type=int)
    parser.add_argument("--write", type=Path, help="only write the capture to this file")
    parser.add_argument("--real", type=int, metavar="N", help="real captures multiplied into N clients: speed, recall")
    parser.add_argument("--judge", type=Path, metavar="FILE", help="only judge this capture, once (for counting "
                        "instructions: the count of --load subtracted, what is left is the judging)")
    parser.add_argument("--load", type=Path, metavar="FILE", help="only load this capture's bytes, as --judge does")
    args = parser.parse_args()
    if args.judge is not None or args.load is not None:
        data = (args.judge or args.load).read_bytes()
        if args.judge is not None:
            report = judge_stream([("capture", io.BytesIO(data))])
            if report.consistent_variants != report.variants:
                raise SystemExit(f"the capture was misjudged: {report.deviant}")
        return 0
    if args.real is not None:
        return recall(args.real)
    if args.write is not None:
        args.write.write_bytes(capture(args.clients or 500, args.messages or 10_000))
        return 0
    sizes = [(args.clients, args.messages)] if args.clients and args.messages else SIZES
    for clients, messages in sizes:
        r = measure(clients, messages)
        print(f"{r['clients']:>6,} clients  {r['messages']:>8,} messages  {r['seconds']:6.2f} s wall "
              f"({r['messages_per_second']:>7,.0f} messages/s)  {r['cpu_seconds']:6.2f} s CPU "
              f"({r['messages_per_cpu_second']:>7,.0f} messages/s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
