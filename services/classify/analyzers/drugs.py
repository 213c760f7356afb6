"""Medicines named in a text, out of the box: the drug lexicon packed by `ml/drugs.py`, as an Aho-Corasick automaton
(pyahocorasick, C; built in about 25 ms on first use) searched once over the lower-cased text in microseconds.

A match must stand as a word (no letter or digit on either side). A name that is also an ordinary word or a common
first name ("focus", "molly", "heather") is *guarded*: it counts only with a medicine cue beside it ("took my",
"50mg", "prescribed", "pills"). Words that refer to a medicine without naming it ("your pill", "my meds", "this
medication") are found too, as kind `reference`: on a pharma brand's channel "your pill" is its product.

Each term's value packs `canonical index << 10 | length << 4 | kind << 1 | guarded` into one integer.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from shared.events import ProductMatch

KINDS: tuple[ProductMatch, ...] = ("generic", "brand", "name", "misspelling")
MAX_LENGTH = 60
_LENGTH_BITS, _KIND_BITS = 6, 3

# Beside a guarded name (two words either side), these make it a medicine ("molly pills", "lithium 300mg").
_CUE_WORDS = frozenset(
    """
    mg mcg ml dose doses dosage pill pills tablet tablets capsule capsules meds medication medications medicine
    medicines prescription prescriptions script refill refills pharmacy pharmacist overdose overdosed
    """.split()
)
CUE_WINDOW = 2
# Right before a guarded name, a verb of taking one ("took some molly", "prescribed lithium", "I'm on lithium").
_TAKING = re.compile(
    r"(?:\b(?:took|take|takes|taking|taken|popped|popping|pop|prescribed|started|starting|stopped|stopping|quit|"
    r"snorted|swallowed|overdosed)|\b(?:i'm|im|i am|been|was|is|he's|she's) on)"
    r"(?:\s+(?:a|an|my|some|more|less|his|her|their|\d+))?\s+$"
)
_DOSE = re.compile(r"\d+\s?(?:mg|mcg|ml|µg)\b")
_WORD = re.compile(r"[a-z0-9µ]+")
# A medicine referred to without its name.
REFERENCE = re.compile(
    r"(?<![\w-])(?:(?:your|ur|my|this|that|the|these|those|their|his|her|a|one|higher|lower|full|half|first|second)\s+"
    r"(?:new\s+|current\s+|old\s+|higher\s+|lower\s+)?(?:\d+(?:\.\d+)?\s?(?:mg|mcg|ml)\s+)?"  # "the 30 mg tablet"
    r"(?:pills?|meds|medications?|medicines?|tablets?|capsules?|prescriptions?|drugs?|vaccines?|jabs?|injections?"
    r"|doses?|dosage|inhalers?|antibiotics|antidepressants?|painkillers?|pain\s+killers?|birth\s+control"
    r"|contraceptives?)"
    # Without a determiner, only the words that always mean a medicine ("meds made me dizzy", "an increase in dose").
    r"|meds|medications?|antidepressants?|antibiotics|painkillers?|ssris?|snris?|doses?|dosage)(?![\w-])",
    re.IGNORECASE,
)


def pack(canonical: int, length: int, kind: int, guarded: bool) -> int:
    return (canonical << (_LENGTH_BITS + _KIND_BITS + 1)) | (length << (_KIND_BITS + 1)) | (kind << 1) | int(guarded)


def unpack(value: int) -> tuple[int, int, int, bool]:
    guarded = bool(value & 1)
    kind = (value >> 1) & ((1 << _KIND_BITS) - 1)
    length = (value >> (_KIND_BITS + 1)) & ((1 << _LENGTH_BITS) - 1)
    return value >> (_LENGTH_BITS + _KIND_BITS + 1), length, kind, guarded


@dataclass(frozen=True)
class DrugMention:
    text: str  # as written
    drug: str | None  # canonical (generic) name; None for a reference ("your pill")
    match: ProductMatch
    start: int
    end: int


def _fold(text: str) -> str:
    """Lower case of the compatibility form, one character for one (so offsets stay those of the text)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return folded if len(folded) == len(text) else text.lower()


def _cued(folded: str, start: int, end: int) -> bool:
    before = folded[max(0, start - 40) : start]
    if _TAKING.search(before) or _DOSE.match(folded[end : end + 12].lstrip()):
        return True
    near = _WORD.findall(before)[-CUE_WINDOW:] + _WORD.findall(folded[end : end + 40])[:CUE_WINDOW]
    return bool(_CUE_WORDS.intersection(near))


class DrugLexicon:
    def __init__(self, automaton: Any, canonical: list[str]) -> None:
        self._automaton = automaton
        self._canonical = canonical

    @classmethod
    def load(cls, folder: Path) -> DrugLexicon:
        import ahocorasick  # noqa: PLC0415 - imported when the lexicon is first needed, not at import

        document = json.loads((folder / "drugs.json").read_text(encoding="utf-8"))
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for term, value in document["terms"]:
            automaton.add_word(term, value)
        automaton.make_automaton()
        return cls(automaton, list(document["canonical"]))

    def canonical(self, name: str) -> str | None:
        """The generic name behind a name ("Zoloft" -> "sertraline"), if the lexicon knows it."""
        folded = " ".join(_fold(name).split())
        if not folded:
            return None
        value = self._automaton.get(folded, None)
        return None if value is None else self._canonical[unpack(value)[0]]

    def find(self, text: str) -> list[DrugMention]:
        folded = _fold(text)
        candidates = []
        for end, value in self._automaton.iter(folded):
            index, length, kind, guarded = unpack(value)
            start = end + 1 - length
            if (start > 0 and folded[start - 1].isalnum()) or (end + 1 < len(folded) and folded[end + 1].isalnum()):
                continue
            if guarded and not _cued(folded, start, end + 1):
                continue
            candidates.append((start, end + 1, index, KINDS[kind]))
        found: list[DrugMention] = []
        taken_until = -1
        for first, last, index, how in sorted(candidates, key=lambda c: (c[0], -c[1])):
            if first >= taken_until:  # the longest name wins where names overlap ("oxycodone er" over "oxycodone")
                found.append(DrugMention(text[first:last], self._canonical[index], how, first, last))
                taken_until = last
        for match in REFERENCE.finditer(text):
            if all(match.end() <= m.start or match.start() >= m.end for m in found):
                found.append(DrugMention(match.group(), None, "reference", match.start(), match.end()))
        return sorted(found, key=lambda m: m.start)


@cache
def shipped(folder: Path) -> DrugLexicon:
    return DrugLexicon.load(folder)
