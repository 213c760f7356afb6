"""Every mutant `make mutate` plants must still apply: when the code it targets changes, update its snippet in
tools/mutants.py (so the mutant keeps guarding that behaviour) instead of letting it silently go stale."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tools.mutants import MUTANTS, Mutant


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_the_mutant_still_applies(mutant: Mutant) -> None:
    text = (ROOT / mutant.path).read_text(encoding="utf-8")
    assert text.count(mutant.original) == 1, f"{mutant.name}: update its snippet in tools/mutants.py"
    assert mutant.original != mutant.mutated


def test_mutant_names_are_unique() -> None:
    assert len({m.name for m in MUTANTS}) == len(MUTANTS)
