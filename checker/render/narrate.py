"""What a step of a trace means in DHCP terms: the message sent, received or lost, and what changed.

Renderers (terminal text, charts) share this reading of a step, so they tell the same story.
"""

from __future__ import annotations

from dataclasses import dataclass

from leasecheck.checker.results import Step
from leasecheck.model.lang import System, render_value
from leasecheck.properties.model import Narration


@dataclass(frozen=True)
class Change:
    variable: str
    old: object
    new: object

    def __str__(self) -> str:
        return f"{self.variable} {_show(self.old)}→{_show(self.new)}"


@dataclass(frozen=True)
class MessageEvent:
    """A message crossing (or failing to cross) the network in one step."""

    client: int
    direction: str  # "to server" or "to client"
    message: str
    event: str  # "sent", "received", "lost", "discarded"

    def __str__(self) -> str:
        if self.direction == "to server":
            who = {"sent": f"client {self.client} → server", "received": f"server ← client {self.client}",
                   "lost": f"client {self.client} → server, lost", "discarded": f"server drops client {self.client}'s"}
        else:
            who = {"sent": f"server → client {self.client}", "received": f"client {self.client} ← server",
                   "lost": f"server → client {self.client}, lost", "discarded": f"client {self.client} discards"}
        return f"{who[self.event]}: {self.message}"


@dataclass(frozen=True)
class StepStory:
    events: tuple[MessageEvent, ...]
    changes: tuple[Change, ...]
    silent: bool  # a server action that consumed a message and answered nothing
    notes: tuple[str, ...] = ()  # what the step means to a person (timers, the error message)


def _show(v: object) -> str:
    return "none" if v is None else str(render_value(v))


def story(system: System, prev: tuple[int, ...], step: Step, narration: Narration | None = None) -> StepStory:
    """The step from ``prev``: messages sent, received or lost, the variables changed, and the
    notes the model's ``narration`` gives (what the action stands for, what a change shows)."""
    changes = []
    events = []
    for v, old, new in zip(system.variables, prev, step.state, strict=True):
        if old == new:
            continue
        ov, nv = v.domain.values[old], v.domain.values[new]
        changes.append(Change(v.name, ov, nv))
        if v.group in ("to_srv", "to_cli") and v.key is not None:
            direction = "to server" if v.group == "to_srv" else "to client"
            if ov is None:
                events.append(MessageEvent(v.key, direction, _show(nv), "sent"))
            else:
                if step.action in ("LoseToServer", "LoseToClient"):
                    kind = "lost"
                elif step.action == "Discard":
                    kind = "discarded"
                else:
                    kind = "received"
                events.append(MessageEvent(v.key, direction, _show(ov), kind))
                if nv is not None:
                    events.append(MessageEvent(v.key, direction, _show(nv), "sent"))
    events.sort(key=lambda e: e.event == "sent")  # what arrives or is lost, then what is sent
    serve = step.action in ("ServeDiscover", "ServeRequest")
    answered = any(e.direction == "to client" and e.event == "sent" for e in events)
    narration = narration or Narration()
    meaning = narration.meaning(step.action)
    notes = [meaning] if meaning else []
    for v, old, new in zip(system.variables, prev, step.state, strict=True):
        if old != new:
            shown = narration.shown(v.group, v.domain.values[new])
            if shown:
                notes.append(shown.format(key=v.key))
    return StepStory(tuple(events), tuple(changes), serve and not answered, tuple(notes))
