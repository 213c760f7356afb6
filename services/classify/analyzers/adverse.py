"""Suspected adverse events, out of the box and for pharma and other regulated brands.

Pharmacovigilance needs four things for a valid report: an identifiable patient, an identifiable reporter, a
suspect product and an adverse event. This module reports which of the four a message carries:
- product: any medicine the drug lexicon recognises (generic, brand or other name, misspelling; see `drugs.py`), a
  medicine referred to without its name ("your pill", "my meds"), a name from the brand's configured products, or
  the product the account is about when every mention concerns one product. The brand's products do not narrow
  detection (a pharma brand's channels carry competitors' names, generics, misspellings and slang); they say
  whether the product is the brand's own, which routing uses;
- event: a symptom from the lexicon below, or the adverse-drug-reaction model (trained on PsyTAR patient reviews)
  recognising a described reaction; a symptom named as what the medicine is for ("advil for my headache") is an
  indication, not an event;
- patient: first-person experience ("I", "my") or a named relative ("my son");
- reporter: the author, when the platform identifies them.
A message with a product, an event and a patient is a suspected adverse event and goes to the safety queue.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.classify.analyzers.drugs import DrugLexicon, DrugMention
from shared.events import AdverseEventCriteria, ProductMatch

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
    "fainted", "fainting", "passed out", "seizure", "seizures", "convulsions", "throw up", "puking", "upset stomach",
    "knocked me out", "bleeding", "bruising", "nightmares",
    "vivid dreams", "hallucinations", "hallucinating", "swelling", "swollen", "shortness of breath",
    "trouble breathing", "allergic reaction", "allergic reactions", "side effect", "side effects", "withdrawal",
    "withdrawals",
    "náuseas", "mareo", "mareos", "dolor de cabeza", "insomnio", "efectos secundarios", "nausée", "nausées",
    "vertiges", "maux de tête", "effets secondaires", "übelkeit", "schwindel", "kopfschmerzen", "nebenwirkungen",
    "nausea", "vertigini", "mal di testa", "effetti collaterali",
    # Reactions as clinicians and pharmacovigilance reports name them (what a patient quotes from a doctor or a
    # leaflet, and what case reports say).
    "toxicity", "hepatotoxicity", "nephrotoxicity", "ototoxicity", "neurotoxicity", "cardiotoxicity",
    "hepatitis", "liver damage", "liver failure", "liver injury", "jaundice", "cholestasis", "pancreatitis",
    "renal failure", "kidney failure", "kidney damage", "kidney injury", "nephritis", "rhabdomyolysis", "myopathy",
    "myositis", "neuropathy", "peripheral neuropathy", "myoclonus", "dystonia", "dyskinesia", "tardive dyskinesia",
    "akathisia", "parkinsonism", "serotonin syndrome", "neuroleptic malignant syndrome", "delirium", "psychosis",
    "mania", "hypomania", "encephalopathy", "stroke", "arrhythmia", "bradycardia", "tachycardia",
    "qt prolongation", "torsades de pointes", "cardiomyopathy", "heart failure", "hypotension", "hypertension",
    "hypoglycemia", "hypoglycaemia", "hyperglycemia", "hyperglycaemia", "hyponatremia", "hyponatraemia",
    "hyperkalemia", "hyperkalaemia", "hypokalemia", "lactic acidosis", "acidosis", "anaphylaxis",
    "anaphylactic", "angioedema", "urticaria", "dermatitis", "eruption", "exanthema", "stevens-johnson syndrome",
    "toxic epidermal necrolysis", "photosensitivity", "alopecia", "vasculitis", "thrombosis", "embolism",
    "hemorrhage", "haemorrhage", "thrombocytopenia", "neutropenia", "agranulocytosis", "leukopenia",
    "pancytopenia", "anemia", "anaemia", "hemolysis", "haemolysis", "aplastic anemia", "pneumonitis",
    "pulmonary fibrosis", "osteonecrosis", "hearing loss", "tinnitus", "lupus", "edema", "oedema", "coma",
    "respiratory depression", "bronchospasm", "hiccups", "priapism", "gynecomastia",
    # What patients' reviews (PsyTAR train) say beside the words above.
    "sexual dysfunction", "sexual side effects", "sleeplessness", "not slept", "haven't slept", "hadn't slept",
    "gassy", "muscle spasms", "spasms", "tingling", "crying spells", "dry skin", "clenching", "blurry",
    "sleeping all day", "sleeping all the time", "in bed all day", "negative effects", "bad reaction",
    "strange reaction", "weird reaction", "reaction",
)  # fmt: skip
PATIENT = re.compile(
    r"\b(?:i|i'm|i've|i'd|im|me|my|myself|mine|yo|me|mi|je|j'ai|moi|ich|mir|mich|mein|meine|io|mio|mia|eu|meu|minha)\b"
    # A patient described by age or sex, as reporters and case reports do ("a 45-year-old woman", "our patient").
    r"|\b\d+[- ](?:year|month|week|day)s?[- ]old\b"
    r"|\b(?:a|an|our|this|the|one)\s+(?:(?:young|elderly|pregnant|male|female)\s+)?"
    r"(?:patient|man|woman|boy|girl|child|infant|neonate|newborn|adolescent|teenager)\b|\bcases? of\b"
    r"|\b(?:two|three|four|five|six|seven|eight|nine|ten|\d+)\s+(?:patients|cases|children|women|men)\b"
    # A particular other person ("she broke out in hives after the jab"): the reporter can say who.
    r"|\b(?:he|she|him|her|his|he's|she's)\b"
    r"|\bmy\s+(?:son|daughter|child|kid|kids|baby|wife|husband|partner|mom|mum|mother|dad|father|brother|sister"
    r"|grandma|grandmother|grandpa|grandfather|friend|boyfriend|girlfriend)\b",
    re.IGNORECASE,
)
# A report about people in general ("people", "patients", "you"): no identifiable patient. A post that names nobody
# ("drowsy from too much Piriton", "Severe nausea since the higher dose") is the author's own experience.
OTHERS = re.compile(
    r"\b(?:they|them|their|people|patients|everyone|everybody|someone|anyone|users|you|your|u|ur)\b",
    re.IGNORECASE,
)
# The reaction model's score that describes a reaction with no symptom named, in a post that names its patient
# ("I", "my son", "a 45-year-old woman"); a medicine mentioned in passing ("take a Midol and call us") can score as
# high on Hark's hand-labelled medicine tweets, and needs a word tying it to the medicine (below).
CLEAR_REACTION = 0.55
# With a word tying it to the medicine ("induced", "since", "made me"), a weaker reaction score is enough. Chosen on
# ADE Corpus V2's even-numbered PubMed articles (medicine-naming sentences) and PsyTAR dev scored by a model trained
# on PsyTAR train alone (the odd articles and PsyTAR test are held out): 0.25 lifts recall on the articles from
# 0.755 to 0.768 at F1 0.692 (0.689 at 0.3).
TIED_REACTION = 0.25
CAUSAL = re.compile(
    r"\b(?:made|makes|making|make|gave|gives|giving|caused|causes|causing|since|after|side[ -]?effects?|reaction|"
    r"on (?:it|this|that|them|these)|from (?:it|this|that|the|my|taking)|because of|due to|withdrawals?|"
    r"stopped|coming off|came off|weaned|induced|associated with|developed|following|secondary to|attributed to|"
    r"related to|toxicity|complications?|adverse|produces?|produced|resulted in|results in|led to|leads to|"
    r"provoked|triggered|precipitated)\b",
    re.IGNORECASE,
)
_SYMPTOM = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(s) for s in sorted(set(SYMPTOMS), key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ProductDictionary:
    """The brand's own products (brand and generic names) from its policy, and the one it assumes."""

    names: tuple[str, ...] = ()
    assumed: str | None = None  # the one product an account is about, when every mention concerns it

    def find(self, text: str) -> DrugMention | None:
        for name in self.names:
            match = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE)
            if match:
                return DrugMention(match.group(), None, "policy", match.start(), match.end())
        return None


@dataclass(frozen=True)
class Product:
    named: str
    drug: str | None
    match: ProductMatch
    own: bool | None


def suspect_product(text: str, products: ProductDictionary, drugs: DrugLexicon | None) -> Product | None:
    """The product a report would name: the brand's own if the text names it, else the first medicine it names,
    else a medicine it refers to, else the product the policy assumes."""
    found = drugs.find(text) if drugs is not None else []
    own_drugs = {drugs.canonical(n) for n in products.names} - {None} if drugs is not None else set()
    if (policy := products.find(text)) is not None:
        return Product(policy.text, drugs.canonical(policy.text) if drugs else None, "policy", True)
    named = [m for m in found if m.drug is not None]
    listed = bool(products.names)
    for mention in named:  # the brand's product under another of its names ("sertraline" for a "Zoloft" policy)
        if mention.drug in own_drugs:
            return Product(mention.text, mention.drug, mention.match, True)
    if named:
        return Product(named[0].text, named[0].drug, named[0].match, False if listed else None)
    if found:
        return Product(found[0].text, None, "reference", None)
    if products.assumed:
        return Product(products.assumed, None, "assumed", True)
    return None


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
        "reaction", "clenching", "spasms", "tingling", "blurry",
    }
)  # fmt: skip
_WORDS = re.compile(r"[\w']+")


# Just before a symptom, these make it what the medicine is taken for ("ibuprofen for my headache", "Zoloft helps
# my anxiety"): an indication, not a reaction.
INDICATION = frozenset(
    """
    for treat treats treating treated relieve relieves relieved relief cure cures cured against prevent prevents
    help helps helped helping fixed fixes stops stopped para pour gegen contro
    """.split()
)


def symptoms(text: str, *, indications: list[str] | None = None) -> list[str]:
    """Symptoms the text names and neither denies nor gives as what the medicine is for (those go to
    `indications`, when given)."""
    found = []
    for match in _SYMPTOM.finditer(text):
        before = _WORDS.findall(text[max(0, match.start() - 40) : match.start()].lower())[-3:]
        if NEGATORS.intersection(before):
            continue
        if INDICATION.intersection(before):
            if indications is not None:
                indications.append(match.group().lower())
            continue
        found.append(match.group().lower())
    return list(dict.fromkeys(found))


def assess(
    text: str,
    *,
    adr_probability: float,
    adr_threshold: float,
    products: ProductDictionary,
    reporter_known: bool,
    drugs: DrugLexicon | None = None,
) -> tuple[bool, AdverseEventCriteria]:
    indications: list[str] = []
    named = symptoms(text, indications=indications)
    events: Sequence[str] = [s for s in named if s not in AMBIGUOUS or adr_probability >= adr_threshold]
    # The reaction model reads "ibuprofen for my headache" as a reaction; a text that gives its symptom as the
    # reason for the medicine is not one.
    # Alone (no symptom named), the model was trained on drug reviews, where every sentence is someone's experience
    # of the drug; elsewhere it needs a patient the post names or a word that ties it to the medicine.
    confident = (adr_probability >= CLEAR_REACTION and PATIENT.search(text)) or (
        adr_probability >= min(adr_threshold, TIED_REACTION) and CAUSAL.search(text)
    )
    if not events and not indications and confident:
        events = ["adverse reaction described"]
    product = suspect_product(text, products, drugs)
    criteria = AdverseEventCriteria(
        patient=bool(PATIENT.search(text)) or not OTHERS.search(text),
        reporter=reporter_known,
        product=product.named if product else None,
        events=tuple(events),
        reaction_score=round(adr_probability, 3),
        drug=product.drug if product else None,
        match=product.match if product else None,
        own_product=product.own if product else None,
    )
    suspected = bool(criteria.product and criteria.events and criteria.patient)
    return suspected, criteria
