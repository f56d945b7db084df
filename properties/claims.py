"""The KB article's claims, and docs/model.md section 7's expected verdicts, as a catalogue.

Each :class:`Claim` names a property, a configuration and the verdict docs/model.md section 7
expects for it. For per-client properties the expectation is about every client: "holds" means it
holds for each client, "violated" that it fails for at least one. Reachability properties "hold"
when the state they describe is reachable.
"""

from __future__ import annotations

from dataclasses import dataclass

from leasecheck.model.dhcp import Config
from leasecheck.model.values import VARIANTS
from leasecheck.properties.spec import Verdict

SIZES: tuple[tuple[int, int], ...] = ((1, 1), (2, 2))


@dataclass(frozen=True)
class Claim:
    property: str
    config: Config
    expected: Verdict
    source: str


def catalogue(sizes: tuple[tuple[int, int], ...] = SIZES) -> tuple[Claim, ...]:
    """Every claim of docs/model.md section 7, for each variant it speaks of, at each size."""
    H, X = Verdict.HOLDS, Verdict.VIOLATED
    out: list[Claim] = []
    for clients, addresses in sizes:

        def cfg(variant: str, deletes: int = 1, restart: bool = False, size: tuple[int, int] = (clients, addresses)) -> Config:
            return Config(clients=size[0], addresses=size[1], variant=variant,
                          deletes=deletes, losses=0, reboots=0, restart=restart)

        for v in VARIANTS:
            out.append(Claim("recovery", cfg(v), X if v == "nt35" else H,
                             "KB: renewal never succeeds after a delete" if v == "nt35" else "the server NAKs, ACKs or lets the lease expire"))
        for v in VARIANTS:
            out.append(Claim("recovery", cfg(v, deletes=0), H, "no delete, no deadlock"))
        for v in VARIANTS:
            out.append(Claim("recoverable", cfg(v), X if v == "nt35" else H,
                             "KB: only a service restart helps" if v == "nt35" else "every state can still bind"))
        out.append(Claim("recoverable", cfg("nt35", restart=True), H, "KB: restarting the DHCP Server service helps"))
        for v in VARIANTS:
            out.append(Claim("no_duplicate_address", cfg(v, deletes=0), H, "without deletes, leases are exclusive"))
        for v in VARIANTS:
            dup = X if clients >= 2 else H
            out.append(Claim("no_duplicate_address", cfg(v), dup,
                             "deleting an active lease can hand its address out twice" if clients >= 2 else "one client cannot collide"))
        for v in VARIANTS:
            out.append(Claim("single_binding", cfg(v), H, "the server keeps one entry per client"))
        out.append(Claim("kb_symptom", cfg("nt35"), H, "KB symptoms: \"unable to obtain an IP network address\""))
        out.append(Claim("kb_release_workaround", cfg("nt35"), H, "KB workaround: IPCONFIG /RELEASE, then /RENEW"))
        out.append(Claim("kb_restart_workaround", cfg("nt35", restart=True), H, "KB workaround: restart the DHCP Server service"))
        out.append(Claim("kb_stuck_after_expiry", cfg("nt35"), H, "KB: after expiry only a restart helps"))
    return tuple(out)
