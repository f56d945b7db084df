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
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int)
    parser.add_argument("--messages", type=int)
    parser.add_argument("--write", type=Path, help="only write the capture to this file")
    args = parser.parse_args()
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
