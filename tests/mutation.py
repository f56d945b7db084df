"""Mutation testing of the DHCP model: deliberate small mistakes, and whether the suite notices.

Each :class:`Mutant` replaces one exact piece of ``model/dhcp.py`` (it must occur exactly once,
so the catalogue fails loudly when the model changes under it). The mutated module is loaded
under a private name and judged by the same checks the test suite makes:

* ``counts``: the reference state counts of docs/model.md section 8;
* ``claims``: the expected verdict of every claim in the catalogue;
* ``oracle``: every reachable state of small configurations has exactly the transitions that
  ``tests/spec_oracle.py`` (an independent reading of docs/model.md) allows.

A mutant that no check kills must be explained as equivalent in ``tests/MUTANTS.md``.
Run ``python -m tests.mutation`` for the report.
"""

from __future__ import annotations

import linecache
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from leasecheck.checker.claims import check_claims
from leasecheck.checker.explicit.explore import Limits, explore
from leasecheck.model.dhcp import Config
from leasecheck.model.lang import System

from . import spec_oracle
from .test_reference_counts import REFERENCE

SOURCE = Path(__file__).resolve().parent.parent / "model" / "dhcp.py"


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str
    old: str
    new: str
    #: further (old, new) replacements, each of text that occurs exactly once
    also: tuple[tuple[str, str], ...] = ()

    def source(self) -> str:
        """model/dhcp.py with this mistake."""
        text = SOURCE.read_text()
        for old, new in ((self.old, self.new), *self.also):
            if text.count(old) != 1:
                raise ValueError(f"mutant {self.name}: its text occurs {text.count(old)} times in model/dhcp.py")
            text = text.replace(old, new)
        return text

    def line_of(self, snippet: str) -> int:
        """The line of the mutated model where ``snippet`` is (it must be there once)."""
        lines = [i for i, line in enumerate(self.source().splitlines(), 1) if snippet in line]
        if len(lines) != 1:
            raise ValueError(f"mutant {self.name}: {snippet!r} is on {len(lines)} lines")
        return lines[0]


CATALOGUE: tuple[Mutant, ...] = (
    Mutant("discover-drops-to_srv-guard", "Discover without waiting for the outgoing slot",
           "s.require(s.st[c] == V.INIT, s.to_srv[c] == None)  # noqa: E711\n        s.st[c] = V.SELECTING",
           "s.require(s.st[c] == V.INIT)\n        s.st[c] = V.SELECTING"),
    Mutant("recvack-keeps-err", "an ACK does not clear the error flag",
           "        s.st[c] = V.BOUND\n        s.err[c] = 0\n", "        s.st[c] = V.BOUND\n"),
    Mutant("recvnak-keeps-addr", "a NAK leaves the client's address",
           "        s.st[c] = V.INIT\n        s.addr[c] = None\n        s.to_cli[c] = None\n",
           "        s.st[c] = V.INIT\n        s.to_cli[c] = None\n"),
    Mutant("discard-always", "Discard even when a receive action applies",
           "        s.require(~(self.recv_offer_guard(s, c) | self.recv_ack_guard(s, c) | self.recv_nak_guard(s, c)))\n", ""),
    Mutant("recvack-any-address", "accept an ACK for another address",
           "return is_ack & waiting(s, c) & (acked == s.addr[c])",
           "return is_ack & waiting(s, c)"),
    Mutant("t1-sends-rebinding", "T1 sends a REBINDING request",
           "s.to_srv[c] = _request(V.RENEWING, s.addr[c], self.to_srv_dom)",
           "s.to_srv[c] = _request(V.REBINDING, s.addr[c], self.to_srv_dom)"),
    Mutant("expire-keeps-addr", "the client keeps its address at expiry",
           "        s.st[c] = V.INIT\n        s.addr[c] = None\n\n    def timeout", "        s.st[c] = V.INIT\n\n    def timeout"),
    Mutant("timeout-selecting-no-error", "no error message when no offer comes",
           "            s.st[c] = V.INIT\n            s.err[c] = 1\n", "            s.st[c] = V.INIT\n"),
    Mutant("timeout-reboot-to-init", "a silent reboot request drops the lease",
           '            else:\n                s.st[c] = V.BOUND\n        with s.case((s.st[c] == V.RENEWING)',
           '            else:\n                s.st[c] = V.INIT\n        with s.case((s.st[c] == V.RENEWING)'),
    Mutant("timeout-renewing-repeats", "the renewal timeout fires again and again",
           "(s.st[c] == V.RENEWING) & (s.err[c] == 0)", "(s.st[c] == V.RENEWING)"),
    Mutant("release-stays-bound", "IPCONFIG /RELEASE leaves the client state",
           "        s.st[c] = V.INIT\n        s.addr[c] = None\n\n    def reboot", "        s.addr[c] = None\n\n    def reboot"),
    Mutant("reboot-free", "a reboot does not spend the budget",
           "        s.reboots_left = _decrement(s.reboots_left)\n", ""),
    Mutant("serve-release-keeps-mem", "a RELEASE leaves the in-memory record",
           "                s.mem[c] = ite(s.mem[c] == a, None, s.mem[c])\n                s.to_srv[c] = None\n",
           "                s.to_srv[c] = None\n"),
    Mutant("nt35-never-stale", "NT 3.5 ignores its stale record",
           '        if not self.cfg.policy.keeps_record:\n            return FALSE',
           '        if not self.cfg.policy.keeps_record or True:\n            return FALSE'),
    Mutant("offer-without-mem", "an offer of a free address is not remembered",
           "                s.db[a] = V.Offered(c)\n                s.mem[c] = a\n", "                s.db[a] = V.Offered(c)\n"),
    Mutant("offer-without-db", "an offer of a free address is not written to the lease table",
           "                s.db[a] = V.Offered(c)\n", ""),
    Mutant("nt40-silent", "NT 4.0 stays silent instead of NAKing",
           '        answer = self.cfg.policy.answer(k)',
           '        answer = "silent" if self.cfg.variant == "nt40" else self.cfg.policy.answer(k)'),
    Mutant("dnsmasq-naks-rebind", "dnsmasq NAKs a broadcast rebind too",
           '        answer = self.cfg.policy.answer(k)',
           '        answer = "nak" if self.cfg.variant == "dnsmasq" else self.cfg.policy.answer(k)'),
    Mutant("authoritative-naks", "the authoritative server NAKs instead of re-creating the lease",
           '        answer = self.cfg.policy.answer(k)',
           '        answer = "nak" if self.cfg.variant == "authoritative" else self.cfg.policy.answer(k)'),
    Mutant("other-client-acked", "a request for another client's address is ACKed",
           'with s.case(ok & others, "NAK: another client\'s address"):\n            s.to_cli[c] = V.NAK',
           'with s.case(ok & others, "NAK: another client\'s address"):\n            s.to_cli[c] = V.Ack(a)'),
    Mutant("lapsed-offer-silent", "a SELECTING request for a lapsed offer gets silence",
           'with s.case(unknown, "NAK: the offer lapsed"):\n                s.to_cli[c] = V.NAK',
           'with s.case(unknown, "NAK: the offer lapsed"):\n                pass'),
    Mutant("ack-keeps-offered", "an ACK leaves the lease OFFERED",
           'with s.case(ok & mine(s, c, a), "ACK"):\n            s.db[a] = V.Bound(c)\n',
           'with s.case(ok & mine(s, c, a), "ACK"):\n'),
    Mutant("expire-lease-ignores-references", "the server frees leases still in use",
           "mine(s, c, a) & ~references(s, c, a)", "mine(s, c, a)"),
    Mutant("delete-free", "a delete does not spend the budget",
           "        s.deletes_left = _decrement(s.deletes_left)\n", ""),
    Mutant("nt40-keeps-stale-record", "every variant keeps the stale record on delete",
           '                if not self.cfg.policy.keeps_record:\n                    s.mem[c] = ite',
           '                if False:\n                    s.mem[c] = ite'),
    Mutant("restart-always", "a restart is allowed even when it changes nothing",
           "        s.require(exists(s.st, lambda c: s.mem[c] != self.rebuilt_record(s, c)))\n", ""),
    Mutant("loss-free", "losing a message does not spend the budget",
           "        s.to_srv[c] = None\n        s.losses_left = _decrement(s.losses_left)\n", "        s.to_srv[c] = None\n"),
    Mutant("budget-off-by-one", "budgets allow one action at zero",
           "return e.map(lambda v: v > 0, BOOL)", "return e.map(lambda v: v >= 0, BOOL)"),
    Mutant("holding-without-rebinding", "a rebinding client is not holding its address",
           "    return s.st[c].isin(V.HOLDING)", "    return s.st[c].isin((V.BOUND, V.RENEWING))"),
    Mutant("timeout-unfair", "Timeout is not a fair action",
           'act("Timeout", client, self.timeout, True, "client")', 'act("Timeout", client, self.timeout, False, "client")'),
    Mutant("servediscover-unfair", "ServeDiscover is not a fair action",
           'act("ServeDiscover", client, self.serve_discover, True, "server")',
           'act("ServeDiscover", client, self.serve_discover, False, "server")'),
    Mutant("release-fair", "Release is a fair action",
           'act("Release", client, self.release, False, "client")', 'act("Release", client, self.release, True, "client")'),
)


def load(mutant: Mutant) -> types.ModuleType:
    """The DHCP model with one mistake, as a fresh module (its source kept where tracebacks and
    error messages look for the lines of a file)."""
    text = mutant.source().replace("from . import values as V", "from model import values as V")
    text = text.replace("from .lang import", "from leasecheck.model.lang import")
    module = types.ModuleType(f"_mutant_{mutant.name.replace('-', '_')}")
    sys.modules[module.__name__] = module  # dataclasses look their module up while they are made
    filename = f"<mutant {mutant.name}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    exec(compile(text, filename, "exec"), module.__dict__)  # noqa: S102
    return module


def kill_by_counts(system_of: Callable[[Config], System]) -> str | None:
    for C, A, D, L, R, variant, restart, states in REFERENCE:
        cfg = Config(clients=C, addresses=A, variant=variant, deletes=D, losses=L, reboots=R, restart=restart)
        graph = explore(system_of(cfg), Limits(max_states=4 * states))
        if len(graph.states) != states:
            return f"{cfg.describe()}: {len(graph.states)} states instead of {states}"
    return None


def kill_by_claims(system_of: Callable[[Config], System]) -> str | None:
    report = check_claims(system_of=system_of)
    wrong = [r for r in report.results if not r.ok]
    if wrong:
        r = wrong[0]
        return f"{r.claim.property} on {r.claim.config.describe()}: {r.computed}, expected {r.claim.expected}"
    return None


ORACLE_CONFIGS = [Config(clients=1, addresses=1, variant=v, deletes=1, losses=1, reboots=1, restart=True) for v in ("nt35", "nt40", "rfc2131", "dnsmasq", "authoritative")]
ORACLE_CONFIGS += [Config(clients=2, addresses=1, variant="nt35", deletes=1, losses=1, reboots=0, restart=True), Config(clients=1, addresses=2, variant="nt40", deletes=1, losses=0, reboots=1)]


def kill_by_oracle(system_of: Callable[[Config], System]) -> str | None:
    for cfg in ORACLE_CONFIGS:
        system = system_of(cfg)
        _, disagreement = spec_oracle.first_disagreement(system, cfg)
        if disagreement is not None:
            return disagreement
        # fairness flags are part of the model too
        for inst in system.instances:
            fair = inst.action not in {"Release", "Reboot", "AdminDelete", "AdminRestart", "LoseToServer", "LoseToClient"}
            if inst.fair != fair:
                return f"{inst} has the wrong fairness flag"
    return None


KILLERS: tuple[tuple[str, Callable[[Callable[[Config], System]], str | None]], ...] = (
    ("counts", kill_by_counts),
    ("claims", kill_by_claims),
    ("oracle", kill_by_oracle),
)


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    killed_by: tuple[tuple[str, str], ...]
    seconds: float


def run(mutant: Mutant, killers: tuple[tuple[str, Callable[[Callable[[Config], System]], str | None]], ...] = KILLERS) -> Outcome:
    start = time.perf_counter()
    module = load(mutant)
    system_of = module.dhcp_system
    killed = []
    for name, killer in killers:
        why = killer(system_of)
        if why is not None:
            killed.append((name, why))
    return Outcome(mutant, tuple(killed), time.perf_counter() - start)


def equivalent_mutants() -> set[str]:
    """Mutants explained as equivalent in tests/MUTANTS.md (lines starting '- `name`')."""
    path = Path(__file__).resolve().parent / "MUTANTS.md"
    names = set()
    for line in path.read_text().splitlines():
        if line.startswith("- `") and "` " in line:
            names.add(line[3:line.index("`", 3)])
    return names


def main() -> int:
    outcomes = [run(m) for m in CATALOGUE]
    equivalent = equivalent_mutants()
    survivors = 0
    for o in outcomes:
        if o.killed_by:
            status = "killed by " + ", ".join(name for name, _ in o.killed_by)
        elif o.mutant.name in equivalent:
            status = "survives: explained in tests/MUTANTS.md"
        else:
            status = "SURVIVES, unexplained"
            survivors += 1
        print(f"{o.mutant.name:34} {status:40} {o.seconds:5.1f} s   {o.mutant.what}")
    killed = sum(bool(o.killed_by) for o in outcomes)
    print(f"\n{len(outcomes)} mutants: {killed} killed, {len(outcomes) - killed - survivors} explained, {survivors} unexplained")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
