"""What analyzers take and give: documents in, `Signals` out. Analyzers find things; triage decides."""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import AdverseEventCriteria, Entity, Intent, PiiSpan, SentimentLabel


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    lang_hint: str | None = None
    # Known to be addressed to the brand (a comment on its page, a DM, a review); None when it must be estimated.
    addressed: bool | None = None
    reporter_known: bool = False


@dataclass(frozen=True)
class Signals:
    """What was found in one text, with the scores and cues that explain it."""

    language: str | None
    sentiment: SentimentLabel
    sentiment_score: float
    intent: Intent
    language_confidence: float = 0.0
    addressed: float = 1.0  # probability the message is addressed to the brand
    toxicity: float = 0.0
    toxic: bool = False
    spam: bool = False
    pii: tuple[PiiSpan, ...] = ()
    adverse_event: bool = False
    adverse_event_criteria: AdverseEventCriteria | None = None
    entities: tuple[Entity, ...] = ()
    key_phrases: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    analyzer: str = "local"
    comprehend_apis: tuple[str, ...] = ()
    comprehend_units: int = 0
