"""Does this mention need a human, how urgently, and why.

A small additive score over the signals, each term with a human-readable reason, so an agent (or a compliance
officer) can always see why a mention was routed and ranked the way it was. Pure: no AWS, no clock but `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.classify.analyzers.base import Signals
from shared.events import Classification, Intent, Mention

INTENT_BASE: dict[Intent, int] = {
    "complaint": 55,
    "question": 40,
    "request": 40,
    "feedback": 20,
    "other": 10,
    "praise": 5,
    "spam": 0,
}


@dataclass(frozen=True)
class TriagePolicy:
    respond_intents: frozenset[str] = frozenset({"complaint", "question", "request"})
    # A clearly unhappy message needs a human even when it asks nothing.
    negative_threshold: float = 0.7
    influencer_followers: int = 10_000


def _followers(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M".replace(".0M", "M")
    if count >= 1_000:
        return f"{count // 1_000}k"
    return str(count)


def triage(mention: Mention, signals: Signals, now: datetime, policy: TriagePolicy | None = None) -> Classification:
    policy = policy or TriagePolicy()
    reasons: list[str] = []
    needs = False
    priority = 0
    if mention.from_brand:
        reasons.append("sent by the brand")
    elif signals.spam:
        reasons.append("spam")
    else:
        priority = INTENT_BASE[signals.intent]
        reasons.extend(signals.cues or ([signals.intent] if signals.intent in policy.respond_intents else []))
        needs = signals.intent in policy.respond_intents
        if signals.sentiment == "negative":
            priority += round(20 * signals.sentiment_score)
            reasons.append(f"negative {signals.sentiment_score:.2f}")
            if signals.sentiment_score >= policy.negative_threshold:
                needs = True
        if mention.rating is not None and mention.rating <= 2:
            priority += 10
            needs = True
            reasons.append(f"{mention.rating}-star review")
        followers = mention.author.followers or 0
        if followers >= policy.influencer_followers:
            priority += 15
            reasons.append(f"author has {_followers(followers)} followers")
        if mention.kind == "message":
            priority += 5
            reasons.append("direct message")
        if signals.adverse_event:
            priority = max(priority, 90)
            needs = True
            reasons.append("suspected adverse event")
        if not needs:
            priority = min(priority, 20)
    return Classification(
        language=signals.language,
        sentiment=signals.sentiment,
        sentiment_score=signals.sentiment_score,
        intent=signals.intent,
        toxic=signals.toxic,
        pii=signals.pii,
        adverse_event=signals.adverse_event,
        needs_response=needs,
        priority=max(0, min(100, priority)),
        reasons=tuple(dict.fromkeys(reasons)),
        analyzer=signals.analyzer,
        comprehend_units=signals.comprehend_units,
        classified_at=now,
    )
