"""Every deliberate mistake in the model is caught by the suite's checks, or explained."""

from __future__ import annotations

import pytest

from . import mutation


@pytest.mark.slow
def test_every_mutant_is_killed_or_explained():
    equivalent = mutation.equivalent_mutants()
    assert len(mutation.CATALOGUE) >= 20
    unexplained = []
    for mutant in mutation.CATALOGUE:
        outcome = mutation.run(mutant)
        if outcome.killed_by:
            assert mutant.name not in equivalent, f"{mutant.name} is killed now: remove it from MUTANTS.md"
        elif mutant.name not in equivalent:
            unexplained.append(mutant.name)
    assert not unexplained, f"surviving mutants without an explanation in tests/MUTANTS.md: {unexplained}"


def test_every_mutant_still_applies_to_the_model():
    for mutant in mutation.CATALOGUE:
        mutation.load(mutant)


def test_a_mutant_of_the_stale_record_is_killed_by_the_claims():
    mutant = next(m for m in mutation.CATALOGUE if m.name == "nt35-never-stale")
    outcome = mutation.run(mutant, killers=(("claims", mutation.kill_by_claims),))
    assert outcome.killed_by and "recovery" in outcome.killed_by[0][1]
