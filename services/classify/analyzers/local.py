"""The local analyzer: no network, no AWS. Runs inside the classify Lambda as the first tier and is the whole
analyzer offline.

Language comes from lingua restricted to the languages Hark supports. Sentiment and intent come from a small,
explainable cue lexicon (first version): every decision carries the words that made it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from services.classify.analyzers.base import Document, Signals
from shared.events import Intent, SentimentLabel

if TYPE_CHECKING:
    from lingua import LanguageDetector

SUPPORTED_LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "ar", "hi")

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"[@#]\w+")
_WORD = re.compile(r"[\w']+", re.UNICODE)

_detector_lock = threading.Lock()


@cache
def _detector() -> LanguageDetector:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder  # noqa: PLC0415

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in SUPPORTED_LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def detect_language(text: str) -> str | None:
    cleaned = _HANDLE.sub(" ", _URL.sub(" ", text))
    if sum(ch.isalpha() for ch in cleaned) < 3:
        return None
    with _detector_lock:
        detector = _detector()
    language: Any = detector.detect_language_of(cleaned)
    return None if language is None else str(language.iso_code_639_1.name).lower()


# Cue lexicons, lower-case. Multi-word cues are matched on the normalised text, single words on tokens.
NEGATIVE = {
    "bad",
    "terrible",
    "awful",
    "horrible",
    "worst",
    "hate",
    "broken",
    "useless",
    "disappointed",
    "disappointing",
    "angry",
    "annoyed",
    "frustrated",
    "frustrating",
    "ridiculous",
    "unacceptable",
    "scam",
    "fraud",
    "rude",
    "slow",
    "failed",
    "fails",
    "failing",
    "error",
    "crash",
    "crashes",
    "crashed",
    "bug",
    "buggy",
    "wrong",
    "poor",
    "sucks",
    "never",
    "refund",
    "lost",
    "missing",
    "late",
    "delayed",
    "overcharged",
    "cancelled",
    "canceled",
    "stuck",
    "malo",
    "pésimo",
    "roto",
    "mauvais",
    "nul",
    "schlecht",
    "kaputt",
    "pessimo",
    "ruim",
}
POSITIVE = {
    "love",
    "loved",
    "great",
    "awesome",
    "amazing",
    "excellent",
    "perfect",
    "thanks",
    "thank",
    "happy",
    "fantastic",
    "wonderful",
    "best",
    "brilliant",
    "helpful",
    "nice",
    "good",
    "fast",
    "easy",
    "recommend",
    "recommended",
    "glad",
    "gracias",
    "genial",
    "excelente",
    "merci",
    "génial",
    "danke",
    "super",
    "grazie",
    "ottimo",
    "obrigado",
    "ótimo",
}
NEGATORS = {"not", "no", "never", "don't", "doesn't", "didn't", "isn't", "wasn't", "can't", "cannot", "won't"}
COMPLAINT_PHRASES = (
    "refund",
    "charged twice",
    "double charged",
    "never arrived",
    "never received",
    "not received",
    "still waiting",
    "doesn't work",
    "does not work",
    "not working",
    "stopped working",
    "isn't working",
    "broken",
    "cancel my",
    "worst",
    "unacceptable",
    "no one",
    "nobody",
    "no response",
    "been waiting",
    "wrong order",
    "damaged",
    "scam",
    "want my money",
    "fix this",
    "disappointed",
    "terrible",
    "horrible",
    "ridiculous",
    "complaint",
    "crash",
    "fails",
    "no funciona",
    "reembolso",
    "ne marche pas",
    "remboursement",
    "funktioniert nicht",
    "non funziona",
    "reembolso",
)
REQUEST_PHRASES = (
    "please",
    "can you",
    "could you",
    "would you",
    "i need",
    "we need",
    "help me",
    "need help",
    "dm me",
    "let me know",
    "is there a way",
    "por favor",
    "s'il vous plaît",
    "bitte",
    "per favore",
)
PRAISE_PHRASES = ("love", "thank", "thanks", "great job", "awesome", "amazing", "well done", "kudos", "best")
SPAM_PHRASES = (
    "check out my",
    "subscribe to my",
    "follow me",
    "free followers",
    "click here",
    "visit my",
    "earn money",
    "make money",
    "giveaway",
    "promo code",
    "dm for",
    "crypto",
    "investment opportunity",
    "win a",
)
QUESTION_STARTS = {
    "how",
    "what",
    "when",
    "where",
    "why",
    "who",
    "which",
    "can",
    "could",
    "is",
    "are",
    "do",
    "does",
    "did",
    "will",
    "should",
    "anyone",
    "cómo",
    "qué",
    "cuándo",
    "dónde",
    "comment",
    "quand",
    "où",
    "wie",
    "was",
    "wann",
    "wo",
}


def _matches(text: str, phrases: Sequence[str]) -> list[str]:
    return [p for p in phrases if re.search(rf"(?<!\w){re.escape(p)}", text)]


def lexicon_sentiment(text: str) -> tuple[SentimentLabel, float, list[str]]:
    tokens = _WORD.findall(text.lower())
    score = 0
    cues: list[str] = []
    for i, token in enumerate(tokens):
        polarity = 1 if token in POSITIVE else -1 if token in NEGATIVE else 0
        if polarity and any(t in NEGATORS for t in tokens[max(0, i - 3) : i]):
            polarity = -polarity  # "not good" / "never disappointed"
        if polarity:
            score += polarity
            cues.append(("+" if polarity > 0 else "-") + token)
    if score == 0:
        return "neutral", 0.6 if not cues else 0.5, cues
    strength = min(0.99, 0.55 + 0.15 * abs(score))
    return ("positive" if score > 0 else "negative"), strength, cues


def rules_intent(text: str) -> tuple[Intent, float, list[str]]:
    lowered = text.lower()
    without_urls = _URL.sub(" ", lowered)
    tokens = _WORD.findall(without_urls)
    spam = _matches(lowered, SPAM_PHRASES)
    if spam and (_URL.search(lowered) or len(spam) > 1):
        return "spam", 0.8, [f"spam: {spam[0]}"]
    if complaint := _matches(without_urls, COMPLAINT_PHRASES):
        return "complaint", 0.75, [f"complaint: {complaint[0]}"]
    if "?" in without_urls:
        return "question", 0.7, ["question"]
    if request := _matches(without_urls, REQUEST_PHRASES):
        return "request", 0.65, [f"request: {request[0]}"]
    if tokens and tokens[0] in QUESTION_STARTS and len(tokens) > 2:
        return "question", 0.6, ["question"]
    if praise := _matches(without_urls, PRAISE_PHRASES):
        return "praise", 0.65, [f"praise: {praise[0]}"]
    if len(tokens) >= 8:
        return "feedback", 0.4, []
    return "other", 0.4, []


class LocalAnalyzer:
    name = "local"

    def analyze(self, documents: Sequence[Document]) -> list[Signals | Exception]:
        results: list[Signals | Exception] = []
        for document in documents:
            try:
                results.append(self.analyze_one(document))
            except Exception as exc:  # one bad document fails only its own record
                results.append(exc)
        return results

    def analyze_one(self, document: Document) -> Signals:
        text = document.text
        sentiment, sentiment_score, sentiment_cues = lexicon_sentiment(text)
        intent, intent_score, intent_cues = rules_intent(text)
        return Signals(
            language=document.lang_hint or detect_language(text),
            sentiment=sentiment,
            sentiment_score=round(sentiment_score, 3),
            intent=intent,
            intent_score=intent_score,
            spam=intent == "spam",
            cues=tuple(intent_cues),
            analyzer=self.name,
            extras={"sentiment_cues": sentiment_cues},
        )
