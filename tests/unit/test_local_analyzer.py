from __future__ import annotations

import pytest

from services.classify.analyzers.base import Document, Signals
from services.classify.analyzers.local import LocalAnalyzer, detect_language, lexicon_sentiment, rules_intent


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("My order never arrived and nobody answers my emails", "en"),
        ("Mi pedido nunca llegó y nadie responde a mis correos", "es"),
        ("Ma commande n'est jamais arrivée et personne ne répond", "fr"),
        ("Meine Bestellung ist nie angekommen und niemand antwortet", "de"),
        ("Il mio ordine non è mai arrivato e nessuno risponde", "it"),
        ("Meu pedido nunca chegou e ninguém responde", "pt"),
    ],
)
def test_language_of_ordinary_sentences(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_too_little_text_has_no_language() -> None:
    assert detect_language("👍🔥") is None
    assert detect_language("https://x.co/abc @brand") is None


def test_negation_flips_sentiment_and_the_cues_say_why() -> None:
    label, _, cues = lexicon_sentiment("The update is not good, support was terrible")
    assert label == "negative"
    assert cues == ["-good", "-terrible"]
    assert lexicon_sentiment("I love it, thanks!")[0] == "positive"
    assert lexicon_sentiment("The meeting is at noon")[0] == "neutral"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I was charged twice, I want a refund", "complaint"),
        ("How do I export my data?", "question"),
        ("Could you send me the invoice please", "request"),
        ("Love the new release, great job team", "praise"),
        ("Check out my channel for free followers http://spam.example", "spam"),
        ("ok", "other"),
    ],
)
def test_intent_rules(text: str, intent: str) -> None:
    assert rules_intent(text)[0] == intent


def test_a_platform_language_hint_wins_and_one_bad_document_fails_alone() -> None:
    class Exploding(str):
        def lower(self) -> str:
            raise RuntimeError("boom")

    results = LocalAnalyzer().analyze(
        [Document("a", "Where is my parcel?", lang_hint="pt"), Document("b", Exploding("x"))]
    )
    first, second = results
    assert isinstance(first, Signals)
    assert (first.language, first.intent) == ("pt", "question")
    assert isinstance(second, RuntimeError)
