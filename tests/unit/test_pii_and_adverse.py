from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from ml import drugs
from services.classify.analyzers.adverse import PATIENT, Product, ProductDictionary, assess, suspect_product, symptoms
from services.classify.analyzers.drugs import DrugLexicon, pack, unpack
from services.classify.analyzers.local import MODELS
from services.classify.analyzers.pii import find_pii, iban_valid, luhn_valid, merge_spans, pii_cue
from shared.events import PiiSpan


@pytest.mark.parametrize(
    ("digits", "valid"), [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True)]
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("DE89 3704 0044 0532 0130 00", True),
        ("GB82WEST12345698765432", True),
        ("GB82WEST12345698765433", False),
        ("DE89", False),
    ],
)
def test_iban_checksum(iban: str, valid: bool) -> None:
    assert iban_valid(iban) is valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jo@example.com now", [("EMAIL", "jo@example.com")]),
        ("card 4111-1111-1111-1111 charged", [("CREDIT_DEBIT_NUMBER", "4111-1111-1111-1111")]),
        ("card 4111-1111-1111-1112 charged", []),
        ("IBAN DE89370400440532013000 please", [("BANK_ACCOUNT_NUMBER", "DE89370400440532013000")]),
        ("call (212) 555-0147 today", [("PHONE", "(212) 555-0147")]),
        ("order 12345 shipped at 10:30", []),
        ("ship to 10 Downing Street, London SW1A 2AA please", [("ADDRESS", "10 Downing Street, London SW1A 2AA")]),
        ("an der Hauptstraße 12 bitte", [("ADDRESS", "Hauptstraße 12")]),
    ],
)
def test_pii_spans(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(s.type, text[s.start : s.end]) for s in find_pii(text, "en")] == expected


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("call me on +1 415 555 0132", "found"),
        ("the parcel for order 4471823 never came", "digits"),
        ("my son got sick after one dose", "person"),
        ("the agent I spoke to hung up on me", "person"),
        ("it was Maria Lopez at the counter who refused", "name"),
        ("bought it at John Lewis, broken already", "name"),  # a shop, a person's name to a pattern: asked
        ("@AcmeSupport #Fail why is the app down again? https://t.co/x1234567", None),  # handles, tags, links
        ("The delivery came on Monday and it was broken", None),  # sentence openers and weekdays are not names
        ("refund me now, this is a joke", None),
    ],
)
def test_pii_cue_says_when_comprehend_may_find_more(text: str, cue: str | None) -> None:
    assert pii_cue(text, find_pii(text, "en")) == cue


def test_overlaps_keep_the_more_specific_finding() -> None:
    spans = merge_spans([PiiSpan(type="PHONE", start=5, end=24), PiiSpan(type="CREDIT_DEBIT_NUMBER", start=5, end=24)])
    assert [s.type for s in spans] == ["CREDIT_DEBIT_NUMBER"]


def test_symptoms_and_patients() -> None:
    assert symptoms("Constant dizziness and brain zaps, plus weight gain") == ["dizziness", "brain zaps", "weight gain"]
    assert PATIENT.search("my son started it last week")
    assert not PATIENT.search("the study reports nausea in patients")


def test_all_four_criteria_are_reported() -> None:
    products = ProductDictionary(("Lexapro", "escitalopram"))
    suspected, criteria = assess(
        "My daughter had seizures after escitalopram",
        adr_probability=0.9,
        adr_threshold=0.4,
        products=products,
        reporter_known=True,
    )
    assert suspected
    assert (criteria.patient, criteria.reporter, criteria.product, criteria.events) == (
        True,
        True,
        "escitalopram",
        ("seizures",),
    )
    unnamed, criteria = assess(
        "I feel awful on it",
        adr_probability=0.8,
        adr_threshold=0.4,
        products=ProductDictionary(assumed="Lexapro"),
        reporter_known=False,
    )
    assert unnamed
    assert criteria.events == ("adverse reaction described",)
    assert criteria.product == "Lexapro"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GB82 WEST 1234 5698 7654 32 ASAP please", [("BANK_ACCOUNT_NUMBER", "GB82 WEST 1234 5698 7654 32")]),
        ("IBAN DE89370400440532013000 2 days ago", [("BANK_ACCOUNT_NUMBER", "DE89370400440532013000")]),
        ("card 4111 1111 1111 1111 12/27", [("CREDIT_DEBIT_NUMBER", "4111 1111 1111 1111")]),
        ("I waited 45 minutes in the drive", []),
        ("sent via email 3 days ago", []),
        ("2 messages on the way", []),
        ("Via Roma 12, Milano", [("ADDRESS", "Via Roma 12")]),
    ],
)
def test_greedy_matches_and_lookalikes(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(s.type, text[s.start : s.end]) for s in find_pii(text, "en")] == expected


@pytest.mark.parametrize(
    "text",
    ["No side effects at all, I love Zoloft", "I had no nausea on Zoloft", "I'm confused about my Zoloft refill order"],
)
def test_denied_or_ambiguous_symptoms_are_not_adverse_events(text: str) -> None:
    suspected, criteria = assess(
        text, adr_probability=0.1, adr_threshold=0.4, products=ProductDictionary(("Zoloft",)), reporter_known=True
    )
    assert not suspected
    assert criteria.events == ()


# --- the drug lexicon -------------------------------------------------------------------------------------------


@cache
def lexicon() -> DrugLexicon:
    return DrugLexicon.load(MODELS)


def found(text: str) -> list[tuple[str, str | None, str]]:
    return [(m.text, m.drug, m.match) for m in lexicon().find(text)]


def test_values_pack_and_unpack() -> None:
    assert unpack(pack(1234, 17, 3, True)) == (1234, 17, 3, True)
    assert unpack(pack(0, 60, 0, False)) == (0, 60, 0, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Advil twice a day", [("Advil", "ibuprofen", "brand")]),
        ("#zoloft day 3", [("zoloft", "sertraline", "brand")]),
        ("paracetamol", [("paracetamol", "acetaminophen", "generic")]),
        ("on sertraline", [("sertraline", "sertraline", "generic")]),
        ("my xannax ran out", [("xannax", "alprazolam", "misspelling")]),
        ("ibuprofin", [("ibuprofin", "ibuprofen", "misspelling")]),
        ("advilx and madvil", []),  # only whole words
        ("OxyContin", [("OxyContin", "oxycodone", "brand")]),
    ],
)
def test_medicines_are_found_by_name_brand_and_misspelling(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert found(text) == expected


def test_ordinary_words_and_first_names_need_a_medicine_cue() -> None:
    assert found("Molly is coming to the party") == []
    assert found("took some molly at the party") != []
    assert found("White Sox take on the Red Sox") == []
    assert found("lithium batteries") == []
    assert [m[0] for m in found("I'm on lithium 300mg")] == ["lithium"]


def test_a_medicine_named_without_its_name_is_a_reference() -> None:
    assert found("since your pill my head hurts") == [("your pill", None, "reference")]
    assert found("the vaccines played a great set") == [("the vaccines", None, "reference")]  # a band: no report
    # without a symptom and a patient, a reference alone is never an adverse event
    suspected, _ = assess(
        "the vaccines played a great set",
        adr_probability=0.0,
        adr_threshold=0.4,
        products=ProductDictionary(),
        reporter_known=False,
        drugs=lexicon(),
    )
    assert not suspected


def test_the_canonical_name_of_a_policy_product() -> None:
    assert lexicon().canonical("Zoloft") == "sertraline"
    assert lexicon().canonical("not a medicine") is None
    assert lexicon().canonical("") is None


def test_a_policy_product_is_found_first_and_marked_as_the_brands_own() -> None:
    products = ProductDictionary(("Lexapro",))
    product = suspect_product("switched from Advil to Lexapro", products, lexicon())
    assert product == Product("Lexapro", "escitalopram", "policy", True)
    other = suspect_product("Advil made me dizzy", products, lexicon())
    assert other == Product("Advil", "ibuprofen", "brand", False)
    assert suspect_product("Advil made me dizzy", ProductDictionary(), lexicon()) == Product(
        "Advil", "ibuprofen", "brand", None
    )
    assert suspect_product("it made me dizzy", ProductDictionary(assumed="Lexapro"), lexicon()) == Product(
        "Lexapro", None, "assumed", True
    )


def test_a_symptom_given_as_the_reason_for_a_medicine_is_an_indication() -> None:
    assert symptoms("ibuprofen for my headache") == []
    indications: list[str] = []
    assert symptoms("advil helps my headache, but gave me a rash", indications=indications) == ["rash"]
    assert indications == ["headache"]


def test_the_reaction_model_alone_needs_a_word_tying_it_to_the_medicine() -> None:
    def suspected(text: str, probability: float) -> bool:
        return assess(
            text,
            adr_probability=probability,
            adr_threshold=0.4,
            products=ProductDictionary(),
            reporter_known=False,
            drugs=lexicon(),
        )[0]

    assert suspected("I feel weird since starting my meds", 0.26)  # tied by "since" (0.25)
    assert not suspected("I feel weird since starting my meds", 0.24)
    assert not suspected("I feel weird, need my meds", 0.5)
    assert suspected("I feel weird, need my meds", 0.56)  # a clear reaction (0.55) with its patient named
    # A medicine mentioned in passing, naming no patient, is no report, however drug-like the words.
    assert not suspected("Take a Midol and call us Wednesday morning", 0.6)
    assert suspected("Take a Midol, it made her feel weird", 0.3)  # tied by "made"
    assert suspected("Quetiapine-induced myoclonus in a 40-year-old man", 0.26)  # tied by "induced"
    assert not suspected("Quetiapine and a 40-year-old man", 0.33)


def _criteria(text: str, probability: float = 0.1) -> tuple[bool, Any]:
    return assess(
        text,
        adr_probability=probability,
        adr_threshold=0.4,
        products=ProductDictionary(),
        reporter_known=True,
        drugs=lexicon(),
    )


@pytest.mark.parametrize(
    "text",
    [
        "A 45-year-old woman developed hepatotoxicity while receiving methotrexate.",
        "Our patient had agranulocytosis after clozapine was started.",
        "She broke out in hives after taking amoxicillin",
        "Two patients developed rhabdomyolysis on simvastatin",
    ],
)
def test_case_reports_and_a_particular_other_person_are_identifiable_patients(text: str) -> None:
    suspected, criteria = _criteria(text)
    assert criteria.patient and criteria.events and criteria.product
    assert suspected


@pytest.mark.parametrize(
    "text",
    [
        "People say simvastatin causes muscle pain",  # people in general: nobody identifiable
        "Patients on clozapine can get agranulocytosis",
    ],
)
def test_reports_about_people_in_general_have_no_identifiable_patient(text: str) -> None:
    suspected, criteria = _criteria(text)
    assert criteria.events and not criteria.patient
    assert not suspected


# --- packing the lexicon at training time (ml/drugs.py), without the data ------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Zoloft", "zoloft"),
        ("oxy_contin", "oxy contin"),
        ("  Tylenol   PM ", "tylenol pm"),
        ("5-fu", None),
        ("sertraline [inn]", None),
        ("a", None),
        ("one two three four", None),
    ],
)
def test_names_are_cleaned_to_plain_words(raw: str, cleaned: str | None) -> None:
    assert drugs.clean(raw) == cleaned


def test_edit_distance_and_typing_slips() -> None:
    assert drugs.edits("xanax", "zanax") == 1
    assert drugs.edits("ibuprofen", "ibuprofin") == 1
    assert drugs.edits("adderall", "adderal") == 1
    assert drugs.edits("lisinopril", "lisniopril") == 1  # a transposition is one slip
    assert drugs.edits("zoloft", "prozac") == 3  # capped
    slips = drugs.variants("xanax")
    assert {"xanx", "xnaax", "xannax", "xenax"} <= slips
    assert "xanax" not in slips


def test_a_misspelling_is_close_to_a_clean_name_of_a_common_medicine_or_a_long_one() -> None:
    def rare(word: str, language: str) -> float:  # wordfreq's Zipf frequency, for names no one writes
        return {"heather": 3.9}.get(word, 1.0)

    assert drugs.misspells("sertralline", ["sertraline"], rare)
    assert drugs.misspells("zanax", ["xanax"], rare)  # a common medicine, however short
    assert not drugs.misspells("eveko", ["ibuprofen", "advil"], rare)
    assert not drugs.misspells("tation", ["talion"], rare)  # a short, rare brand: its "misspellings" are other words
    assert drugs.misspells("amitryptiline", ["amitriptyline"], rare)
    assert not drugs.misspells("heathers", ["heatherine"], lambda w, lang: 3.9)  # a name that is a common word
