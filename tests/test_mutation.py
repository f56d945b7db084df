"""Every deliberate mistake in the model is caught by the suite's checks, or explained.

The README's test command kills the first mutant of each class of tests/MUTANTS.md; every mutant
runs under ``pytest -m sweep``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from . import mutation


def classes() -> dict[str, list[str]]:
    """tests/MUTANTS.md's classes: the mutants listed under each, in order."""
    text = (Path(__file__).resolve().parent / "MUTANTS.md").read_text()
    section = text.split("\n## Classes\n", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): re.findall(r"`([^`]+)`", m.group(2))
            for m in re.finditer(r"^- ([a-z ]+): (.*)$", section, re.MULTILINE)}


def test_every_mutant_is_in_exactly_one_class():
    listed = [name for names in classes().values() for name in names]
    assert sorted(listed) == sorted(m.name for m in mutation.CATALOGUE)
    assert len(classes()) >= 5


def _killed(mutant: mutation.Mutant) -> bool:
    """Whether some check of the suite kills ``mutant``: the quickest checks first, and the first
    that kills it is enough."""
    killers = dict(mutation.KILLERS)
    return any(mutation.run(mutant, killers=((name, killers[name]),)).killed_by for name in ("counts", "oracle", "claims"))


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(classes()))
def test_the_first_mutant_of_each_class_is_killed(kind: str):
    mutant = next(m for m in mutation.CATALOGUE if m.name == classes()[kind][0])
    assert mutant.name not in mutation.equivalent_mutants()
    if not _killed(mutant):
        pytest.fail(f"{mutant.name} ({kind}) survives every check")


@pytest.mark.sweep
@pytest.mark.slow
@pytest.mark.parametrize("name", [m.name for m in mutation.CATALOGUE])
def test_every_mutant_is_killed_or_explained(name: str):
    # one test per mutant, so that pytest-xdist shares them out
    assert len(mutation.CATALOGUE) >= 20
    mutant = next(m for m in mutation.CATALOGUE if m.name == name)
    if _killed(mutant):
        assert name not in mutation.equivalent_mutants(), f"{name} is killed now: remove it from MUTANTS.md"
    else:
        assert name in mutation.equivalent_mutants(), f"a surviving mutant without an explanation in tests/MUTANTS.md: {name}"


def test_every_mutant_still_applies_to_the_model():
    for mutant in mutation.CATALOGUE:
        mutation.load(mutant)


def test_a_mutant_of_the_stale_record_is_killed_by_the_claims():
    mutant = next(m for m in mutation.CATALOGUE if m.name == "nt35-never-stale")
    outcome = mutation.run(mutant, killers=(("claims", mutation.kill_by_claims),))
    assert outcome.killed_by and "recovery" in outcome.killed_by[0][1]
