"""The analyzer port: a batch of documents in, one `Signals` (or the exception for that document) out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from shared.events import Intent, PiiSpan, SentimentLabel


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    lang_hint: str | None = None
    platform: str | None = None


@dataclass(frozen=True)
class Signals:
    """What an analyzer found in one text, with the cues that explain it (shown to agents as reasons)."""

    language: str | None
    sentiment: SentimentLabel
    sentiment_score: float
    intent: Intent
    intent_score: float = 1.0
    toxic: bool = False
    spam: bool = False
    pii: tuple[PiiSpan, ...] = ()
    adverse_event: bool = False
    cues: tuple[str, ...] = ()
    analyzer: str = "local"
    comprehend_units: int = 0
    extras: dict[str, object] = field(default_factory=dict)


class Analyzer(Protocol):
    name: str

    def analyze(self, documents: Sequence[Document]) -> list[Signals | Exception]:
        """One result per document, in order. A failure of one document must not fail the others."""
