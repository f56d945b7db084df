"""The conformance scenarios as data: each is a sequence of the model's environment actions and the
harness operations that perform them on real daemons.

A scenario is written once. ``model_actions`` names what the administrator, the network or the
client's owner does in the model (``AdminDelete``, ``AdminRestart``, ``LoseToServer``,
``LoseToClient``, ``Reboot``; the client's own timers are left to the model). ``steps`` are the
runner's operations, in order (:data:`OPERATIONS` says what each does to the daemons). The
budgets (``losses``, ``restart``) are what the validation of the capture allows the model: a
scenario that drops messages on purpose needs a loss budget, one that restarts the server needs
``AdminRestart``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What each harness operation does; the runner implements exactly these names.
OPERATIONS: dict[str, str] = {
    "delete": "the running server forgets the client's active lease (its own delete command; udhcpd, "
              "which has none, is stopped, its lease file emptied and started again)",
    "renew": "the client renews now (SIGUSR1 to udhcpc, dhcpcd -N); other clients renew at T1",
    "stop-server": "the server is stopped (SIGTERM): every message to it is lost until it starts again",
    "wipe-leases": "the stopped server's lease files are emptied (the lease table is lost)",
    "start-server": "the server is started again from its lease files",
    "await-rebinding": "wait until the client broadcasts a rebinding REQUEST (T2)",
    "reboot-client": "the client is killed (SIGKILL, as a power cut), its address removed, and started "
                     "again with the lease files it kept",
    "drop-answers": "the client's namespace drops every packet from port 67 (netfilter INPUT): the server's "
                    "answers reach the wire, and the capture, but not a client reading a UDP socket",
    "await-answer": "wait until the server's answer to the client's request is on the wire",
    "pass-answers": "the drop rule is removed",
}


@dataclass(frozen=True)
class MatrixScenario:
    name: str
    title: str
    model_actions: tuple[str, ...]
    steps: tuple[str, ...]
    losses: int = 0  # messages the model may lose when the capture is validated
    restart: bool = False  # the model may restart the server (AdminRestart)
    has_delete: bool = True  # the run marks the moment of a delete in the capture
    #: the harness itself loses messages (a stopped server, a drop rule): a variant that needs those
    #: losses is as good an explanation as one that needs none
    planned_losses: bool = False

    def __post_init__(self) -> None:
        unknown = [s for s in self.steps if s not in OPERATIONS]
        if unknown:
            raise ValueError(f"scenario {self.name}: unknown harness operations {unknown}")


SCENARIOS: tuple[MatrixScenario, ...] = (
    MatrixScenario(
        "delete-renew", "the KB scenario: the active lease deleted, then the client renews",
        ("AdminDelete",), ("delete", "renew"), losses=1),
    MatrixScenario(
        "delete-rebind", "the lease deleted and the server down until the client rebinds (at T2)",
        ("AdminDelete", "LoseToServer", "AdminRestart"),
        ("delete", "stop-server", "await-rebinding", "start-server"), losses=4, restart=True, planned_losses=True),
    MatrixScenario(
        "restart-lost", "the lease table lost and the server restarted, then the client renews",
        ("AdminDelete", "AdminRestart"), ("stop-server", "wipe-leases", "start-server", "renew"),
        losses=1, restart=True),
    MatrixScenario(
        "reboot-after-delete", "the lease deleted, then the client reboots (INIT-REBOOT)",
        ("AdminDelete", "Reboot"), ("delete", "reboot-client"), losses=1),
    MatrixScenario(
        "lost-ack", "the server's answer to a renewal lost on the way to the client",
        ("LoseToClient",), ("drop-answers", "renew", "await-answer", "pass-answers"),
        losses=2, has_delete=False, planned_losses=True),
)

SCENARIO_NAMES = tuple(s.name for s in SCENARIOS)


def scenario(name: str) -> MatrixScenario:
    for s in SCENARIOS:
        if s.name == name:
            return s
    raise KeyError(name)
