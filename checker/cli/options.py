"""The command line's shared option vocabulary: numbers, formats, help texts and ``--quiet``.

* :func:`number` is the one parser of every numeric option: a whole number or a number of
  seconds within the option's range, never NaN or infinite, a usage error (exit status 2)
  otherwise. A budget option's bounds are those of the thing it bounds (the interval timer, a
  solver's limit, the model's sizes), so no value a parser accepts can overflow later.
* :data:`FORMATS` is the registry of what each command's ``--format`` prints; :func:`add_format`
  declares the option from it, and :func:`requested_format` finds it in an argument list that did
  not parse, so that an error can still be answered as a JSON document.
* :class:`HelpFormatter` shows every option's default in ``--help``.
* :func:`add_budgets` declares the model's budgets, ``--restart`` and ``--client-nak``, which
  ``check``, ``graph`` and ``prove`` share.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from typing import Any

from leasecheck.errors import quoted
from leasecheck.model.dhcp import CLIENT_NAK_MODES, MAX_BUDGET

#: The longest time any option accepts, in seconds (about 11.6 days): within what the interval
#: timer, a monotonic deadline and a solver's limit in milliseconds can all hold.
MAX_SECONDS = 1_000_000.0
#: The largest count a limit on states, memory (MB) or search depth accepts.
MAX_COUNT = 10**12


def number(kind: type, minimum: float, maximum: float, what: str, *, above: bool = False) -> Callable[[str], Any]:
    """An argparse ``type``: ``kind`` (``int`` or ``float``) from ``minimum`` (excluded when
    ``above``) to ``maximum``; NaN, infinities, and anything else out of range are refused with
    a message that names the range."""

    def parse(text: str) -> Any:
        value: float | int | None
        try:
            if kind is int:
                value = int(text) if len(text.strip()) <= 30 else None  # longer: out of every range
            else:
                value = float(text) if len(text.strip()) <= 60 else None
        except ValueError:
            value = None
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise argparse.ArgumentTypeError(f"expected {what}, got {quoted(text)}")
        low_ok = value > minimum if above else value >= minimum
        if not low_ok or value > maximum:
            low = f"more than {_shown(minimum)}" if above else f"at least {_shown(minimum)}"
            raise argparse.ArgumentTypeError(f"must be {low} and at most {_shown(maximum)}, got {quoted(text)}")
        return value

    parse.__name__ = what
    return parse


def _shown(bound: float) -> str:
    return f"{bound:,.0f}" if float(bound).is_integer() else f"{bound:g}"


def seconds(maximum: float = MAX_SECONDS) -> Callable[[str], Any]:
    """A number of seconds: more than 0, at most ``maximum``."""
    return number(float, 0, maximum, "a number of seconds", above=True)


def whole(minimum: int, maximum: int = MAX_COUNT) -> Callable[[str], Any]:
    """A whole number from ``minimum`` to ``maximum``."""
    return number(int, minimum, maximum, "a whole number")


#: What ``--format`` prints, per command: each format with what it is (the first is the default).
FORMATS: dict[str, dict[str, str]] = {
    "check": {"text": "tables and traces for a reader", "json": "one JSON document (docs/json.md)"},
    "claims": {"text": "a table for a reader", "json": "one JSON document (docs/json.md)"},
    "replay": {"both": "the steps and the message sequence chart", "text": "the steps", "chart": "the chart"},
    "describe": {"text": "for a terminal", "markdown": "Markdown with headings and tables"},
    "conform": {"text": "each case and the table for a reader", "json": "one JSON document (docs/json.md)"},
    "sweep": {"text": "the summary for a reader", "json": "one JSON document (docs/json.md)"},
    "prove": {"text": "the verdict and its proof for a reader", "json": "one JSON document (docs/json.md)"},
}


def add_budgets(p: argparse.ArgumentParser, metavars: str = "NNN") -> None:
    """The options a model's budgets are given by (``metavars``: the shown names of deletes,
    losses and reboots), ``--restart`` and ``--client-nak``."""
    p.add_argument("--deletes", type=whole(0, MAX_BUDGET), default=1, metavar=metavars[0],
                   help="admin deletes of an active lease (default 1)")
    p.add_argument("--losses", type=whole(0, MAX_BUDGET), default=0, metavar=metavars[1],
                   help="messages the network may lose (default 0)")
    p.add_argument("--reboots", type=whole(0, MAX_BUDGET), default=0, metavar=metavars[2],
                   help="client reboots (default 0)")
    p.add_argument("--restart", action="store_true",
                   help="the administrator may restart the server service (default: never)")
    p.add_argument("--client-nak", choices=CLIENT_NAK_MODES, default="obey",
                   help="how the client treats a DHCPNAK (default obey, as RFC 2131)")


def add_format(parser: argparse.ArgumentParser, command: str) -> None:
    """``--format`` of ``command``, from :data:`FORMATS`."""
    forms = FORMATS[command]
    default = next(iter(forms))
    parser.add_argument("--format", choices=tuple(forms), default=default,
                        help="what standard output holds: " + "; ".join(f"{k}: {v}" for k, v in forms.items()))


def add_quiet(parser: argparse.ArgumentParser, what: str = "") -> None:
    """``--quiet``: no notes on stderr (the files written, progress); errors are always said."""
    parser.add_argument("--quiet", action="store_true",
                        help=f"say nothing on stderr but errors{what}: no progress, no list of the files written")


def requested_format(argv: Sequence[str]) -> str | None:
    """The ``--format`` an argument list asks for, read without parsing it (for an error in the
    arguments themselves): the value of the last ``--format`` (or an abbreviation of it)."""
    found = None
    args = list(argv)
    for i, arg in enumerate(args):
        if arg == "--":
            break
        name, eq, value = arg.partition("=")
        if len(name) >= 4 and "--format".startswith(name):
            if eq:
                found = value
            elif i + 1 < len(args):
                found = args[i + 1]
    return found


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default unless it says it already (a flag's is off)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if "default" in text or default in (None, argparse.SUPPRESS) or action.required or not action.option_strings:
            return text
        if isinstance(action, argparse._StoreTrueAction):
            return f"{text} (default off)"
        shown = ",".join(map(str, default)) if isinstance(default, list | tuple) else str(default)
        return f"{text} (default {shown.replace('%', '%%')})"
