"""Unrolled paths: states ``x@0 .. x@k`` linked by steps, and their models read back as traces.

:class:`Unrolling` keeps one incremental :class:`~.solver.Solver` holding the initial state and
the steps added so far; the bounded searches (:mod:`.bmc`, :mod:`.liveness`) deepen it one step
at a time. :func:`trace_of` turns a model of the unrolling into a :class:`~leasecheck.checker.results.Trace`
(each step's command is found by applying the fired instance's commands with the reference
interpreter, so a trace's labels are the model's own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import z3

from leasecheck.checker.results import LoopFairness, Step, Trace
from leasecheck.checker.z3.solver import Timeout
from leasecheck.checker.z3.translate import State, Translator
from leasecheck.model import interp
from leasecheck.model.lang import System


@dataclass(frozen=True)
class SearchOutcome:
    """What a bounded search found: a trace, or none up to ``depth`` (``unknown`` says why Z3 stopped)."""

    trace: Trace | None
    depth: int
    unknown: str = ""


class Unrolling:
    """The paths of length ``depth`` from the initial state, deepened on demand."""

    def __init__(self, translator: Translator, timeout: Timeout = None,
                 start: Callable[[State], z3.BoolRef] | None = None, tag: str = ""):
        """Paths from the initial state, or from any state satisfying ``start``; ``tag`` names their constants."""
        self.tr = translator
        self.tag = tag
        self.solver = translator.solver(timeout)
        self.states: list[State] = [translator.state(f"{tag}0")]
        self.fires: list[tuple] = []
        self.solver.add(translator.initial(self.states[0]) if start is None else start(self.states[0]))

    @property
    def depth(self) -> int:
        return len(self.fires)

    def deepen(self) -> None:
        k = self.depth
        nxt = self.tr.state(f"{self.tag}{k + 1}")
        fire = self.tr.fire(f"{self.tag}{k}")
        self.solver.add(self.tr.step(self.states[k], nxt, fire))
        self.states.append(nxt)
        self.fires.append(fire)

    def path(self, length: int) -> tuple[list[tuple[int, ...]], list[tuple[str, tuple[int, ...]]]]:
        """The states and the fired (action, parameters) of the current model's path, cut after ``length`` steps."""
        model = self.solver.model()
        states = [self.tr.decode(model, xs) for xs in self.states[: length + 1]]
        fired = [self.tr.fired(model, f) for f in self.fires[:length]]
        return states, [(i.action, i.params) for i in fired]

    def trace(self, length: int, loop_start: int | None = None) -> Trace:
        """The path of the current model, cut after ``length`` steps."""
        return trace_of(self.tr.system, *self.path(length), loop_start)


def trace_of(system: System, states: list[tuple[int, ...]], fired: list[tuple[str, tuple[int, ...]]],
             loop_start: int | None = None) -> Trace:
    steps = [Step(None, (), "", states[0])]
    for n, (action, params) in enumerate(fired):
        label = ""
        for cmd in system.commands:
            if cmd.action == action and cmd.params == params and interp.apply(cmd, states[n]) == states[n + 1]:
                label = cmd.label
                break
        steps.append(Step(action, params, label, states[n + 1]))
    fairness = _fairness(system, steps, loop_start) if loop_start is not None else None
    return Trace(tuple(steps), loop_start, fairness)


def _fairness(system: System, steps: list[Step], loop_start: int) -> LoopFairness:
    taken_ids = {system.instance_of(s.action, s.params).index for s in steps[loop_start + 1:] if s.action}
    taken = tuple(str(system.instances[i]) for i in sorted(taken_ids) if system.instances[i].fair)
    disabled = []
    for inst in system.instances:
        if not inst.fair or inst.index in taken_ids:
            continue
        for pos in range(loop_start, len(steps) - 1):
            if inst.index not in interp.enabled_instances(system, steps[pos].state):
                disabled.append((str(inst), pos))
                break
    return LoopFairness(taken, tuple(disabled))
