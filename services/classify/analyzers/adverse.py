"""Suspected adverse events, for pharma and other regulated brands.

Pharmacovigilance needs four things for a valid report: an identifiable patient, an identifiable reporter, a
suspect product and an adverse event. This module reports which of the four a message carries:
- product: a name from the brand's configured product dictionary (brand and generic names), or the product the
  account is about when every mention concerns one product;
- event: a symptom from the lexicon below, or the adverse-drug-reaction model (trained on PsyTAR patient reviews)
  recognising a described reaction;
- patient: first-person experience ("I", "my") or a named relative ("my son");
- reporter: the author, when the platform identifies them.
A message with a product, an event and a patient is a suspected adverse event and goes to the safety queue.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from shared.events import AdverseEventCriteria

# Lay terms for reactions patients describe (English first; common Spanish, French, German and Italian ones).
SYMPTOMS: tuple[str, ...] = (
    "nausea", "nauseous", "nauseated", "vomiting", "throwing up", "threw up", "dizzy", "dizziness", "lightheaded",
    "vertigo", "headache", "headaches", "migraine", "migraines", "insomnia", "can't sleep", "couldn't sleep",
    "cannot sleep", "trouble sleeping", "sleepless", "drowsy", "drowsiness", "sleepy", "fatigue", "fatigued",
    "exhausted", "exhaustion", "tired all the time", "weight gain", "gained weight", "put on weight", "weight loss",
    "lost weight", "loss of appetite", "no appetite", "increased appetite", "dry mouth", "sweating", "night sweats",
    "sweats", "tremor", "tremors", "shaking", "shaky", "jittery", "anxiety", "anxious", "panic attack",
    "panic attacks", "agitation", "agitated", "irritable", "irritability", "mood swings", "suicidal",
    "suicidal thoughts", "thoughts of suicide", "self harm", "numb", "numbness", "emotionally flat",
    "emotional blunting", "zombie", "brain fog", "foggy", "memory loss", "confusion", "confused", "diarrhea",
    "diarrhoea", "constipation", "stomach ache", "stomach pain", "stomach cramps", "cramps", "bloating", "rash",
    "itching", "itchy", "hives", "hair loss", "blurred vision", "blurry vision", "palpitations",
    "heart racing", "racing heart", "chest pain", "high blood pressure", "low libido", "no libido",
    "loss of libido", "sex drive", "erectile dysfunction", "anorgasmia", "yawning", "jaw clenching",
    "teeth grinding", "brain zaps", "brain shivers", "restless legs", "muscle pain", "muscle aches", "joint pain",
    "fainted", "fainting", "passed out", "seizure", "seizures", "bleeding", "bruising", "nightmares",
    "vivid dreams", "hallucinations", "hallucinating", "swelling", "swollen", "shortness of breath",
    "trouble breathing", "allergic reaction", "side effect", "side effects", "withdrawal", "withdrawals",
    "náuseas", "mareo", "mareos", "dolor de cabeza", "insomnio", "efectos secundarios", "nausée", "nausées",
    "vertiges", "maux de tête", "effets secondaires", "übelkeit", "schwindel", "kopfschmerzen", "nebenwirkungen",
    "nausea", "vertigini", "mal di testa", "effetti collaterali",
)  # fmt: skip
PATIENT = re.compile(
    r"\b(?:i|i'm|i've|i'd|im|me|my|myself|mine|yo|me|mi|je|j'ai|moi|ich|mir|mich|mein|meine|io|mio|mia|eu|meu|minha)\b"
    r"|\bmy\s+(?:son|daughter|child|kid|kids|baby|wife|husband|partner|mom|mum|mother|dad|father|brother|sister"
    r"|grandma|grandmother|grandpa|grandfather|friend|boyfriend|girlfriend)\b",
    re.IGNORECASE,
)
_SYMPTOM = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(s) for s in sorted(set(SYMPTOMS), key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ProductDictionary:
    names: tuple[str, ...] = ()
    assumed: str | None = None  # the one product an account is about, when every mention concerns it

    def find(self, text: str) -> str | None:
        for name in self.names:
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE):
                return name
        return self.assumed


# Words that, within three words before a symptom, deny it ("no side effects", "I had no nausea").
NEGATORS = frozenset(
    """
    no not never without zero none nor didn't don't doesn't haven't hasn't hadn't wasn't weren't isn't aren't
    free sin ningún ninguna sans aucun aucune pas kein keine keinen ohne nie senza nessun nessuna sem nenhum nenhuma
    """.split()
)
# Words that name a reaction only when the reaction model agrees ("Zoloft helps my anxiety" is an indication,
# "I'm confused about my refill" is not a symptom).
AMBIGUOUS = frozenset(
    {
        "anxiety", "anxious", "confused", "confusion", "tired all the time", "numb", "numbness", "sleepy", "foggy",
        "agitated", "irritable", "side effect", "side effects", "withdrawal", "withdrawals", "efectos secundarios",
        "effets secondaires", "nebenwirkungen", "effetti collaterali", "cramps", "shaky", "jittery", "sweats",
    }
)  # fmt: skip
_WORDS = re.compile(r"[\w']+")


def symptoms(text: str) -> list[str]:
    """Symptoms the text names and does not deny."""
    found = []
    for match in _SYMPTOM.finditer(text):
        before = _WORDS.findall(text[max(0, match.start() - 40) : match.start()].lower())[-3:]
        if not NEGATORS.intersection(before):
            found.append(match.group().lower())
    return list(dict.fromkeys(found))


def assess(
    text: str,
    *,
    adr_probability: float,
    adr_threshold: float,
    products: ProductDictionary,
    reporter_known: bool,
) -> tuple[bool, AdverseEventCriteria]:
    named = symptoms(text)
    events: Sequence[str] = [s for s in named if s not in AMBIGUOUS or adr_probability >= adr_threshold]
    if not events and adr_probability >= adr_threshold:
        events = ["adverse reaction described"]
    criteria = AdverseEventCriteria(
        patient=bool(PATIENT.search(text)),
        reporter=reporter_known,
        product=products.find(text),
        events=tuple(events),
        reaction_score=round(adr_probability, 3),
    )
    suspected = bool(criteria.product and criteria.events and criteria.patient)
    return suspected, criteria
