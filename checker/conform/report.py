"""The outcome of one conformance case as data: the capture read as model events, per-variant
verdicts, and the figures a report table shows (the sequence after the delete, time to rebind).

:func:`analyse_capture` is the seam between a capture (recorded by the runner or given by the
user) and the renderers in :mod:`leasecheck.checker.conform.render`; it never prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from leasecheck.checker.conform.classify import CaptureError, Classified, Observed, classify
from leasecheck.checker.conform.pcap import UdpPacket, read_udp
from leasecheck.checker.conform.validate import (
    Delete,
    Event,
    Steppers,
    Validation,
    check_losses,
    check_size,
    validate,
    with_delete,
)
from leasecheck.model.policy import parse_policy
from leasecheck.model.values import REBINDING, REBOOTING, RENEWING, VARIANTS, Ack, Request


@dataclass(frozen=True)
class CaseReport:
    """One capture, one client NAK handling, one loss budget."""

    label: str  # "dnsmasq x udhcpc" or the capture's file name
    classified: Classified
    events: tuple[Event, ...]
    validation: Validation
    start_time: float  # time of the first DHCP message (the table's clock starts there)
    delete_time: float | None

    @property
    def after_delete(self) -> tuple[Observed, ...]:
        for i, e in enumerate(self.events):
            if isinstance(e, Delete):
                return tuple(x for x in self.events[i + 1:] if isinstance(x, Observed))
        return ()

    @property
    def telling_apart(self) -> tuple[str, ...]:
        """When several variants are consistent: the requests for a deleted lease that they answer
        differently (docs/model.md section 5) and that the capture does not contain after the delete."""
        variants = self.validation.consistent_variants
        if len(variants) < 2:
            return ()
        seen = {o.message.kind for o in self.after_delete if isinstance(o.message, Request)}
        return tuple(f"REQUEST({k})" for k in (RENEWING, REBINDING, REBOOTING)
                     if k not in seen and len({parse_policy(v).answer(k) for v in variants}) > 1)

    @property
    def seconds_to_rebind(self) -> float | None:
        """From the delete to the ACK that bound the client again, as seen on the client's wire: the
        last ACK after the delete with no client message after it (an ACK the client missed is
        followed by its retry)."""
        if self.delete_time is None:
            return None
        last: float | None = None
        for o in self.after_delete:
            if o.direction == "to server":
                last = None
            elif isinstance(o.message, Ack):
                last = o.time
        return None if last is None else last - self.delete_time


def analyse_capture(label: str, data: bytes, *, delete_time: float | None = None, delete_packet: int | None = None,
                    delete_offset: float | None = None, losses: int = 0, client_nak: str = "obey",
                    restart: bool = False, client_reboot: str = "keep-on-silence", reboots: int = 0,
                    variants: Sequence[str] = VARIANTS, steppers: Steppers | None = None) -> CaseReport:
    """Read, classify and validate one capture (pcap or pcapng bytes). The delete is given by the
    capture's clock (``delete_time``), a packet number, or seconds after the first DHCP message.
    The loss budget and the capture's size (clients, addresses, messages) are checked first."""
    return analyse_packets(label, read_udp(data), delete_time=delete_time, delete_packet=delete_packet,
                           delete_offset=delete_offset, losses=losses, client_nak=client_nak, restart=restart,
                           client_reboot=client_reboot, reboots=reboots, variants=variants, steppers=steppers)


def analyse_packets(label: str, packets: Sequence[UdpPacket], *, delete_time: float | None = None,
                    delete_packet: int | None = None, delete_offset: float | None = None, losses: int = 0,
                    client_nak: str = "obey", restart: bool = False, client_reboot: str = "keep-on-silence",
                    reboots: int = 0, variants: Sequence[str] = VARIANTS,
                    steppers: Steppers | None = None) -> CaseReport:
    """:func:`analyse_capture` of a capture already read into its UDP packets, judged under each of
    ``variants`` (named variants or written policies); ``steppers``: compiled systems to reuse."""
    check_losses(losses)
    classified = classify(packets)
    if not classified.messages:
        raise CaptureError("the capture holds no DHCP message")
    check_size(classified)
    if delete_offset is not None and classified.messages:
        delete_time = classified.messages[0].time + delete_offset
    events = tuple(with_delete(classified, time=delete_time, packet=delete_packet))
    validation = validate(classified, events, losses=losses, client_nak=client_nak, restart=restart,
                          client_reboot=client_reboot, reboots=reboots, variants=variants, steppers=steppers)
    start = classified.messages[0].time if classified.messages else 0.0
    when = delete_time
    if when is None:
        when = next((e.time for e in events if isinstance(e, Delete)), None)
    return CaseReport(label, classified, events, validation, start, when)
