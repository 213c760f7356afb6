"""The voice check (pure): does a draft sound like a person?

Customers want real people, not corporate mumbo-jumbo. Every draft is checked for stock phrases and jargon, a
language other than the customer's, text over the platform's length limit (counted as the platform counts it),
Markdown where the platform shows it as typed, no greeting and no name, and personal
data echoed back in a public reply. Each warning carries the words that triggered it; nothing here blocks a send:
the agent and the approver decide.

One rule does refuse (`scripted_only`): on a thread that reported a suspected adverse event, a public reply may only
be one of the approved scripted acknowledgements (`safety.acknowledgements`), as written. Anything a person adds
in public about a medicine's side effect is a regulatory statement; the safety team follows up in private.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from services.respond.outbound import text as platform_text
from shared.events import TaskWarning

STOCK_PHRASES = (
    "we apologise for any inconvenience",
    "we apologize for any inconvenience",
    "apologies for any inconvenience",
    "sorry for any inconvenience",
    "we regret any inconvenience",
    "inconvenience this may have caused",
    "valued customer",
    "dear customer",
    "please be advised",
    "please be informed",
    "we regret to inform you",
    "your call is important to us",
    "your satisfaction is our top priority",
    "customer satisfaction is our top priority",
    "at your earliest convenience",
    "we thank you for your patience",
    "thank you for your patience and understanding",
    "do not hesitate to contact us",
    "don't hesitate to reach out",
    "feel free to reach out",
    "we value your feedback",
    "rest assured",
    "as per our policy",
    "in accordance with our policy",
    "per our records",
    "kindly note",
    "kindly be informed",
    "we are unable to",
    "for further assistance",
    "we appreciate your business",
    "sorry for the inconvenience caused",
)
JARGON = (
    "escalate",
    "escalated",
    "ticket number",
    "case number",
    "aforementioned",
    "hereby",
    "herewith",
    "utilize",
    "leverage",
    "synergy",
    "going forward",
    "do the needful",
    "revert back",
    "as per",
    "endeavour",
    "endeavor",
    "touch base",
    "circle back",
)
GREETINGS = (
    "hi", "hello", "hey", "dear", "thanks", "thank you", "good morning", "good afternoon", "good evening",
    "hola", "buenos días", "buenas", "gracias", "bonjour", "bonsoir", "salut", "merci", "hallo", "guten tag",
    "moin", "danke", "ciao", "buongiorno", "salve", "grazie", "olá", "ola", "oi", "bom dia", "obrigado", "obrigada",
    "مرحبا", "नमस्ते",
)  # fmt: skip
PRIVATE_KINDS = frozenset({"message"})
LANGUAGES = ("en", "es", "fr", "de", "it", "pt")
MIN_WORDS_FOR_LANGUAGE = 4

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?<![\w+])\+?\d[\d ().-]{7,}\d")
CARD = re.compile(r"\b(?:\d[ -]?){13,19}\b")


@dataclass(frozen=True)
class Context:
    """What the check knows of the conversation."""

    channel: str
    platform: str
    kind: str | None
    language: str | None
    names: tuple[str, ...] = ()  # the customer's first name, handle
    customer_text: str = ""


def _find(phrases: Iterable[str], text: str) -> list[str]:
    low = text.lower()
    return [p for p in phrases if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", low)]


def limit_for(channel: str, platform: str) -> int | None:
    """The longest reply the channel accepts (`services/respond/outbound/text.py`, what the senders know)."""
    rules = platform_text.rules_for(channel, platform)
    return rules.limit if rules else None


def _luhn(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def personal_data(text: str) -> list[str]:
    found = EMAIL.findall(text)
    found += [m for m in PHONE.findall(text) if sum(c.isdigit() for c in m) >= 8]
    found += [m.strip() for m in CARD.findall(text) if _luhn(re.sub(r"\D", "", m))]
    return list(dict.fromkeys(found))


_lock = threading.Lock()


@cache
def _detector() -> Any:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder  # noqa: PLC0415

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).with_minimum_relative_distance(0.2).build()


def language_of(text: str) -> str | None:
    if len(re.findall(r"\w+", text)) < MIN_WORDS_FOR_LANGUAGE:
        return None
    with _lock:
        detected = _detector().detect_language_of(text)
    return str(detected.iso_code_639_1.name).lower() if detected is not None else None


def check(
    text: str, context: Context, extra_phrases: Iterable[str] = (), allow: Iterable[str] = ()
) -> list[TaskWarning]:
    warnings: list[TaskWarning] = []
    allowed = {a.lower() for a in allow}
    stock = [p for p in _find((*STOCK_PHRASES, *(x.lower() for x in extra_phrases)), text) if p not in allowed]
    if stock:
        warnings.append(
            TaskWarning(
                code="stock_phrase",
                message="Sounds like a form letter; say it as you would in person.",
                words=tuple(stock),
            )
        )
    jargon = [p for p in _find(JARGON, text) if p not in allowed]
    if jargon:
        warnings.append(TaskWarning(code="jargon", message="Jargon the customer may not use.", words=tuple(jargon)))
    if context.language and context.language in LANGUAGES:
        written = language_of(text)
        if written is not None and written != context.language:
            warnings.append(
                TaskWarning(
                    code="language",
                    message=f"The customer wrote in {context.language}; this reads as {written}.",
                    words=(written,),
                )
            )
    rules = platform_text.rules_for(context.channel, context.platform)
    where = context.channel or context.platform
    if rules is not None and rules.limit is not None:
        size = platform_text.length(text, rules.counting)
        if size > rules.limit:
            unit = {"x": "weighted characters (links count 23)", "graphemes": "characters as shown"}.get(
                rules.counting, "characters"
            )
            warnings.append(
                TaskWarning(
                    code="too_long",
                    message=f"{size} {unit}; {where} accepts {rules.limit}.",
                    words=(text[rules.limit : rules.limit + 40] or text[-40:],),
                )
            )
    if rules is not None and rules.format in ("plain", "html"):
        marked = platform_text.markdown_in(text)
        if marked:
            warnings.append(
                TaskWarning(
                    code="formatting",
                    message=f"{where} shows Markdown as typed: write it as plain text.",
                    words=tuple(marked),
                )
            )
    opening = text.strip().lower()
    greeted = any(re.match(rf"{re.escape(g)}(?!\w)", opening) for g in GREETINGS)
    named = any(
        n and re.search(rf"(?<!\w){re.escape(n.lower().lstrip('@'))}(?!\w)", text.lower()) for n in context.names
    )
    if not greeted and not named:
        warnings.append(
            TaskWarning(
                code="no_greeting",
                message="No greeting and no name: open as a person would.",
                words=tuple(text.split()[:3]),
            )
        )
    if context.kind not in PRIVATE_KINDS:
        leaked = personal_data(text)
        if leaked:
            echoed = [p for p in leaked if p in context.customer_text]
            warnings.append(
                TaskWarning(
                    code="pii",
                    message="Personal data in a public reply"
                    + (" (echoed from the customer)" if echoed else "")
                    + ": move it to a private message.",
                    words=tuple(leaked),
                )
            )
    return warnings


def scripted_only(
    kind: str | None, template: str | None, given_variables: Iterable[str], acknowledgements: Iterable[str]
) -> str | None:
    """Why a draft may not be posted on a thread with a safety case, or None when it may: a public reply must be an
    approved acknowledgement, with no words of the agent's own (no variables given)."""
    if kind in PRIVATE_KINDS:
        return None
    approved = list(acknowledgements)
    if not approved:
        return (
            "this thread reported a suspected adverse event and no scripted acknowledgement is approved "
            "(safety.acknowledgements): do not answer in public; the safety team follows up in private"
        )
    if template not in approved:
        return (
            "this thread reported a suspected adverse event: a public reply may only be an approved acknowledgement "
            f"({', '.join(approved)})"
        )
    if list(given_variables):
        return "an acknowledgement is sent as approved: leave out variables (Hark fills the name)"
    return None
