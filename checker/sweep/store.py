"""The results file of a sweep, which makes it resumable, and the CSV form of its records.

The file is JSON lines: a header line that marks it as a leasecheck sweep, then one record a
point, appended and flushed as each point finishes, so an interruption loses at most the point
that was being written. :meth:`ResultsFile.load` reads back what is done (a last line cut short by
an interruption is dropped; any other line that is not a record is refused, and so is a file that
is not a sweep's); a point whose record says ``done`` is not run again, a failed one is.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from leasecheck.checker.render.inputfile import parse_json
from leasecheck.checker.sweep.grid import Point, SweepError
from leasecheck.checker.sweep.task import PROPERTIES
from leasecheck.model.policy import FIELDS, parse_policy
from leasecheck.version import __version__

#: The first line of a results file: records from another version of leasecheck may not be the
#: model's of today, so they are not mixed with new ones.
HEADER = {"leasecheck": "sweep results", "format": 1, "version": __version__}


class ResultsFile:
    """One sweep's JSON lines file; ``header`` and ``what`` (how its errors name it) for another
    kind of resumable results of the same shape (``leasecheck prove --policies``)."""

    def __init__(self, path: Path, header: Mapping[str, Any] = HEADER, what: str = "sweep"):
        self.path = path
        self.header = dict(header)
        self.what = what

    def load(self) -> dict[str, dict[str, Any]]:
        """The finished records by point key; creates the file (with its header) when it is missing."""
        if not self.path.exists():
            self._start()
            return {}
        if self.path.is_dir():
            raise SweepError(f"the results file {self.path} is a folder")
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise SweepError(f"cannot read the results file {self.path}: {exc.strerror or exc}") from None
        if not raw:
            self._start()
            return {}
        lines = raw.split(b"\n")
        if raw.endswith(b"\n"):
            lines.pop()
        elif len(lines) > 1:  # the last line was cut short by an interruption: drop it
            self._rewrite(raw[: raw.rfind(b"\n") + 1])
            lines.pop()
        elif _json(lines[0]) == self.header:  # a header written without its line end
            self._rewrite(raw + b"\n")
        done: dict[str, dict[str, Any]] = {}
        for number, line in enumerate(lines, 1):
            record = _json(line)
            if number == 1:
                if isinstance(record, dict) and record.get("leasecheck") == self.header["leasecheck"] and record != self.header:
                    written = record.get("version", "another version")
                    raise SweepError(f"{self.path} holds the records of leasecheck {written}, which may differ from "
                                     f"this one's ({__version__}); start a new results file")
                if record != self.header:
                    raise SweepError(f"{self.path} is not a leasecheck {self.what} results file; give a new file or one "
                                     f"an earlier {self.what} wrote")
                continue
            if not (isinstance(record, dict) and isinstance(record.get("key"), str) and "status" in record):
                raise SweepError(f"line {number} of {self.path} is not a {self.what} record; the file was changed by hand")
            if record["status"] == "done":
                done[record["key"]] = record
            else:
                done.pop(record["key"], None)
        return done

    def append(self, record: Mapping[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def _start(self) -> None:
        try:
            self.path.write_text(json.dumps(self.header) + "\n", encoding="utf-8")
        except OSError as exc:
            raise SweepError(f"cannot write the results file {self.path}: {exc.strerror or exc}") from None

    def _rewrite(self, data: bytes) -> None:
        try:
            self.path.write_bytes(data)
        except OSError as exc:
            raise SweepError(f"cannot repair the results file {self.path}: {exc.strerror or exc}") from None


def _json(line: bytes) -> Any:
    """A line's JSON document, or None for a line that is not strict JSON (a key given twice in
    one object, a non-number constant, nesting beyond the reader's limit, not UTF-8)."""
    try:
        return parse_json(line)
    except ValueError:
        return None


CSV_COLUMNS = ("policy", *FIELDS, "clients", "addresses", "deletes", "losses", "reboots", "restart", "symmetry",
               *PROPERTIES, "states", "transitions", "complete", "latency", "latency_note", "seconds")


def csv_text(records: Iterable[Mapping[str, Any]]) -> str:
    """The records as CSV, one row a point, in the order given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        p = Point.from_dict(dict(r["point"]))
        policy = parse_policy(p.policy)
        writer.writerow([p.policy, *(getattr(policy, f) for f in FIELDS), p.clients, p.addresses, p.deletes,
                         p.losses, p.reboots, p.restart, p.symmetry, *(r["verdicts"][n] for n in PROPERTIES),
                         r["states"], r["transitions"], r["complete"],
                         "" if r["latency"] is None else r["latency"], r["latency_note"], r["seconds"]])
    return out.getvalue()
