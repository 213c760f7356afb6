"""Language identification and the choice of sentiment model.

The language is the trained character-n-gram model's distribution plus lingua's confidences (lingua restricted
to Hark's languages, high-accuracy mode: about a millisecond a text, and 0.6-0.9 s to load its models on first
use), lingua asked only when the trained model is not sure (below 0.8, or a text of one or two words).
The trained model knows romanised Hindi (Hinglish), which lingua does not; lingua is better on very short texts,
so on texts of one or two words the trained model counts half. Texts in a script none of those languages use
(CJK, Cyrillic, ...) get no language, and Comprehend's tier takes them. Sentiment uses the English model (with
VADER's lexicon) for English and the multilingual one otherwise.
"""

from __future__ import annotations

import threading
import unicodedata
from functools import cache
from typing import TYPE_CHECKING, Any

from services.classify.analyzers.features import Features, featurise
from services.classify.analyzers.lexicon import dense_features
from services.classify.analyzers.linear import LinearModel, Prediction

if TYPE_CHECKING:
    from lingua import LanguageDetector

SUPPORTED = ("en", "es", "fr", "de", "it", "pt", "ar", "hi")
LINGUA_WEIGHT = 1.0
SHORT_WORDS = 2
SHORT_TEXT_WEIGHT = 0.5
MIN_CONFIDENCE = 0.3
# Above this probability of the trained model (on texts of three words or more) lingua is not asked.
TRAINED_SURE = 0.8
_SCRIPTS_WE_READ = ("LATIN", "ARABIC", "DEVANAGARI")
_lock = threading.Lock()


@cache
def _lingua() -> LanguageDetector:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder  # noqa: PLC0415

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in SUPPORTED]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def lingua_confidences(text: str) -> dict[str, float]:
    with _lock:
        detector = _lingua()
    values: Any = detector.compute_language_confidence_values(text)
    return {str(v.language.iso_code_639_1.name).lower(): float(v.value) for v in values}


def foreign_script(text: str) -> bool:
    """True when most letters are in a script none of the supported languages is written in."""
    ours = theirs = 0
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        if name.startswith(_SCRIPTS_WE_READ):
            ours += 1
        else:
            theirs += 1
    return theirs > ours


class LanguageIdentifier:
    def __init__(self, model: LinearModel) -> None:
        self._model = model

    def identify(self, text: str, features: Features) -> tuple[str | None, float]:
        if sum(c.isalpha() for c in text) < 3 or foreign_script(text):
            return None, 0.0
        # On one or two words the trained model mostly guesses; it still knows Hinglish, which lingua does not.
        short = sum(1 for w in features.words if w[:1].isalpha()) <= SHORT_WORDS
        trained = self._model.predict(features).probabilities
        best = max(trained, key=trained.__getitem__)
        if not short and trained[best] >= TRAINED_SURE:
            # lingua is most of the analyzer's time (about a millisecond a text); where the trained model is sure it
            # would not change the answer (UMSAB test and UMass accuracy unchanged, lingua on 35% of the texts).
            return best, round(trained[best], 3)
        lingua = lingua_confidences(text)
        weight = SHORT_TEXT_WEIGHT if short else 1.0
        combined = {c: weight * trained.get(c, 0.0) + LINGUA_WEIGHT * lingua.get(c, 0.0) for c in SUPPORTED}
        best = max(combined, key=combined.__getitem__)
        confidence = combined[best] / (weight + LINGUA_WEIGHT)
        return (best if confidence >= MIN_CONFIDENCE else None), round(confidence, 3)


class SentimentRouter:
    """Sentiment by language; also the stacked sentiment features the complaint model was trained with."""

    def __init__(self, language: LinearModel, english: LinearModel, multilingual: LinearModel) -> None:
        self.identifier = LanguageIdentifier(language)
        self._english = english
        self._multilingual = multilingual

    def sentiment_model(self, language: str | None) -> LinearModel:
        return self._english if language == "en" else self._multilingual

    def sentiment(self, features: Features, dense: dict[str, float], language: str | None) -> Prediction:
        return self.sentiment_model(language).predict(features, dense)

    @staticmethod
    def as_dense(prediction: Prediction) -> dict[str, float]:
        return {f"sent_{label}": p for label, p in prediction.probabilities.items()}

    def dense_for(self, text: str) -> dict[str, float]:
        features = featurise(text)
        language, _ = self.identifier.identify(text, features)
        return self.as_dense(self.sentiment(features, dense_features(text), language))
