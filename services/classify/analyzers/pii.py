"""Personal data in a message, with character spans (for redaction and for the compliance view).

Emails by pattern; phone numbers with `phonenumbers` (valid numbers only, in the regions the message's language
suggests, plus any number written in international form); payment cards by pattern and the Luhn checksum;
IBANs by pattern and the ISO 13616 mod-97 checksum; street addresses in English, German, French, Spanish, Italian
and Portuguese forms, with UK and US postcodes. Checksums keep order numbers and timestamps out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from shared.events import PiiSpan

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_STREET_EN = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|close|crescent"
)
ADDRESS = re.compile(
    rf"\b\d{{1,5}}[a-zA-Z]?\s+(?:[A-Z][\w'-]*\s+){{1,4}}(?:{_STREET_EN})\b\.?"
    r"|\b(?:[A-ZÄÖÜ][\w-]*(?:straße|strasse|weg|gasse|platz|allee))\s+\d{1,4}[a-z]?\b"
    r"|\b\d{1,4},?\s+(?:rue|avenue|boulevard|chemin|place|allée)\s+(?:[\w'-]+\s?){1,4}"
    r"|\b(?:calle|avenida|avda\.?|plaza|via|viale|piazza|corso|rua|travessa)\s+(?:[\w'-]+\s){0,3}[\w'-]+,?\s+\d{1,4}\b",
    re.IGNORECASE,
)
POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|\d{5}(?:-\d{4})?)\b")
_DIGITS7 = re.compile(r"\d(?:[\s().-]*\d){6,}")
_REGIONS = {
    "en": ("US", "GB"),
    "es": ("ES", "MX"),
    "fr": ("FR",),
    "de": ("DE",),
    "it": ("IT",),
    "pt": ("BR", "PT"),
    "hi": ("IN",),
    "ar": ("SA", "EG"),
}
_PRIORITY = {"CREDIT_DEBIT_NUMBER": 0, "BANK_ACCOUNT_NUMBER": 1, "EMAIL": 2, "PHONE": 3, "ADDRESS": 4}


def luhn_valid(digits: str) -> bool:
    total = 0
    for n, char in enumerate(reversed(digits)):
        value = int(char)
        if n % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def _phones(text: str, language: str | None) -> Iterable[PiiSpan]:
    if not _DIGITS7.search(text):
        return  # most messages: no need to load phonenumbers' metadata
    import phonenumbers  # noqa: PLC0415

    seen: set[tuple[int, int]] = set()
    for region in _REGIONS.get(language or "en", ("US",)):
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            if (match.start, match.end) not in seen:
                seen.add((match.start, match.end))
                yield PiiSpan(type="PHONE", start=match.start, end=match.end)


def find_pii(text: str, language: str | None = None) -> tuple[PiiSpan, ...]:
    found: list[PiiSpan] = [PiiSpan(type="EMAIL", start=m.start(), end=m.end()) for m in EMAIL.finditer(text)]
    for match in CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            found.append(PiiSpan(type="CREDIT_DEBIT_NUMBER", start=match.start(), end=match.end()))
    for match in IBAN.finditer(text):
        if iban_valid(match.group()):
            found.append(PiiSpan(type="BANK_ACCOUNT_NUMBER", start=match.start(), end=match.end()))
    found.extend(_phones(text, language))
    for match in ADDRESS.finditer(text):
        end = match.end()
        postcode = POSTCODE.search(text, end, min(len(text), end + 40))
        if postcode and not text[end : postcode.start()].strip(" ,").count(" ") > 4:
            end = postcode.end()
        found.append(PiiSpan(type="ADDRESS", start=match.start(), end=end))
    return merge_spans(found)


def merge_spans(spans: Iterable[PiiSpan]) -> tuple[PiiSpan, ...]:
    """Where two findings overlap (a card number also parses as a phone number), the more specific one wins."""
    kept: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (_PRIORITY.get(s.type, len(_PRIORITY)), s.start, -s.end)):
        if all(span.end <= other.start or span.start >= other.end for other in kept):
            kept.append(span)
    return tuple(sorted(kept, key=lambda s: s.start))
