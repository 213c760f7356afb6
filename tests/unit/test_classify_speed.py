"""The local analyzer's fast paths give exactly what the plain computation gives, and skip work only where it
cannot change the answer."""

from __future__ import annotations

import pytest

from services.classify.analyzers import language
from services.classify.analyzers.features import _names, bucket, featurise, normalise, tokens
from services.classify.analyzers.linear import CHUNK, LinearModel
from services.classify.analyzers.local import MODEL_NAMES, MODELS, LocalAnalyzer, Models

TEXTS = (
    "My order never arrived and nobody answers my emails",
    "@AcmeHelp how do I reset my password? http://acme.example/x",
    "\uff46\uff55\uff4c\uff4c width \U0001f600\U0001f600",  # full-width letters and emoji
    "a",
    "",
    " ".join(f"colis{n} arrivé{n * 7}" for n in range(200)),  # far more buckets than a chunk of them holds
)


@pytest.mark.parametrize("text", [*TEXTS, "a lone \ud800 surrogate"])
def test_hashed_features_are_the_buckets_of_the_feature_names(text: str) -> None:
    normalised = normalise(text)
    expected = {bucket(name) for name in _names(normalised, tokens(normalised))}
    expected.add(bucket("m:bias"))
    assert set(featurise(text).text) >= expected
    assert set(featurise(text).text) - expected <= {bucket("m:question"), bucket("m:url")}


def test_all_models_scored_together_score_as_each_alone() -> None:
    banked = Models.load()
    assert len(featurise(TEXTS[-1]).text) > CHUNK
    for name in MODEL_NAMES:
        alone = LinearModel.load(MODELS / f"{name}.hark")
        for text in TEXTS:
            features = featurise(text)
            assert getattr(banked, name).logits(features) == pytest.approx(alone.logits(features), abs=1e-12)


def test_lingua_is_asked_only_when_the_trained_model_is_unsure(monkeypatch: pytest.MonkeyPatch) -> None:
    identifier = LocalAnalyzer().router.identifier
    asked: list[str] = []
    real = language.lingua_confidences

    def spy(text: str) -> dict[str, float]:
        asked.append(text)
        return real(text)

    monkeypatch.setattr(language, "lingua_confidences", spy)
    sure = "My parcel never arrived and nobody from customer service has answered my emails"
    assert identifier.identify(sure, featurise(sure))[0] == "en"
    assert asked == []
    short = "hola"  # one word: the trained model mostly guesses, lingua decides
    identifier.identify(short, featurise(short))
    assert asked == [short]
