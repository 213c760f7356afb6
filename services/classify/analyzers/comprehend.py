"""Amazon Comprehend as an enrichment of the local analyzer's signals, one planned set of APIs per document.

- language, sentiment, entities, key phrases: Batch APIs, 25 documents per call, 5,000 bytes per document;
  sentiment, entities and key phrases are grouped by language and skipped for languages Comprehend lacks;
- PII: DetectPiiEntities per document, English and Spanish only (there is no Batch API);
- toxicity: DetectToxicContent, English only, 10 segments of at most 1,024 bytes per call (one per document);
- an optional custom classifier endpoint: ClassifyDocument per document (10,000 bytes).

Throttling is retried by botocore's standard retry mode (jittered exponential backoff); a call that still fails
fails only the documents in it, and a document Comprehend reports an error for fails only its own record.
Billing: 1 unit = 100 characters with a 3-unit minimum, per document and per API; every unit of a call that
returned a result is counted (a throttled or failed call is not billed, and the retry will be).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from services.classify.analyzers.base import Document, Signals
from services.classify.analyzers.pii import merge_spans
from shared.aws import translate_errors
from shared.errors import Unavailable
from shared.events import Entity, PiiSpan, SentimentLabel
from shared.observability import count

BATCH_SIZE = 25
TOXICITY_SEGMENTS = 10
MAX_BATCH_BYTES = 5000
MAX_PII_BYTES = 100_000
MAX_TOXICITY_BYTES = 1024
MAX_CUSTOM_BYTES = 10_000
TEXT_LANGUAGES = frozenset({"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"})
PII_LANGUAGES = frozenset({"en", "es"})
TOXICITY_LANGUAGES = frozenset({"en"})
CUSTOM_LANGUAGES = frozenset({"en", "es", "fr", "de", "it", "pt"})
APIS = ("language", "sentiment", "entities", "key_phrases", "pii", "toxicity", "custom")
INTENTS: frozenset[str] = frozenset({"question", "complaint", "request", "praise", "feedback", "spam", "other"})
_LABELS: dict[str, SentimentLabel] = {
    "POSITIVE": "positive",
    "NEGATIVE": "negative",
    "NEUTRAL": "neutral",
    "MIXED": "mixed",
}


class DocumentFailed(Exception):
    """Comprehend reported an error for this one document."""


def truncate_utf8(text: str, limit: int = MAX_BATCH_BYTES) -> str:
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode(errors="ignore")


def billed_units(text: str) -> int:
    return max(3, math.ceil(len(text) / 100))


def supported(api: str, language: str | None) -> bool:
    if api == "language":
        return True
    allowed = {
        "pii": PII_LANGUAGES,
        "toxicity": TOXICITY_LANGUAGES,
        "custom": CUSTOM_LANGUAGES,
    }.get(api, TEXT_LANGUAGES)
    return language in allowed


class _Run:
    """The state of one enrichment: each document's signals (or its failure), units and APIs called."""

    def __init__(self, documents: Sequence[Document], signals: Sequence[Signals | Exception]) -> None:
        self.documents = documents
        self.results: list[Signals | Exception] = list(signals)
        self.units = [0] * len(documents)
        self.called: list[list[str]] = [[] for _ in documents]

    def language(self, i: int) -> str | None:
        result = self.results[i]
        return None if isinstance(result, Exception) else result.language

    def charge(self, i: int, api: str, text: str) -> None:
        self.units[i] += billed_units(text)
        self.called[i].append(api)

    def fail(self, i: int, error: Exception) -> None:
        if isinstance(error, Unavailable):
            # Throttled (or failing) still after botocore's retries: the alarm on Comprehend watches this.
            count("classify", "ComprehendUnavailable")
        self.results[i] = error

    def update(self, i: int, **changes: Any) -> None:
        result = self.results[i]
        if not isinstance(result, Exception):
            self.results[i] = replace(result, **changes)

    def finish(self) -> list[Signals | Exception]:
        for i, result in enumerate(self.results):
            if isinstance(result, Exception) or not self.called[i]:
                continue
            analyzer = result.analyzer if "comprehend" in result.analyzer else f"{result.analyzer}+comprehend"
            self.results[i] = replace(
                result,
                analyzer=analyzer,
                comprehend_apis=tuple(dict.fromkeys((*result.comprehend_apis, *self.called[i]))),
                comprehend_units=result.comprehend_units + self.units[i],
            )
        return self.results


class ComprehendEnricher:
    def __init__(self, comprehend: Any, custom_endpoint_arn: str | None = None) -> None:
        self._client = comprehend
        self._custom = custom_endpoint_arn

    def enrich(
        self, documents: Sequence[Document], signals: Sequence[Signals | Exception], plans: Sequence[frozenset[str]]
    ) -> list[Signals | Exception]:
        run = _Run(documents, signals)
        texts = [truncate_utf8(d.text) for d in documents]

        def todo(api: str) -> list[int]:
            if api == "custom" and not self._custom:
                return []
            return [
                i
                for i, apis in enumerate(plans)
                if api in apis
                and not isinstance(run.results[i], Exception)
                and documents[i].text.strip()
                and supported(api, run.language(i))
            ]

        for i, outcome in self._batch("batch_detect_dominant_language", todo("language"), texts, _language).items():
            if isinstance(outcome, Exception):
                run.fail(i, outcome)
                continue
            run.charge(i, "language", texts[i])
            if outcome[0]:
                run.update(i, language=outcome[0], language_confidence=round(outcome[1], 3))
        self._by_language(run, texts, todo("sentiment"), "sentiment", "batch_detect_sentiment", _sentiment)
        self._by_language(run, texts, todo("entities"), "entities", "batch_detect_entities", _entities)
        self._by_language(run, texts, todo("key_phrases"), "key_phrases", "batch_detect_key_phrases", _key_phrases)
        self._pii(run, todo("pii"))
        self._toxicity(run, todo("toxicity"))
        self._custom_classifier(run, todo("custom"))
        return run.finish()

    def _by_language(
        self,
        run: _Run,
        texts: list[str],
        indexes: list[int],
        api: str,
        operation: str,
        read: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> None:
        by_language: dict[str, list[int]] = defaultdict(list)
        for i in indexes:
            by_language[str(run.language(i))].append(i)
        for language, group in by_language.items():
            for i, outcome in self._batch(operation, group, texts, read, LanguageCode=language).items():
                if isinstance(outcome, Exception):
                    run.fail(i, outcome)
                else:
                    run.charge(i, api, texts[i])
                    run.update(i, **outcome)

    def _pii(self, run: _Run, indexes: list[int]) -> None:
        for i in indexes:
            text = truncate_utf8(run.documents[i].text, MAX_PII_BYTES)
            try:
                with translate_errors("comprehend detect_pii_entities"):
                    response = self._client.detect_pii_entities(Text=text, LanguageCode=run.language(i))
            except Exception as exc:
                run.fail(i, exc)
                continue
            run.charge(i, "pii", text)
            found = [
                PiiSpan(type=str(e["Type"]), start=int(e["BeginOffset"]), end=int(e["EndOffset"]))
                for e in response.get("Entities", [])
            ]
            current = run.results[i]
            if not isinstance(current, Exception):
                run.update(i, pii=merge_spans([*current.pii, *found]))

    def _toxicity(self, run: _Run, indexes: list[int]) -> None:
        for start in range(0, len(indexes), TOXICITY_SEGMENTS):
            chunk = indexes[start : start + TOXICITY_SEGMENTS]
            segments = [truncate_utf8(run.documents[i].text, MAX_TOXICITY_BYTES) for i in chunk]
            try:
                with translate_errors("comprehend detect_toxic_content"):
                    response = self._client.detect_toxic_content(
                        TextSegments=[{"Text": s} for s in segments], LanguageCode="en"
                    )
            except Exception as exc:
                for i in chunk:
                    run.fail(i, exc)
                continue
            for i, segment in zip(chunk, segments, strict=True):
                run.charge(i, "toxicity", segment)
            for i, item in zip(chunk, response.get("ResultList", []), strict=False):
                score = float(item.get("Toxicity", 0.0))
                run.update(i, toxicity=round(score, 3), toxic=score >= 0.5)

    def _custom_classifier(self, run: _Run, indexes: list[int]) -> None:
        for i in indexes:
            text = truncate_utf8(run.documents[i].text, MAX_CUSTOM_BYTES)
            try:
                with translate_errors("comprehend classify_document"):
                    response = self._client.classify_document(Text=text, EndpointArn=self._custom)
            except Exception as exc:
                run.fail(i, exc)
                continue
            run.charge(i, "custom", text)
            classes = sorted(response.get("Classes", []), key=lambda c: -float(c.get("Score", 0)))
            if not classes:
                continue
            top, score = str(classes[0]["Name"]).lower(), float(classes[0]["Score"])
            if top in INTENTS and score >= 0.5:
                reason = f"{top} (custom classifier {score:.2f})"
                run.update(i, intent=top, cues=(reason,), spam=top == "spam")

    def _batch(
        self, operation: str, indexes: list[int], texts: list[str], read: Callable[[dict[str, Any]], Any], **params: Any
    ) -> dict[int, Any]:
        """A Batch API over `indexes` in chunks of 25: each document's result, or the error for it."""
        outcomes: dict[int, Any] = {}
        for start in range(0, len(indexes), BATCH_SIZE):
            chunk = indexes[start : start + BATCH_SIZE]
            try:
                with translate_errors(f"comprehend {operation}"):
                    response = getattr(self._client, operation)(TextList=[texts[i] for i in chunk], **params)
            except Exception as exc:
                outcomes.update(dict.fromkeys(chunk, exc))
                continue
            for item in response.get("ResultList", []):
                outcomes[chunk[item["Index"]]] = read(item)
            for error in response.get("ErrorList", []):
                outcomes[chunk[error["Index"]]] = DocumentFailed(f"{error['ErrorCode']}: {error['ErrorMessage']}")
        return outcomes


def _language(item: dict[str, Any]) -> tuple[str | None, float]:
    candidates = item.get("Languages") or []
    if not candidates:
        return None, 0.0
    best = max(candidates, key=lambda c: c.get("Score", 0))
    return str(best["LanguageCode"]), float(best.get("Score", 0.0))


def _sentiment(item: dict[str, Any]) -> dict[str, Any]:
    label: SentimentLabel = _LABELS[item["Sentiment"]]
    score = float(item.get("SentimentScore", {}).get(label.capitalize(), 0.0))
    return {"sentiment": label, "sentiment_score": round(score, 3)}


def _entities(item: dict[str, Any]) -> dict[str, Any]:
    found = sorted(item.get("Entities", []), key=lambda e: -float(e.get("Score", 0)))[:10]
    return {
        "entities": tuple(
            Entity(type=str(e["Type"]), text=str(e["Text"]), score=round(float(e["Score"]), 3)) for e in found
        )
    }


def _key_phrases(item: dict[str, Any]) -> dict[str, Any]:
    found = sorted(item.get("KeyPhrases", []), key=lambda p: -float(p.get("Score", 0)))[:10]
    return {"key_phrases": tuple(str(p["Text"]) for p in found)}
