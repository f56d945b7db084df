"""Server policies: the points of the server design space, as data (docs/policies.md).

A :class:`Policy` says what the server does where the model's server variants part ways:

- ``renewing``, ``rebinding``, ``rebooting``: its answer to a REQUEST of that kind for an
  address whose lease table entry is FREE, that is, a lease it has no record of: ``silent``,
  ``nak``, or ``ack`` (the ACK re-creates the lease, ``db[a] := BOUND(c)``);
- ``delete``: whether AdminDelete leaves the in-memory record ``mem[c]`` behind (``keep-record``,
  which later makes the server ignore the client, docs/model.md section 4.4 rule 1) or clears it
  too (``clear-record``).

That is 3 x 3 x 3 x 2 = 54 policies. The five named variants are aliases of five of them
(:data:`ALIASES`). A policy is written ``renewing=nak,rebinding=silent,rebooting=silent,
delete=keep-record``; :func:`parse_policy` reads that form or an alias, and :func:`policy_name`
gives the one name a policy goes by: its alias if it has one, else the form above with the fields
in that order. The model (:mod:`leasecheck.model.dhcp`) reads only the fields, never a name.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from itertools import product

from leasecheck.errors import UserError, quoted

#: The answers a server may give to a request for a lease it has no record of.
ANSWERS = ("silent", "nak", "ack")
#: What AdminDelete does to the server's in-memory record of the client.
DELETE_MODES = ("keep-record", "clear-record")
#: The policy's fields, in the order its written form lists them.
FIELDS = ("renewing", "rebinding", "rebooting", "delete")


class PolicyError(UserError):
    """A server policy that names an unknown field or value, or leaves a field out."""


@dataclass(frozen=True)
class Policy:
    """One point of the server design space."""

    renewing: str
    rebinding: str
    rebooting: str
    delete: str

    def __post_init__(self) -> None:
        for f in fields(self):
            allowed = DELETE_MODES if f.name == "delete" else ANSWERS
            if getattr(self, f.name) not in allowed:
                raise PolicyError(f"policy field {f.name} must be one of {', '.join(allowed)}, "
                                  f"not {quoted(getattr(self, f.name))}")

    def answer(self, kind: str) -> str:
        """The answer to a REQUEST of ``kind`` (RENEWING, REBINDING or REBOOTING) for a FREE address."""
        return {"RENEWING": self.renewing, "REBINDING": self.rebinding, "REBOOTING": self.rebooting}[kind]

    @property
    def keeps_record(self) -> bool:
        return self.delete == "keep-record"

    def spec(self) -> str:
        """The written form, fields in :data:`FIELDS` order."""
        return ",".join(f"{name}={getattr(self, name)}" for name in FIELDS)


#: The five named variants of docs/model.md section 5, as policies.
ALIASES: dict[str, Policy] = {
    "nt35": Policy("silent", "silent", "silent", "keep-record"),
    "nt40": Policy("nak", "nak", "nak", "clear-record"),
    "rfc2131": Policy("silent", "silent", "silent", "clear-record"),
    "dnsmasq": Policy("nak", "silent", "silent", "clear-record"),
    "authoritative": Policy("ack", "ack", "ack", "clear-record"),
}
_ALIAS_OF = {policy: name for name, policy in ALIASES.items()}


def policy_space() -> tuple[Policy, ...]:
    """Every policy, in a fixed order (the named variants among them)."""
    return tuple(Policy(*point) for point in product(ANSWERS, ANSWERS, ANSWERS, DELETE_MODES))


def policy_name(policy: Policy) -> str:
    """The alias of ``policy`` if it has one, else its written form."""
    return _ALIAS_OF.get(policy) or policy.spec()


def parse_policy(text: object) -> Policy:
    """Read a variant name or a written policy; :class:`PolicyError` says what is wrong."""
    if not isinstance(text, str):
        raise PolicyError(f"a variant is a name or a policy, not {quoted(text)}")
    if text in ALIASES:
        return ALIASES[text]
    if "=" not in text:
        raise PolicyError(f"unknown variant {quoted(text)}; choose one of {', '.join(ALIASES)}, "
                          f"or write a policy such as {ALIASES['dnsmasq'].spec()}")
    given: dict[str, str] = {}
    for part in text.split(","):
        name, sep, value = (p.strip() for p in part.partition("="))
        if not sep or name not in FIELDS:
            raise PolicyError(f"unknown policy field {quoted(name or part)}; the fields are {', '.join(FIELDS)}")
        if name in given:
            raise PolicyError(f"policy field {name} is given twice")
        given[name] = value
    missing = [name for name in FIELDS if name not in given]
    if missing:
        raise PolicyError(f"the policy leaves out {', '.join(missing)}; give all of {', '.join(FIELDS)}")
    return Policy(**given)


def canonical_variant(text: object) -> str:
    """The one name of the policy ``text`` names: an alias stays, a written alias becomes its name."""
    return policy_name(parse_policy(text))
