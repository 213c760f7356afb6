"""Amazon Comprehend through its Batch APIs (25 documents per call, 5,000 bytes per document).

Comprehend gives language and sentiment; intent, spam and the explanations still come from the local analyzer,
which runs first on every document. Languages Comprehend cannot score are skipped, not failed. Throttling is
retried by botocore (standard mode); a document that still fails makes only its own record fail.

Billing: 1 unit = 100 characters, at least 3 units per document per API; every unit is counted per message.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from services.classify.analyzers.base import Document, Signals
from services.classify.analyzers.local import LocalAnalyzer
from shared.aws import translate_errors
from shared.events import SentimentLabel

BATCH_SIZE = 25
MAX_DOCUMENT_BYTES = 5000
SENTIMENT_LANGUAGES = frozenset({"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"})
_LABELS: dict[str, SentimentLabel] = {
    "POSITIVE": "positive",
    "NEGATIVE": "negative",
    "NEUTRAL": "neutral",
    "MIXED": "mixed",
}


class DocumentFailed(Exception):
    """Comprehend reported an error for this one document."""


def truncate_utf8(text: str, limit: int = MAX_DOCUMENT_BYTES) -> str:
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode(errors="ignore")


def billed_units(text: str) -> int:
    return max(3, math.ceil(len(text) / 100))


class ComprehendAnalyzer:
    name = "comprehend"

    def __init__(self, comprehend: Any, local: LocalAnalyzer | None = None) -> None:
        self._client = comprehend
        self._local = local or LocalAnalyzer()

    def analyze(self, documents: Sequence[Document]) -> list[Signals | Exception]:
        results = self._local.analyze(documents)
        texts = [truncate_utf8(d.text) for d in documents]
        units = [0] * len(documents)
        languages: dict[int, str | None] = {}

        need_language = [i for i, d in enumerate(documents) if not d.lang_hint and texts[i].strip()]
        for i, outcome in self._batch("batch_detect_dominant_language", need_language, texts, _top_language).items():
            if isinstance(outcome, Exception):
                results[i] = outcome
            else:
                languages[i] = outcome
            units[i] += billed_units(texts[i])

        by_language: dict[str, list[int]] = defaultdict(list)
        for i, document in enumerate(documents):
            result = results[i]
            if isinstance(result, Exception) or not texts[i].strip():
                continue
            language = document.lang_hint or languages.get(i) or result.language
            if language in SENTIMENT_LANGUAGES:
                by_language[language].append(i)
        sentiments: dict[int, tuple[SentimentLabel, float]] = {}
        for language, indexes in by_language.items():
            for i, outcome in self._batch(
                "batch_detect_sentiment", indexes, texts, _sentiment, LanguageCode=language
            ).items():
                if isinstance(outcome, Exception):
                    results[i] = outcome
                else:
                    sentiments[i] = outcome
                units[i] += billed_units(texts[i])

        for i, result in enumerate(results):
            if isinstance(result, Exception):
                continue
            label, score = sentiments.get(i, (result.sentiment, result.sentiment_score))
            results[i] = replace(
                result,
                language=documents[i].lang_hint or languages.get(i) or result.language,
                sentiment=label,
                sentiment_score=round(score, 3),
                analyzer=self.name,
                comprehend_units=result.comprehend_units + units[i],
            )
        return results

    def _batch(
        self,
        operation: str,
        indexes: list[int],
        texts: list[str],
        read: Callable[[dict[str, Any]], Any],
        **params: Any,
    ) -> dict[int, Any]:
        """Call a Batch API over `indexes` in chunks of 25; map each document index to its result or error."""
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


def _top_language(item: dict[str, Any]) -> str | None:
    candidates = item.get("Languages") or []
    if not candidates:
        return None
    best = max(candidates, key=lambda c: c.get("Score", 0))
    return str(best["LanguageCode"])


def _sentiment(item: dict[str, Any]) -> tuple[SentimentLabel, float]:
    label = _LABELS[item["Sentiment"]]
    score = float(item.get("SentimentScore", {}).get(label.capitalize(), 0.0))
    return label, score
