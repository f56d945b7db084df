"""The model as every engine reads it: one traced system, its properties, and its own words.

A :class:`Model` is the seam between a model (the DHCP lease system, or any other written in
:mod:`leasecheck.model.lang`) and everything generic: the engines, replay, symmetry reduction,
comparison and the renderers of reports read a :class:`Model` and nothing model-specific. It
holds, as data:

* ``system``: the traced system, whose :attr:`~leasecheck.model.lang.System.sorts` are the
  symmetry groups the model declares (the variable groups indexed by each sort of ids);
* ``catalogue``, ``properties`` and ``defaults``: every property name the model offers with its
  statement, every property instance that makes sense for this configuration (each carrying
  its own wording), the names checked when none are given, and ``refused``: the names that do
  not apply here, with the reason (the system and the properties are traced on first use:
  ``trace`` and ``instances`` are the model's own tracers);
* ``description`` (one line for a report's head), ``title`` (a short name of the
  configuration), ``parameters`` (the configuration as name/value pairs, for JSON),
  ``settings`` (the same as a reader's table of texts, for ``leasecheck describe``), and
  ``narration`` (what the model's actions stand for, and which variable groups a step's list of
  changes leaves out);
* ``config``: the configuration the model was built from: a dataclass whose fields are the
  parameters; a trace file records it and reads it back through the model's ``family``;
* ``disruption``: the disruption after which the model measures recovery, if it names one
  (:mod:`leasecheck.checker.explicit.timeline` reads it).

A :class:`ModelFamily` is every configuration of one model: the configuration's class and the
builder of a model from one (for DHCP, :data:`leasecheck.properties.dhcp.DHCP`), which is how a
trace file's recorded configuration becomes a model again, and the model's first-order side
(:class:`~leasecheck.properties.firstorder.FirstOrder`), which the all-sizes prover and its
certificate kernel read. A model's builder
(:func:`leasecheck.properties.dhcp.dhcp_model` for DHCP) makes one; the front ends build it once
per configuration.

The ids a per-id property speaks of (``Property.client``) are ids of the model's first sort.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from leasecheck.model.lang import Sort, System
from leasecheck.properties.firstorder import FirstOrder
from leasecheck.properties.spec import Property, PropertyError, PropertyInfo


@dataclass(frozen=True)
class Narration:
    """What a model tells a reader about a step: ``meanings`` of actions (action name, what it
    stands for), the variable groups (``quiet``) a step's list of changes leaves out because the
    story tells them otherwise (messages sent and received), and ``signs``: what a person sees
    when a variable takes a value."""

    meanings: tuple[tuple[str, str], ...] = ()
    quiet: tuple[str, ...] = ()
    #: (variable group, value, note): the note a step gets when a variable of the group takes
    #: the value; ``{key}`` in the note is the variable's index
    signs: tuple[tuple[str, Any, str], ...] = ()

    def meaning(self, action: str | None) -> str | None:
        return dict(self.meanings).get(action) if action is not None else None

    def shown(self, group: str, value: Any) -> str | None:
        return next((note for g, v, note in self.signs if g == group and v == value), None)


@dataclass(frozen=True)
class Disruption:
    """A disruption after which a model measures how a participant recovers.

    ``action`` disrupts, and its instance labelled ``label`` (``{key}``: the participant's id)
    hits the participant; the participant has recovered when the goal of its instance of the
    property ``goal`` holds again. ``counted``: the actions of the participant a recovery is
    counted in; ``answers``: the actions whose label tells how the other side answered.
    ``refused``: why this configuration has no such disruption ("" when it has); ``never``: what
    is said when no run gets back.
    """

    action: str
    label: str
    goal: str
    counted: tuple[str, ...]
    answers: tuple[str, ...] = ()
    refused: str = ""
    #: the answer when no run gets back to the goal
    never: str = "never: no run of the model's own actions gets back to the goal"


@dataclass(frozen=True, eq=False)
class Model:
    """One configuration of a model, as the engines and renderers read it (see the module).

    Tracing the system and its properties can take long for a large configuration, so a model
    is built cheaply and traces on first use (``trace`` makes the system, ``instances`` one
    property name's instances), inside the engine that asks and so within its run's budget;
    each is traced once per model.
    """

    trace: Callable[[], System]
    instances: Callable[[System, str], Sequence[Property]]
    catalogue: tuple[PropertyInfo, ...]
    defaults: tuple[str, ...]
    description: str
    title: str
    parameters: tuple[tuple[str, Any], ...] = ()
    refused: tuple[tuple[str, str], ...] = ()
    narration: Narration = Narration()
    config: Any = None
    disruption: Disruption | None = None
    family: ModelFamily | None = None
    #: the configuration as a reader's table, name and text (``leasecheck describe`` shows it);
    #: empty: :attr:`parameters`, each value as text
    settings: tuple[tuple[str, str], ...] = ()
    _traced: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @property
    def system(self) -> System:
        """The traced system (traced on first use)."""
        if "" not in self._traced:
            self._traced[""] = self.trace()
        system: System = self._traced[""]
        return system

    @property
    def name(self) -> str:
        return self.system.name

    @property
    def sorts(self) -> tuple[Sort, ...]:
        """The symmetry the model declares: its sorts of interchangeable ids and the variable
        groups each indexes (the system's own declaration)."""
        return self.system.sorts

    @property
    def ids(self) -> int:
        """How many ids a per-id property may speak of: the size of the first sort (0 without one)."""
        return self.sorts[0].size if self.sorts else 0

    @property
    def names(self) -> tuple[str, ...]:
        """Every property name the model offers, in its catalogue's order."""
        return tuple(p.name for p in self.catalogue)

    @property
    def properties(self) -> tuple[Property, ...]:
        """Every property instance that applies to this configuration, name by name."""
        refused = dict(self.refused)
        return tuple(p for n in self.names if n not in refused for p in self._of(n))

    def info(self, name: str) -> PropertyInfo:
        for p in self.catalogue:
            if p.name == name:
                return p
        raise PropertyError(f"unknown property {name!r}; choose from {', '.join(self.names)}")

    def select(self, names: Sequence[str] | None = None) -> list[Property]:
        """The named properties (default: :attr:`defaults`), each name's instances in order;
        :class:`PropertyError` for a name the model does not offer or that does not apply."""
        chosen = list(dict.fromkeys(names)) if names else list(self.defaults)
        for n in chosen:
            self.info(n)
        refused = dict(self.refused)
        for n in chosen:
            if n in refused:
                raise PropertyError(refused[n])
        return [p for n in chosen for p in self._of(n)]

    def __getstate__(self) -> dict[str, Any]:
        """A model crosses to another process without what it traced (it traces again there)."""
        return {**self.__dict__, "_traced": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def _of(self, name: str) -> tuple[Property, ...]:
        key = f"property {name}"
        if key not in self._traced:
            self._traced[key] = tuple(self.instances(self.system, name))
        found: tuple[Property, ...] = self._traced[key]
        return found


@dataclass(frozen=True)
class ModelFamily:
    """Every configuration of one model: ``config``, the configuration's class (a dataclass, one
    field per parameter, that raises a :class:`~leasecheck.errors.UserError` for values it does not
    define), and ``build``, the model of one configuration. ``added``: parameters added after
    files recording the configuration were first written; a file may leave them out, and then
    they take their defaults. ``first_order``: what the all-sizes prover reads of the model
    (:mod:`leasecheck.properties.firstorder`), None for a model it does not prove. ``noun``: what
    the family's models are, in words ("the DHCP lease model"; empty: "the NAME model")."""

    name: str
    config: type
    build: Callable[[Any], Model]
    added: tuple[str, ...] = ()
    first_order: FirstOrder | None = None
    noun: str = ""

    @property
    def called(self) -> str:
        """The family's models in words: :attr:`noun`, or "the NAME model"."""
        return self.noun or f"the {self.name} model"

    @property
    def parameters(self) -> tuple[str, ...]:
        """The parameters' names, in the configuration's field order."""
        return tuple(f.name for f in fields(self.config))
