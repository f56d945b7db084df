"""leasecheck: model checking of DHCP lease logic.

Microsoft KB article Q130220 (a DHCP client whose active lease was deleted on a Windows NT 3.5
server can never renew) as a transition system: leasecheck finds NT 3.5's deadlock as a trace
and proves that NT 4.0's behaviour always recovers.

The public API is this page (``__all__``); docs/api.md walks through it. The names are loaded
on first use, so that ``import leasecheck`` is quick and a command line can set up its signal
handling before anything heavy is imported.

>>> import leasecheck
>>> run = leasecheck.check(leasecheck.Config(variant="nt40", clients=2, addresses=2), properties=["recovery"])
>>> [(r.client, str(r.verdict)) for r in run.report.results]
[(0, 'holds'), (1, 'holds')]
>>> run.report.stats.states
4084
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leasecheck.api import (
        chart_text,
        check,
        check_certificate,
        claims,
        conform,
        describe,
        draw_chart,
        narrate,
        prove,
        recovery_after_delete,
        render_text,
        render_trace,
        replay,
        run_check,
        write_trace,
    )
    from leasecheck.checker.results import CheckResult, LoopFairness, Method, Report, Stats, Step, Trace
    from leasecheck.checker.run import CheckOptions, CheckRun
    from leasecheck.errors import ExitStatus, InternalError, LeasecheckError, UserError
    from leasecheck.model.dhcp import Config
    from leasecheck.model.policy import Policy, policy_space
    from leasecheck.model.values import VARIANTS
    from leasecheck.properties.dhcp import PROPERTY_NAMES
    from leasecheck.properties.spec import Verdict

from leasecheck.version import __version__

#: where each public name lives
_HOMES = {
    "check": "leasecheck.api",
    "check_certificate": "leasecheck.api",
    "claims": "leasecheck.api",
    "conform": "leasecheck.api",
    "describe": "leasecheck.api",
    "replay": "leasecheck.api",
    "chart_text": "leasecheck.api",
    "draw_chart": "leasecheck.api",
    "narrate": "leasecheck.api",
    "prove": "leasecheck.api",
    "recovery_after_delete": "leasecheck.api",
    "render_text": "leasecheck.api",
    "render_trace": "leasecheck.api",
    "write_trace": "leasecheck.api",
    "CheckResult": "leasecheck.checker.results",
    "LoopFairness": "leasecheck.checker.results",
    "Method": "leasecheck.checker.results",
    "Report": "leasecheck.checker.results",
    "Stats": "leasecheck.checker.results",
    "Step": "leasecheck.checker.results",
    "Trace": "leasecheck.checker.results",
    "CheckOptions": "leasecheck.checker.run",
    "CheckRun": "leasecheck.checker.run",
    "run_check": "leasecheck.api",
    "ExitStatus": "leasecheck.errors",
    "InternalError": "leasecheck.errors",
    "LeasecheckError": "leasecheck.errors",
    "UserError": "leasecheck.errors",
    "Config": "leasecheck.model.dhcp",
    "Policy": "leasecheck.model.policy",
    "policy_space": "leasecheck.model.policy",
    "VARIANTS": "leasecheck.model.values",
    "PROPERTY_NAMES": "leasecheck.properties.dhcp",
    "Verdict": "leasecheck.properties.spec",
}

__all__ = [
    "PROPERTY_NAMES",
    "VARIANTS",
    "CheckOptions",
    "CheckResult",
    "CheckRun",
    "Config",
    "ExitStatus",
    "InternalError",
    "LeasecheckError",
    "LoopFairness",
    "Method",
    "Policy",
    "Report",
    "Stats",
    "Step",
    "Trace",
    "UserError",
    "Verdict",
    "__version__",
    "chart_text",
    "check",
    "check_certificate",
    "claims",
    "conform",
    "policy_space",
    "describe",
    "draw_chart",
    "narrate",
    "prove",
    "recovery_after_delete",
    "render_text",
    "render_trace",
    "replay",
    "run_check",
    "write_trace",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'leasecheck' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
