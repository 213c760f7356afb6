from __future__ import annotations

from datetime import UTC, datetime

from services.classify.analyzers.base import Signals
from services.classify.policy import TriagePolicy
from services.classify.triage import triage
from shared.events import Author, Mention
from shared.ids import mention_id

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def mention(text: str = "hi", native: str = "n1", **fields: object) -> Mention:
    values: dict[str, object] = {
        "id": mention_id("generic", native),
        "platform": "generic",
        "channel": "generic.api",
        "kind": "comment",
        "native_id": native,
        "thread_id": "thread-1",
        "author": Author(id="a1", handle="jo"),
        "text": text,
        "created_at": NOW,
        "received_at": NOW,
    }
    values.update(fields)
    return Mention.model_validate(values)


def signals(**fields: object) -> Signals:
    values: dict[str, object] = {"language": "en", "sentiment": "neutral", "sentiment_score": 0.6, "intent": "other"}
    values.update(fields)
    return Signals(**values)  # type: ignore[arg-type]


def test_a_complaint_needs_a_human_and_says_why() -> None:
    result = triage(
        mention(),
        signals(intent="complaint", cues=("complaint: refund",), sentiment="negative", sentiment_score=0.9),
        NOW,
    )
    assert result.needs_response is True
    assert result.priority == 50 + 18
    assert result.reasons == ("complaint: refund", "negative 0.90")


def test_the_brand_and_spam_never_need_a_reply() -> None:
    brand = triage(mention(from_brand=True), signals(intent="complaint"), NOW)
    assert (brand.needs_response, brand.priority, brand.reasons) == (False, 0, ("sent by the brand",))
    spam = triage(mention(), signals(intent="spam", spam=True), NOW)
    assert (spam.needs_response, spam.reasons) == (False, ("spam",))


def test_strong_negativity_alone_needs_a_reply_but_mild_does_not() -> None:
    assert triage(mention(), signals(sentiment="negative", sentiment_score=0.8), NOW).needs_response is True
    mild = triage(mention(), signals(sentiment="negative", sentiment_score=0.55), NOW)
    assert mild.needs_response is False
    assert mild.priority <= 20


def test_reach_private_messages_bad_reviews_and_adverse_events_raise_priority() -> None:
    base = triage(mention(), signals(intent="question"), NOW).priority
    known = triage(mention(author=Author(id="a", followers=12_000)), signals(intent="question"), NOW)
    assert known.priority == base + 15
    assert "author has 12k followers" in known.reasons
    famous = triage(mention(author=Author(id="a", followers=120_000)), signals(intent="question"), NOW)
    assert famous.priority == base + 20
    assert "author has 120k followers" in famous.reasons
    assert (
        "author has 1.5M followers"
        in triage(mention(author=Author(id="a", followers=1_500_000)), signals(intent="question"), NOW).reasons
    )
    dm = triage(mention(kind="message"), signals(intent="question"), NOW)
    assert (dm.priority, dm.reasons[-1]) == (base + 5, "direct message")
    review = triage(mention(kind="review", rating=1), signals(intent="feedback"), NOW)
    assert review.needs_response is True
    assert "1-star review" in review.reasons
    ae = triage(mention(), signals(intent="other", adverse_event=True), NOW)
    assert (ae.needs_response, ae.priority) == (True, 90)


def test_priority_is_capped_at_100() -> None:
    result = triage(
        mention(kind="message", rating=1, author=Author(id="a", followers=10**7)),
        signals(intent="complaint", sentiment="negative", sentiment_score=0.99, adverse_event=True),
        NOW,
    )
    assert result.priority == 100


def test_policy_terms_vip_keywords_toxicity_and_language_rules() -> None:
    policy = TriagePolicy(vip_authors=frozenset({"@bigclient"}), brand_keywords={"recall": 30})
    vip = triage(mention(author=Author(id="9", handle="BigClient")), signals(intent="praise"), NOW, policy)
    assert (vip.needs_response, vip.reasons[-1]) == (True, "VIP")
    risky = triage(mention("Is there a recall on the X200?"), signals(intent="question"), NOW, policy)
    assert "keyword: recall" in risky.reasons
    assert risky.priority == 35 + 30
    toxic = triage(mention(), signals(intent="other", toxic=True, toxicity=0.93), NOW)
    assert (toxic.needs_response, toxic.reasons[-1]) == (True, "toxic 0.93")
    spanish = triage(mention("Quiero un reembolso ya"), signals(language="es", intent="other"), NOW)
    assert (spanish.intent, spanish.reasons[0], spanish.needs_response) == ("complaint", "complaint: reembolso", True)


def test_a_post_not_addressed_to_the_brand_needs_no_reply() -> None:
    aside = triage(mention(addressed=None), signals(intent="question", addressed=0.2), NOW)
    assert aside.needs_response is False
    assert aside.reasons[-1] == "not addressed to the brand"
    assert triage(mention(addressed=None), signals(intent="question", addressed=0.8), NOW).needs_response is True


def test_still_loving_it_in_german_is_not_a_complaint() -> None:
    result = triage(mention("Ich liebe es immer noch, danke!"), signals(language="de", intent="praise"), NOW)
    assert result.intent == "praise"


def test_what_needs_no_reply_never_outranks_what_does() -> None:
    # Reach, a private channel and negativity below the threshold add up, but nothing here needs a human.
    loud = triage(
        mention(kind="message", author=Author(id="a", followers=5_000_000), addressed=False),
        signals(intent="praise", sentiment="negative", sentiment_score=0.55, addressed=0.1),
        NOW,
    )
    assert loud.needs_response is False
    assert loud.priority <= 20
