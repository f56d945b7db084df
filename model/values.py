"""The values DHCP state variables range over: client states, messages, lease-table entries.

Names follow RFC 2131 (figure 5 for client states, section 3.1 for message types). Values are
small frozen dataclasses whose ``str`` is the notation of docs/model.md section 3.1
(``REQUEST(RENEWING,0)``). ``None`` stands for the distinct value ``none``.
"""

from __future__ import annotations

from dataclasses import dataclass

from leasecheck.model.lang import names_sort
from leasecheck.model.lang import render_value as render_value  # where it was first defined

INIT = "INIT"
SELECTING = "SELECTING"
REQUESTING = "REQUESTING"
BOUND = "BOUND"
RENEWING = "RENEWING"
REBINDING = "REBINDING"
REBOOTING = "REBOOTING"

CLIENT_STATES = (INIT, SELECTING, REQUESTING, BOUND, RENEWING, REBINDING, REBOOTING)
WAITING = (REQUESTING, RENEWING, REBINDING, REBOOTING)
HOLDING = (BOUND, RENEWING, REBINDING)

#: The kinds of DHCPREQUEST (RFC 2131 table 4), named after the client state that sends them.
REQUEST_KINDS = (SELECTING, RENEWING, REBINDING, REBOOTING)

VARIANTS = ("nt35", "nt40", "rfc2131", "dnsmasq", "authoritative")


@dataclass(frozen=True)
class Discover:
    def __str__(self) -> str:
        return "DISCOVER"


@dataclass(frozen=True)
class Request:
    kind: str
    addr: int = names_sort("address")

    def __str__(self) -> str:
        return f"REQUEST({self.kind},{self.addr})"


@dataclass(frozen=True)
class Release:
    addr: int = names_sort("address")

    def __str__(self) -> str:
        return f"RELEASE({self.addr})"


@dataclass(frozen=True)
class Offer:
    addr: int = names_sort("address")

    def __str__(self) -> str:
        return f"OFFER({self.addr})"


@dataclass(frozen=True)
class Ack:
    addr: int = names_sort("address")

    def __str__(self) -> str:
        return f"ACK({self.addr})"


@dataclass(frozen=True)
class Nak:
    def __str__(self) -> str:
        return "NAK"


@dataclass(frozen=True)
class Free:
    def __str__(self) -> str:
        return "FREE"


@dataclass(frozen=True)
class Offered:
    client: int = names_sort("client")

    def __str__(self) -> str:
        return f"OFFERED({self.client})"


@dataclass(frozen=True)
class Bound:
    client: int = names_sort("client")

    def __str__(self) -> str:
        return f"BOUND({self.client})"


DISCOVER = Discover()
NAK = Nak()
FREE = Free()

ClientMsg = Discover | Request | Release
ServerMsg = Offer | Ack | Nak
Lease = Free | Offered | Bound


def to_client_messages(addresses: int) -> tuple[ServerMsg | None, ...]:
    return (None, *(Offer(a) for a in range(addresses)), *(Ack(a) for a in range(addresses)), NAK)


def to_server_messages(addresses: int) -> tuple[ClientMsg | None, ...]:
    requests = tuple(Request(k, a) for k in REQUEST_KINDS for a in range(addresses))
    releases = tuple(Release(a) for a in range(addresses))
    return (None, DISCOVER, *requests, *releases)


def leases(clients: int) -> tuple[Lease, ...]:
    return (FREE, *(Offered(c) for c in range(clients)), *(Bound(c) for c in range(clients)))


_PARSERS = {"OFFER": Offer, "ACK": Ack, "REQUEST": Request, "RELEASE": Release, "OFFERED": Offered, "BOUND": Bound}
_ATOMS = {"DISCOVER": DISCOVER, "NAK": NAK, "FREE": FREE}


def parse_value(text: object) -> object:
    """Inverse of ``str`` for the values above (used to read traces back); others pass through."""
    if not isinstance(text, str):
        return text
    if text in _ATOMS:
        return _ATOMS[text]
    head, sep, rest = text.partition("(")
    if sep and rest.endswith(")") and head in _PARSERS:
        parts = rest[:-1].split(",")
        try:
            if head == "REQUEST" and len(parts) == 2:
                return Request(parts[0], int(parts[1]))
            if len(parts) == 1:
                return _PARSERS[head](int(parts[0]))  # type: ignore[call-arg]
        except ValueError:
            return text
    return text
