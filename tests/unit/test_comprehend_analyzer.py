"""The Comprehend adapter against botocore's Stubber (the emulator's Comprehend is a canned stub without Batch
APIs): batching by 25, per-language sentiment, per-document failures, truncation and unit metering."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from services.classify.analyzers.base import Document, Signals
from services.classify.analyzers.comprehend import (
    ComprehendAnalyzer,
    DocumentFailed,
    billed_units,
    truncate_utf8,
)
from shared.errors import Unavailable
from shared.settings import Settings


@pytest.fixture
def stubbed() -> Iterator[tuple[ComprehendAnalyzer, Stubber]]:
    client = boto3.client("comprehend", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    with Stubber(client) as stubber:
        yield ComprehendAnalyzer(client), stubber
        stubber.assert_no_pending_responses()


def languages(*codes: str) -> dict[str, Any]:
    return {
        "ResultList": [{"Index": i, "Languages": [{"LanguageCode": c, "Score": 0.99}]} for i, c in enumerate(codes)],
        "ErrorList": [],
    }


def sentiments(*labels: str, errors: tuple[int, ...] = ()) -> dict[str, Any]:
    scores = {"Positive": 0.01, "Negative": 0.01, "Neutral": 0.01, "Mixed": 0.01}
    return {
        "ResultList": [
            {"Index": i, "Sentiment": label, "SentimentScore": {**scores, label.capitalize(): 0.97}}
            for i, label in enumerate(labels)
            if i not in errors
        ],
        "ErrorList": [{"Index": i, "ErrorCode": "INTERNAL_SERVER_ERROR", "ErrorMessage": "try again"} for i in errors],
    }


def test_language_then_sentiment_in_batches_of_25(stubbed: tuple[ComprehendAnalyzer, Stubber]) -> None:
    analyzer, stubber = stubbed
    docs = [Document(id=str(i), text=f"my order {i} never arrived, I want a refund") for i in range(30)]
    texts = [d.text for d in docs]
    stubber.add_response("batch_detect_dominant_language", languages(*["en"] * 25), {"TextList": texts[:25]})
    stubber.add_response("batch_detect_dominant_language", languages(*["en"] * 5), {"TextList": texts[25:]})
    stubber.add_response(
        "batch_detect_sentiment", sentiments(*["NEGATIVE"] * 25), {"TextList": texts[:25], "LanguageCode": "en"}
    )
    stubber.add_response(
        "batch_detect_sentiment", sentiments(*["NEGATIVE"] * 5), {"TextList": texts[25:], "LanguageCode": "en"}
    )
    results = analyzer.analyze(docs)
    assert all(isinstance(r, Signals) for r in results)
    first = results[0]
    assert isinstance(first, Signals)
    assert (first.language, first.sentiment, first.sentiment_score) == ("en", "negative", 0.97)
    assert first.analyzer == "comprehend"
    assert first.intent == "complaint"  # intent still comes from the local tier
    assert first.comprehend_units == 3 + 3  # two APIs, each at the 3-unit minimum


def test_platform_language_hints_skip_detection_and_pick_the_sentiment_language(
    stubbed: tuple[ComprehendAnalyzer, Stubber],
) -> None:
    analyzer, stubber = stubbed
    docs = [Document("a", "Mi pedido nunca llegó", lang_hint="es"), Document("b", "Das ist großartig", lang_hint="de")]
    stubber.add_response(
        "batch_detect_sentiment", sentiments("NEGATIVE"), {"TextList": [docs[0].text], "LanguageCode": "es"}
    )
    stubber.add_response(
        "batch_detect_sentiment", sentiments("POSITIVE"), {"TextList": [docs[1].text], "LanguageCode": "de"}
    )
    spanish, german = analyzer.analyze(docs)
    assert isinstance(spanish, Signals) and isinstance(german, Signals)
    assert (spanish.language, spanish.sentiment) == ("es", "negative")
    assert (german.language, german.sentiment) == ("de", "positive")
    assert spanish.comprehend_units == 3


def test_unsupported_languages_are_skipped_not_failed(stubbed: tuple[ComprehendAnalyzer, Stubber]) -> None:
    analyzer, stubber = stubbed
    stubber.add_response(
        "batch_detect_dominant_language", languages("sw"), {"TextList": ["Habari, asante sana rafiki"]}
    )
    [result] = analyzer.analyze([Document("a", "Habari, asante sana rafiki")])
    assert isinstance(result, Signals)
    assert result.language == "sw"
    assert result.sentiment in ("neutral", "positive", "negative")  # the local tier's view stands
    assert result.comprehend_units == 3


def test_a_document_error_fails_only_that_document(stubbed: tuple[ComprehendAnalyzer, Stubber]) -> None:
    analyzer, stubber = stubbed
    docs = [Document(str(i), f"text number {i}", lang_hint="en") for i in range(3)]
    stubber.add_response("batch_detect_sentiment", sentiments("NEUTRAL", "NEUTRAL", "NEUTRAL", errors=(1,)))
    results = analyzer.analyze(docs)
    assert isinstance(results[0], Signals) and isinstance(results[2], Signals)
    assert isinstance(results[1], DocumentFailed)


def test_a_failed_call_fails_its_chunk_only(stubbed: tuple[ComprehendAnalyzer, Stubber]) -> None:
    analyzer, stubber = stubbed
    docs = [Document("en", "hello there friend", lang_hint="en"), Document("fr", "bonjour mon ami", lang_hint="fr")]
    stubber.add_client_error("batch_detect_sentiment", "ThrottlingException", http_status_code=400)
    stubber.add_response("batch_detect_sentiment", sentiments("POSITIVE"))
    english, french = analyzer.analyze(docs)
    assert isinstance(english, Unavailable)
    assert isinstance(french, Signals)


def test_truncation_respects_the_byte_limit_and_character_boundaries() -> None:
    text = "é" * 3000  # 6,000 bytes
    truncated = truncate_utf8(text)
    assert len(truncated.encode()) <= 5000
    assert truncated == "é" * 2500
    assert truncate_utf8("short") == "short"


def test_long_documents_are_sent_truncated(stubbed: tuple[ComprehendAnalyzer, Stubber]) -> None:
    analyzer, stubber = stubbed
    long_text = "word " * 2000
    stubber.add_response(
        "batch_detect_sentiment", sentiments("NEUTRAL"), {"TextList": [long_text[:5000]], "LanguageCode": "en"}
    )
    [result] = analyzer.analyze([Document("a", long_text, lang_hint="en")])
    assert isinstance(result, Signals)
    assert result.comprehend_units == 50


@pytest.mark.parametrize(("chars", "units"), [(0, 3), (1, 3), (300, 3), (301, 4), (450, 5), (5000, 50)])
def test_billing_units(chars: int, units: int) -> None:
    assert billed_units("x" * chars) == units


def test_the_comprehend_client_retries_throttling_with_standard_mode() -> None:
    from services.classify.bootstrap import make_analyzer

    analyzer = make_analyzer(Settings(analyzer="comprehend", aws_endpoint_url="http://127.0.0.1:9"))
    assert isinstance(analyzer, ComprehendAnalyzer)
    config = analyzer._client.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 6}
