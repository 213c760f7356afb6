"""Comprehend through botocore's Stubber (the emulator's Comprehend is a canned stub without Batch APIs, entities,
language or toxicity): batching, per-language grouping, unsupported languages skipped, per-document failures,
truncation to each API's limits, and every unit metered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from services.classify.analyzers.base import Document, Signals
from services.classify.analyzers.comprehend import (
    ComprehendEnricher,
    DocumentFailed,
    billed_units,
    truncate_utf8,
)
from shared.errors import Unavailable
from shared.events import PiiSpan

EVERYTHING = frozenset({"language", "sentiment", "entities", "key_phrases", "pii", "toxicity", "custom"})


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("comprehend", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def local(language: str | None = "en", **fields: Any) -> Signals:
    values: dict[str, Any] = {"language": language, "sentiment": "neutral", "sentiment_score": 0.5, "intent": "other"}
    values.update(fields)
    return Signals(**values)


def languages(*codes: str) -> dict[str, Any]:
    return {
        "ResultList": [{"Index": i, "Languages": [{"LanguageCode": c, "Score": 0.97}]} for i, c in enumerate(codes)],
        "ErrorList": [],
    }


def sentiments(*labels: str, errors: tuple[int, ...] = ()) -> dict[str, Any]:
    base = {"Positive": 0.01, "Negative": 0.01, "Neutral": 0.01, "Mixed": 0.01}
    return {
        "ResultList": [
            {"Index": i, "Sentiment": label, "SentimentScore": {**base, label.capitalize(): 0.96}}
            for i, label in enumerate(labels)
            if i not in errors
        ],
        "ErrorList": [{"Index": i, "ErrorCode": "INTERNAL_SERVER_ERROR", "ErrorMessage": "retry"} for i in errors],
    }


def test_language_is_batched_by_25_and_sentiment_grouped_by_language(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    docs = [Document(str(i), f"message number {i} about my order") for i in range(30)]
    texts = [d.text for d in docs]
    stubber.add_response("batch_detect_dominant_language", languages(*["en"] * 24, "es"), {"TextList": texts[:25]})
    stubber.add_response("batch_detect_dominant_language", languages(*["en"] * 5), {"TextList": texts[25:]})
    english = [t for i, t in enumerate(texts) if i != 24]
    stubber.add_response(
        "batch_detect_sentiment", sentiments(*["NEGATIVE"] * 25), {"TextList": english[:25], "LanguageCode": "en"}
    )
    stubber.add_response(
        "batch_detect_sentiment", sentiments(*["NEGATIVE"] * 4), {"TextList": english[25:], "LanguageCode": "en"}
    )
    stubber.add_response(
        "batch_detect_sentiment", sentiments("POSITIVE"), {"TextList": [texts[24]], "LanguageCode": "es"}
    )
    plans = [frozenset({"language", "sentiment"})] * 30
    results = ComprehendEnricher(client).enrich(docs, [local(None)] * 30, plans)
    first, spanish = results[0], results[24]
    assert isinstance(first, Signals) and isinstance(spanish, Signals)
    assert (first.language, first.sentiment, first.sentiment_score) == ("en", "negative", 0.96)
    assert (spanish.language, spanish.sentiment) == ("es", "positive")
    assert first.comprehend_apis == ("language", "sentiment")
    assert first.comprehend_units == 3 + 3
    assert first.analyzer == "local+comprehend"


def test_enrichments_for_an_english_message(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    text = "My card 4111 1111 1111 1111 was charged twice by Acme, you idiots"
    stubber.add_response(
        "batch_detect_entities",
        {
            "ResultList": [{"Index": 0, "Entities": [{"Type": "ORGANIZATION", "Text": "Acme", "Score": 0.99}]}],
            "ErrorList": [],
        },
        {"TextList": [text], "LanguageCode": "en"},
    )
    stubber.add_response(
        "batch_detect_key_phrases",
        {"ResultList": [{"Index": 0, "KeyPhrases": [{"Text": "My card", "Score": 0.9}]}], "ErrorList": []},
        {"TextList": [text], "LanguageCode": "en"},
    )
    stubber.add_response(
        "detect_pii_entities",
        {"Entities": [{"Type": "CREDIT_DEBIT_NUMBER", "BeginOffset": 8, "EndOffset": 27, "Score": 0.99}]},
        {"Text": text, "LanguageCode": "en"},
    )
    stubber.add_response(
        "detect_toxic_content",
        {"ResultList": [{"Labels": [{"Name": "INSULT", "Score": 0.91}], "Toxicity": 0.88}]},
        {"TextSegments": [{"Text": text}], "LanguageCode": "en"},
    )
    stubber.add_response(
        "classify_document",
        {"Classes": [{"Name": "COMPLAINT", "Score": 0.93}, {"Name": "QUESTION", "Score": 0.07}]},
        {"Text": text, "EndpointArn": "arn:aws:comprehend:us-east-1:1:document-classifier-endpoint/hark"},
    )
    enricher = ComprehendEnricher(client, "arn:aws:comprehend:us-east-1:1:document-classifier-endpoint/hark")
    before = local("en", pii=(PiiSpan(type="CREDIT_DEBIT_NUMBER", start=8, end=27),))
    [result] = enricher.enrich([Document("a", text)], [before], [EVERYTHING - {"language", "sentiment"}])
    assert isinstance(result, Signals)
    assert [(e.type, e.text) for e in result.entities] == [("ORGANIZATION", "Acme")]
    assert result.key_phrases == ("My card",)
    assert result.pii == (PiiSpan(type="CREDIT_DEBIT_NUMBER", start=8, end=27),)  # merged, not doubled
    assert (result.toxic, result.toxicity) == (True, 0.88)
    assert (result.intent, result.cues) == ("complaint", ("complaint (custom classifier 0.93)",))
    assert result.comprehend_apis == ("entities", "key_phrases", "pii", "toxicity", "custom")
    assert result.comprehend_units == 5 * billed_units(text)


def test_languages_comprehend_lacks_are_skipped_not_failed(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    swahili, german = Document("sw", "Habari, agizo langu halijafika"), Document("de", "Meine Bestellung fehlt")
    # German: entities yes, PII and toxicity no (English/Spanish and English only). Swahili: nothing at all.
    stubber.add_response(
        "batch_detect_entities",
        {"ResultList": [{"Index": 0, "Entities": []}], "ErrorList": []},
        {"TextList": [german.text], "LanguageCode": "de"},
    )
    results = ComprehendEnricher(client).enrich(
        [swahili, german], [local("sw"), local("de")], [frozenset({"entities", "pii", "toxicity"})] * 2
    )
    first, second = results
    assert isinstance(first, Signals) and isinstance(second, Signals)
    assert first.comprehend_apis == ()
    assert first.analyzer == "local"
    assert second.comprehend_apis == ("entities",)


def test_a_document_error_fails_only_that_document(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    docs = [Document(str(i), f"text {i} here") for i in range(3)]
    stubber.add_response("batch_detect_sentiment", sentiments("NEUTRAL", "NEUTRAL", "NEUTRAL", errors=(1,)))
    results = ComprehendEnricher(client).enrich(docs, [local("en")] * 3, [frozenset({"sentiment"})] * 3)
    assert isinstance(results[0], Signals) and isinstance(results[2], Signals)
    assert isinstance(results[1], DocumentFailed)


def test_a_throttled_call_fails_its_documents_only(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    docs = [Document("en", "hello there"), Document("fr", "bonjour à tous")]
    stubber.add_client_error("batch_detect_sentiment", "ThrottlingException", http_status_code=400)
    stubber.add_response(
        "batch_detect_sentiment", sentiments("POSITIVE"), {"TextList": [docs[1].text], "LanguageCode": "fr"}
    )
    english, french = ComprehendEnricher(client).enrich(
        docs, [local("en"), local("fr")], [frozenset({"sentiment"})] * 2
    )
    assert isinstance(english, Unavailable)
    assert isinstance(french, Signals)
    assert french.sentiment == "positive"


def test_toxicity_sends_ten_segments_per_call(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    docs = [Document(str(i), f"comment {i}") for i in range(12)]
    for chunk in (docs[:10], docs[10:]):
        stubber.add_response(
            "detect_toxic_content",
            {"ResultList": [{"Labels": [], "Toxicity": 0.1} for _ in chunk]},
            {"TextSegments": [{"Text": d.text} for d in chunk], "LanguageCode": "en"},
        )
    results = ComprehendEnricher(client).enrich(docs, [local("en")] * 12, [frozenset({"toxicity"})] * 12)
    assert all(isinstance(r, Signals) and r.toxicity == 0.1 and not r.toxic for r in results)


def test_texts_are_cut_to_each_apis_limit(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    text = "é" * 6000  # 12,000 bytes
    stubber.add_response(
        "batch_detect_key_phrases",
        {"ResultList": [{"Index": 0, "KeyPhrases": []}], "ErrorList": []},
        {"TextList": ["é" * 2500], "LanguageCode": "en"},
    )
    stubber.add_response("detect_pii_entities", {"Entities": []}, {"Text": text, "LanguageCode": ANY})
    stubber.add_response(
        "detect_toxic_content",
        {"ResultList": [{"Labels": [], "Toxicity": 0.0}]},
        {"TextSegments": [{"Text": "é" * 512}], "LanguageCode": "en"},
    )
    [result] = ComprehendEnricher(client).enrich(
        [Document("a", text)], [local("en")], [frozenset({"key_phrases", "toxicity", "pii"})]
    )
    assert isinstance(result, Signals)
    assert result.comprehend_units == billed_units("é" * 2500) + billed_units("é" * 512) + billed_units(text)


@pytest.mark.parametrize(("chars", "units"), [(0, 3), (1, 3), (300, 3), (301, 4), (450, 5), (5000, 50)])
def test_billing_units(chars: int, units: int) -> None:
    assert billed_units("x" * chars) == units


def test_utf8_truncation_keeps_whole_characters() -> None:
    assert truncate_utf8("é" * 3000) == "é" * 2500
    assert truncate_utf8("aé", 2) == "a"
    assert truncate_utf8("short") == "short"


def test_the_comprehend_client_retries_with_standard_mode() -> None:
    from services.classify.bootstrap import make_classifier
    from shared.settings import Settings

    classifier = make_classifier(Settings(analyzer="tiered", aws_endpoint_url="http://127.0.0.1:9"))
    assert classifier.enricher is not None
    config = classifier.enricher._client.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 6}
