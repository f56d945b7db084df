"""leasecheck: model checking of DHCP lease logic.

Microsoft KB article Q130220 (a DHCP client whose active lease was deleted on a Windows NT 3.5
server can never renew) as a transition system: leasecheck finds NT 3.5's deadlock as a trace
and proves that NT 4.0's behaviour always recovers.

The public API is this page (``__all__``); docs/api.md walks through it.

>>> import leasecheck
>>> run = leasecheck.check(leasecheck.Config(variant="nt40", clients=2, addresses=2), properties=["recovery"])
>>> [(r.client, str(r.verdict)) for r in run.report.results]
[(0, 'holds'), (1, 'holds')]
>>> run.report.stats.states
4084
"""

from leasecheck.api import check, check_certificate, claims, conform, describe, replay
from leasecheck.checker.results import CheckResult, LoopFairness, Method, Report, Stats, Step, Trace
from leasecheck.checker.run import CheckOptions, CheckRun, run_check
from leasecheck.errors import ExitStatus, InternalError, LeasecheckError, UserError
from leasecheck.model.dhcp import Config
from leasecheck.model.values import VARIANTS
from leasecheck.properties.dhcp import PROPERTY_NAMES
from leasecheck.properties.spec import Verdict

__version__ = "0.2.0"

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
    "Report",
    "Stats",
    "Step",
    "Trace",
    "UserError",
    "Verdict",
    "__version__",
    "check",
    "check_certificate",
    "claims",
    "conform",
    "describe",
    "replay",
    "run_check",
]
