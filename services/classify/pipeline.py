"""From mentions to classifications, in one of three modes:

- `local` (the offline default): the local analyzer alone;
- `comprehend`: the local analyzer, then every Comprehend API on every message (where its language allows);
- `tiered` (the default in AWS): the local tier decides clear cases and Comprehend is called only where it changes
  the decision or the agent's view:
    * nothing for spam, the brand's own messages, texts with no letters;
    * language when the local tier is unsure of it (confidence below 0.6, or a script it does not read);
    * sentiment when the local sentiment is uncertain (below 0.6) on a message addressed to the brand (elsewhere it
      cannot route a message), or for a message routed to a human in a language other than English (the local
      multilingual sentiment model is the weakest);
    * for messages routed to a human: PII where the local scan sees a cue of personal data it cannot rule out, and
      on every suspected adverse event (redaction, the compliance view, the case's reporter); the custom classifier
      if one is configured; toxicity only when the local offensive-language score is in its uncertain middle;
      entities and key phrases only where the policy asks (`comprehend` in the triage policy: nothing in Hark reads
      them, and they were most of the spend).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from services.classify.analyzers.base import Document, Signals
from services.classify.analyzers.comprehend import ComprehendEnricher
from services.classify.analyzers.local import LocalAnalyzer
from services.classify.analyzers.pii import pii_cue
from services.classify.policy import TriagePolicy
from services.classify.triage import triage
from shared.events import Classification, Mention

Mode = Literal["local", "comprehend", "tiered"]
ENRICHMENTS = frozenset({"entities", "key_phrases", "pii", "custom"})
EVERYTHING = frozenset({"language", "sentiment", "toxicity"}) | ENRICHMENTS
UNSURE = 0.6
TOXICITY_UNSURE = (0.25, 0.75)
DEFAULT_POLICY = TriagePolicy()


def document_of(mention: Mention) -> Document:
    return Document(
        id=mention.id,
        text=mention.text,
        lang_hint=mention.lang,
        addressed=mention.addressed,
        reporter_known=mention.author.id != "unknown",
    )


def plan(
    mode: Mode,
    mention: Mention,
    signals: Signals | Exception,
    routed: bool,
    policy: TriagePolicy = DEFAULT_POLICY,
) -> frozenset[str]:
    """Which Comprehend APIs are worth their price for this mention."""
    if mode == "local" or isinstance(signals, Exception):
        return frozenset()
    if signals.spam or mention.from_brand or sum(c.isalpha() for c in mention.text) < 3:
        return frozenset()
    if mode == "comprehend":
        return EVERYTHING
    apis: set[str] = set()
    if signals.language is None or signals.language_confidence < UNSURE:
        apis.add("language")
    # Sentiment can route a message only when it is addressed to the brand (triage): elsewhere the local reading
    # stands, for a message nobody will answer.
    addressed = signals.addressed >= policy.addressed_threshold
    if (signals.sentiment_score < UNSURE and (routed or addressed)) or (routed and signals.language != "en"):
        apis.add("sentiment")
    if routed:
        spend = policy.comprehend
        apis |= {"custom", *spend.enrichments}
        if spend.pii == "always" or (
            spend.pii == "cued" and (signals.adverse_event or pii_cue(mention.text, signals.pii) is not None)
        ):
            apis.add("pii")
        if TOXICITY_UNSURE[0] <= signals.toxicity < TOXICITY_UNSURE[1]:
            apis.add("toxicity")
    return frozenset(apis)


class Classifier:
    def __init__(
        self,
        mode: Mode,
        local: LocalAnalyzer,
        enricher: ComprehendEnricher | None = None,
        policy: TriagePolicy | None = None,
    ) -> None:
        if mode != "local" and enricher is None:
            raise ValueError(f"mode {mode} needs Comprehend")
        self.mode = mode
        self.local = local
        self.enricher = enricher
        self.policy = policy or TriagePolicy()

    def classify(self, mentions: Sequence[Mention], now: datetime) -> list[Classification | Exception]:
        documents = [document_of(m) for m in mentions]
        signals = self.local.analyze(documents)
        decided = [
            s if isinstance(s, Exception) else triage(m, s, now, self.policy)
            for m, s in zip(mentions, signals, strict=True)
        ]
        if self.enricher is None or self.mode == "local":
            return decided
        plans = [
            plan(self.mode, m, s, isinstance(d, Classification) and d.needs_response, self.policy)
            for m, s, d in zip(mentions, signals, decided, strict=True)
        ]
        if not any(plans):
            return decided
        enriched = self.enricher.enrich(documents, signals, plans)
        # Triage runs once per mention; again only for those Comprehend enriched, whose signals (sentiment,
        # toxicity, language, the custom classifier's intent) can change the decision. In tiered mode that is the
        # minority: most mentions keep the local decision the plan was made from.
        return [
            e if isinstance(e, Exception) else triage(m, e, now, self.policy) if p else d
            for m, e, d, p in zip(mentions, enriched, decided, plans, strict=True)
        ]
