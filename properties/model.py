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
  configuration), ``parameters`` (the configuration as name/value pairs, for JSON), and
  ``narration`` (what the model's actions stand for, and which variable groups a step's list of
  changes leaves out);
* ``config``: the configuration the model was built from, opaque here; only the model's own
  tools (its trace files, its certificates) read it.

A model's builder (:func:`leasecheck.properties.dhcp.dhcp_model` for DHCP) makes one; the
front ends build it once per configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leasecheck.model.lang import Sort, System
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
