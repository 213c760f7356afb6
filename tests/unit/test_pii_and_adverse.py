from __future__ import annotations

import pytest

from services.classify.analyzers.adverse import PATIENT, ProductDictionary, assess, symptoms
from services.classify.analyzers.pii import find_pii, iban_valid, luhn_valid, merge_spans
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
