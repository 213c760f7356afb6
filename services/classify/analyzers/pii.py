"""Personal data in a message, with character spans (for redaction and for the compliance view).

Emails by pattern; phone numbers with `phonenumbers` (valid numbers only, in the regions the message's language
suggests, plus any number written in international form); payment cards by pattern and the Luhn checksum;
IBANs by pattern and the ISO 13616 mod-97 checksum; street addresses in English, German, French, Spanish, Italian
and Portuguese forms, with UK and US postcodes; people's names where the text introduces or signs with one ("my
name is", "regards,", "call me,") or writes one beside a phone number or an e-mail address. Checksums keep order
numbers and timestamps out. Names elsewhere in a text are Comprehend's (DetectPiiEntities) in `tiered` mode, asked
where `pii_cue` sees a sign of personal data the patterns cannot rule out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from shared.events import PiiSpan

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_STREET_EN = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Close|Crescent"
)
# Street names are capitalised words; the words around them ("street", "rue", "calle") may be in any case.
ADDRESS = re.compile(
    rf"\b\d{{1,5}}[a-zA-Z]?\s+(?:[A-Z][\w'-]*\s+){{1,4}}(?:{_STREET_EN}|(?i:{_STREET_EN}))\b\.?"
    r"|\b[A-ZÄÖÜ][\w-]*(?i:straße|strasse|weg|gasse|platz|allee)\s+\d{1,4}[a-z]?\b"
    r"|\b\d{1,4},?\s+(?i:rue|avenue|boulevard|chemin|place|allée)\s+(?:[A-Za-zÀ-ÿ'-]+\s?){1,4}"
    r"|\b(?i:calle|avenida|avda\.?|plaza|via|viale|piazza|corso|rua|travessa)\s+(?:[A-ZÀ-Þ][\w'-]*\s){1,3}\d{1,4}\b"
    r"|\b(?i:calle|avenida|avda\.?|plaza|via|viale|piazza|corso|rua|travessa)\s+(?:[A-ZÀ-Þ][\w'-]*\s?){1,3},\s+\d{1,4}\b"
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
_PRIORITY = {"CREDIT_DEBIT_NUMBER": 0, "BANK_ACCOUNT_NUMBER": 1, "EMAIL": 2, "PHONE": 3, "ADDRESS": 4, "NAME": 5}
_CAPITALISED = r"[A-Z][a-zà-ÿ'\u2019-]+"
_FULL_NAME = rf"{_CAPITALISED}(?:[ ](?:[A-Z]\.[ ])?{_CAPITALISED}){{1,2}}"
# Introductions and sign-offs that name the writer; the weak ones ("I'm", "this is") only with a full name.
NAME = re.compile(
    rf"(?i:\b(?:my name is|my name's|name:|regards|kind regards|best regards|sincerely|thanks|cheers|call me|"
    rf"contact me|ask for|signed)[,:]?\s+)(?P<strong>{_CAPITALISED}(?:[ ]{_CAPITALISED}){{0,2}})"
    rf"|(?i:\b(?:i am|i'm|im|this is|from)[,:]?\s+)(?P<weak>{_FULL_NAME})"
)
_NAME_BESIDE = re.compile(rf"(?P<name>{_FULL_NAME})[\s,:;-]*$")
# Capitalised words that open sentences or name things, not people.
_NOT_NAMES = frozenset(
    """
    The This That These Those There Here Your You Yours Our We Please Thanks Thank Call Email Phone Mobile Order
    Customer Service Support Team Manager Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February
    March April May June July August September October November December Street Road Avenue London Paris Madrid
    """.split()
)


# What makes a text worth DetectPiiEntities after the local scan: a full name (two capitalised words, as in "John
# Lewis" or "Tommy Hilfiger": brands too, which is the price of not missing people), words that introduce a person
# or their identifiers, or a run of digits (ages, account and policy numbers, dates). Handles and links are not.
_PERSON_CUE = re.compile(
    r"(?i)\b(?:mr|mrs|ms|miss|dr|doctor|nurse|pharmacist|agent|rep|named|called|son|daughter|wife|husband|mom|mum|"
    r"dad|mother|father|born|aged?|years? old|y/?o|address|live[sd]? (?:at|on|in)|account|acct|policy|ssn|passport|"
    r"licen[cs]e|dob|birthday)\b"
)
_FULL_NAME_PAIR = re.compile(rf"\b({_CAPITALISED})\s+({_CAPITALISED})\b")
_DIGIT_RUN = re.compile(r"\d{4,}")
_HANDLES_AND_LINKS = re.compile(r"[@#]\w+|https?://\S+")


def pii_cue(text: str, found: tuple[PiiSpan, ...] = ()) -> str | None:
    """Why a text may hold personal data the local patterns did not find (None: no sign of any). On customer
    tweets (complaints-dev) about one in five has a cue."""
    if found:
        return "found"  # where there is a phone number or an e-mail, a name is often near
    text = _HANDLES_AND_LINKS.sub(" ", text)
    if _DIGIT_RUN.search(text):
        return "digits"
    if _PERSON_CUE.search(text):
        return "person"
    for match in _FULL_NAME_PAIR.finditer(text):
        if not {match.group(1), match.group(2)} & _NOT_NAMES:
            return "name"
    return None


def _longest_valid(candidate: str, valid: Callable[[str], bool]) -> int:
    """The length of the longest prefix, ending on an alphanumeric, that passes its checksum (0 if none)."""
    for end in range(len(candidate), 0, -1):
        if candidate[end - 1].isalnum() and valid(candidate[:end]):
            return end
    return 0


def card_valid(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


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
        # The pattern is greedy ("4111 1111 1111 1111 12" with an expiry after it): try shorter prefixes too.
        end = _longest_valid(match.group(), card_valid)
        if end:
            found.append(PiiSpan(type="CREDIT_DEBIT_NUMBER", start=match.start(), end=match.start() + end))
    for match in IBAN.finditer(text):
        end = _longest_valid(match.group(), iban_valid)
        if end:
            found.append(PiiSpan(type="BANK_ACCOUNT_NUMBER", start=match.start(), end=match.start() + end))
    found.extend(_phones(text, language))
    found.extend(_names(text, found))
    for match in ADDRESS.finditer(text):
        end = match.end()
        postcode = POSTCODE.search(text, end, min(len(text), end + 40))
        if postcode and not text[end : postcode.start()].strip(" ,").count(" ") > 4:
            end = postcode.end()
        found.append(PiiSpan(type="ADDRESS", start=match.start(), end=end))
    return merge_spans(found)


def _names(text: str, contact: list[PiiSpan]) -> Iterable[PiiSpan]:
    for match in NAME.finditer(text):
        group = "strong" if match.group("strong") else "weak"
        words = match.group(group).split()
        while words and words[-1] in _NOT_NAMES:
            words.pop()
        if words and words[0] not in _NOT_NAMES:
            start = match.start(group)
            yield PiiSpan(type="NAME", start=start, end=start + len(" ".join(words)))
    for span in contact:  # "John Smith, +1 415 555 0132"
        if span.type in ("PHONE", "EMAIL"):
            beside = _NAME_BESIDE.search(text[max(0, span.start - 60) : span.start])
            if beside and not set(beside.group("name").split()) & _NOT_NAMES:
                start = max(0, span.start - 60) + beside.start("name")
                yield PiiSpan(type="NAME", start=start, end=start + len(beside.group("name")))


def merge_spans(spans: Iterable[PiiSpan]) -> tuple[PiiSpan, ...]:
    """Where two findings overlap (a card number also parses as a phone number), the more specific one wins."""
    kept: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (_PRIORITY.get(s.type, len(_PRIORITY)), s.start, -s.end)):
        if all(span.end <= other.start or span.start >= other.end for other in kept):
            kept.append(span)
    return tuple(sorted(kept, key=lambda s: s.start))
