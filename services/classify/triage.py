"""Does this mention need a human, how urgently, and why.

A small additive score over the signals; every term that counts adds a reason people can read ("complaint:
refund", "negative 0.91", "author has 120k followers", "VIP", "suspected adverse event"), so an agent or a
compliance officer can always see why a mention was routed and ranked as it was. Pure: no AWS, no clock but `now`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from services.classify.analyzers.base import Signals
from services.classify.policy import TriagePolicy
from shared.events import AdverseEventCriteria, Classification, Intent, Mention

INTENT_BASE: dict[Intent, int] = {
    "complaint": 50,
    "question": 35,
    "request": 35,
    "feedback": 20,
    "other": 5,
    "praise": 5,
    "spam": 0,
}
NOT_URGENT_CAP = 20
OWN_PRODUCT_EVENT = 90
OTHER_PRODUCT_EVENT = 70


def followers_label(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M".replace(".0M", "M")
    if count >= 1_000:
        return f"{count // 1_000}k"
    return str(count)


def adverse_event_reason(criteria: AdverseEventCriteria | None) -> str:
    """ "suspected adverse event: zanax (misspelling of alprazolam)", "...: your pill (reference)"."""
    if criteria is None or not criteria.product:
        return "suspected adverse event"
    how: str = criteria.match or "named"
    if criteria.drug and criteria.drug != criteria.product.lower():
        how = f"{how} of {criteria.drug}"
    reason = f"suspected adverse event: {criteria.product} ({how})"
    return reason + (", not the brand's product" if criteria.own_product is False else "")


def _matches(phrase: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", text) is not None


@dataclass
class _Score:
    """The decision being built: every term that counts leaves a reason."""

    needs: bool = False
    priority: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, points: int, reason: str, *, needs: bool = False) -> None:
        self.priority += points
        self.needs = self.needs or needs
        self.reasons.append(reason)


def _intent(signals: Signals, policy: TriagePolicy, text: str) -> tuple[Intent, list[str]]:
    """The analyzer's intent, unless a language rule's complaint cue says otherwise."""
    rule = policy.languages.get(signals.language or "")
    if rule and signals.intent != "complaint":
        cue = next((c for c in rule.complaint_cues if _matches(c, text)), None)
        if cue:
            return "complaint", [f"complaint: {cue}"]
    return signals.intent, list(signals.cues)


def _urgency(
    score: _Score, mention: Mention, signals: Signals, policy: TriagePolicy, text: str, *, addressed: bool
) -> None:
    """What raises urgency beyond the intent: tone, reach, VIPs, risk words, privacy, abuse, safety."""
    if mention.rating is not None and mention.rating <= 2:
        score.add(10, f"{mention.rating}-star review", needs=True)
    for keyword, boost in policy.brand_keywords.items():
        if _matches(keyword, text):
            score.add(boost, f"keyword: {keyword}", needs=True)
    if policy.is_vip(mention.author.id, mention.author.handle):
        score.add(25, "VIP", needs=True)
    followers = mention.author.followers or 0
    if followers >= policy.influencer_followers:
        points = 15 if followers < 10 * policy.influencer_followers else 20
        score.add(points, f"author has {followers_label(followers)} followers")
    if mention.kind == "message":
        score.add(5, "direct message")
    if signals.toxic:
        # A moderator has to look at abuse on the brand's own surface (its page, its mentions); a hostile reply
        # among other people that Hark overheard is not the brand's to moderate.
        score.add(10, f"toxic {signals.toxicity:.2f}", needs=addressed)
    if signals.adverse_event:
        # Detection does not depend on the brand's product list; the list only says whose product it is. Another
        # company's medicine still goes to the safety team, with less urgency than the brand's own.
        criteria = signals.adverse_event_criteria
        own = criteria.own_product if criteria is not None else None
        score.priority = max(score.priority, OWN_PRODUCT_EVENT if own is not False else OTHER_PRODUCT_EVENT)
        score.needs = True
        score.reasons.append(adverse_event_reason(criteria))


def triage(mention: Mention, signals: Signals, now: datetime, policy: TriagePolicy | None = None) -> Classification:
    policy = policy or TriagePolicy()
    text = mention.text.lower()
    intent: Intent = signals.intent
    score = _Score()
    if mention.from_brand:
        score.reasons.append("sent by the brand")
    elif signals.spam:
        score.reasons.append("spam")
    else:
        intent, cues = _intent(signals, policy, text)
        addressed = signals.addressed >= policy.addressed_threshold
        score.add(INTENT_BASE[intent], "", needs=addressed and intent in policy.respond_intents)
        score.reasons = cues
        if signals.sentiment == "negative":
            strong = addressed and signals.sentiment_score >= policy.negative_threshold
            score.add(round(20 * signals.sentiment_score), f"negative {signals.sentiment_score:.2f}", needs=strong)
        _urgency(score, mention, signals, policy, text, addressed=addressed)
        rule = policy.languages.get(signals.language or "")
        if rule and rule.priority_boost:
            score.priority += rule.priority_boost
        if not addressed and not score.needs:
            score.reasons.append("not addressed to the brand")
        if not score.needs:
            score.priority = min(score.priority, NOT_URGENT_CAP)
    return Classification(
        language=signals.language,
        sentiment=signals.sentiment,
        sentiment_score=signals.sentiment_score,
        intent=intent,
        toxic=signals.toxic,
        toxicity=signals.toxicity,
        pii=signals.pii,
        adverse_event=signals.adverse_event,
        adverse_event_criteria=signals.adverse_event_criteria,
        needs_response=score.needs,
        priority=max(0, min(100, score.priority)),
        reasons=tuple(dict.fromkeys(r for r in score.reasons if r)),
        entities=signals.entities,
        key_phrases=signals.key_phrases,
        analyzer=signals.analyzer,
        comprehend_apis=signals.comprehend_apis,
        comprehend_units=signals.comprehend_units,
        classified_at=now,
    )
