"""Model files, the tiering plan and the triage policy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.classify.analyzers.base import Document, Signals
from services.classify.analyzers.features import BITS, featurise
from services.classify.analyzers.linear import MAGIC, LinearModel, encode
from services.classify.analyzers.local import MODEL_NAMES, MODELS, LocalAnalyzer
from services.classify.pipeline import EVERYTHING, Classifier, plan
from services.classify.policy import ComprehendSpend, TriagePolicy
from shared.errors import NotConfigured
from shared.events import Author, Mention

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_every_shipped_model_loads_and_is_small() -> None:
    total = 0
    for name in MODEL_NAMES:
        path = MODELS / f"{name}.hark"
        model = LinearModel.load(path)
        assert model.name == name
        assert 0 < model.threshold < 1
        total += path.stat().st_size
    assert total < 6_000_000
    shipped = sum(p.stat().st_size for p in MODELS.iterdir() if p.is_file())
    assert shipped <= 20_000_000  # the budget for model files in the Lambda package


def _model(tmp_path: Path, bits: int = BITS, body: bytes | None = None) -> Path:
    header = {"name": "t", "bits": bits, "kind": "sigmoid", "classes": ["no", "yes"], "scales": [1.0], "bias": [0.0]}
    path = tmp_path / "t.hark"
    path.write_bytes(encode(header, [body if body is not None else bytes(1 << bits)]))
    return path


def test_model_files_are_checked_on_load(tmp_path: Path) -> None:
    assert LinearModel.load(_model(tmp_path)).positive(featurise("anything")) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="weight bytes"):
        LinearModel.load(_model(tmp_path, body=b"\x00" * 10))
    with pytest.raises(ValueError, match="bits"):
        LinearModel.load(_model(tmp_path, bits=4, body=bytes(16)))
    (tmp_path / "bad.hark").write_bytes(b"NOPE" + MAGIC)
    with pytest.raises(ValueError, match="not a Hark model"):
        LinearModel.load(tmp_path / "bad.hark")


def test_a_weight_moves_the_score_by_its_bucket(tmp_path: Path) -> None:
    features = featurise("refund")
    weights = bytearray(1 << BITS)
    for index in features.text:
        weights[index] = 100
    header = {"name": "t", "bits": BITS, "kind": "sigmoid", "classes": ["no", "yes"], "scales": [0.01], "bias": [-1.0]}
    path = tmp_path / "w.hark"
    path.write_bytes(encode(header, [bytes(weights)]))
    model = LinearModel.load(path)
    assert model.logits(features)[0] == pytest.approx(-1.0 + len(features.text) ** 0.5, rel=1e-6)
    assert model.positive(featurise("something else")) < 0.5


def mention(text: str = "hello there", **fields: Any) -> Mention:
    values: dict[str, Any] = {
        "id": "m", "platform": "generic", "channel": "t", "kind": "comment", "native_id": "n", "thread_id": "t",
        "author": Author(id="a"), "text": text, "created_at": NOW, "received_at": NOW,
    }  # fmt: skip
    values.update(fields)
    return Mention.model_validate(values)


def signals(**fields: Any) -> Signals:
    values: dict[str, Any] = {"language": "en", "language_confidence": 0.95, "sentiment": "neutral"}
    values |= {"sentiment_score": 0.8, "intent": "other"}
    values.update(fields)
    return Signals(**values)


def test_tiered_plan_spends_only_where_it_helps() -> None:
    assert plan("local", mention(), signals(), routed=True) == frozenset()
    assert plan("comprehend", mention(), signals(), routed=False) == EVERYTHING
    assert plan("tiered", mention(), signals(), routed=False) == frozenset()  # clear, not routed: nothing
    assert plan("tiered", mention(), signals(sentiment_score=0.45), routed=False) == {"sentiment"}
    # Unsure, but addressed to nobody: Comprehend's reading could not route it, so it is not bought.
    assert plan("tiered", mention(), signals(sentiment_score=0.45, addressed=0.2), routed=False) == frozenset()
    assert plan("tiered", mention(), signals(language=None, language_confidence=0.0), routed=False) == {"language"}
    # Routed with no sign of personal data: only the custom classifier (called where one is configured).
    assert plan("tiered", mention(), signals(), routed=True) == {"custom"}
    named = mention("my order from John Lewis never came")
    assert plan("tiered", named, signals(), routed=True) == {"custom", "pii"}
    assert "pii" in plan("tiered", mention(), signals(adverse_event=True), routed=True)
    always = ComprehendSpend(pii="always", enrichments=frozenset({"entities", "key_phrases"}))
    spending = TriagePolicy(comprehend=always)
    assert plan("tiered", mention(), signals(), True, spending) == {"custom", "pii", "entities", "key_phrases"}
    assert "pii" not in plan("tiered", named, signals(), True, TriagePolicy(comprehend=ComprehendSpend(pii="never")))
    assert "toxicity" in plan("tiered", mention(), signals(toxicity=0.5), routed=True)
    assert "toxicity" not in plan("tiered", mention(), signals(toxicity=0.9, toxic=True), routed=True)
    assert "sentiment" in plan("tiered", mention(), signals(language="de"), routed=True)
    assert plan("tiered", mention(), signals(spam=True, intent="spam"), routed=True) == frozenset()
    assert plan("comprehend", mention(from_brand=True), signals(), routed=True) == frozenset()
    assert plan("tiered", mention("👍"), signals(sentiment_score=0.3), routed=False) == frozenset()
    assert plan("tiered", mention(), RuntimeError("failed"), routed=True) == frozenset()


class RecordingEnricher:
    def __init__(self) -> None:
        self.plans: list[frozenset[str]] = []

    def enrich(self, documents: Any, found: Any, plans: Any) -> list[Signals | Exception]:
        self.plans = list(plans)
        return list(found)


def test_the_classifier_asks_comprehend_only_for_what_the_plan_says() -> None:
    enricher = RecordingEnricher()
    classifier = Classifier("tiered", LocalAnalyzer(), enricher, TriagePolicy())  # type: ignore[arg-type]
    results = classifier.classify(
        [
            mention("I was charged twice on account 8823190 and want a refund now"),
            mention("I was charged twice and want a refund now"),
            mention("Great job, love it!"),
        ],
        NOW,
    )
    assert [r.needs_response for r in results] == [True, True, False]  # type: ignore[union-attr]
    assert "pii" in enricher.plans[0]  # routed, with an account number in it
    assert "pii" not in enricher.plans[1]  # routed, nothing personal to find
    assert not enricher.plans[2] & {"pii", "custom"}  # not routed: no enrichment
    with pytest.raises(ValueError, match="needs Comprehend"):
        Classifier("tiered", LocalAnalyzer())
    assert Document("a", "t").addressed is None


def test_policy_json_is_validated() -> None:
    policy = TriagePolicy.from_json('{"vip_authors": ["@BigClient"], "influencer_followers": 500}')
    assert policy.is_vip("123", "bigclient")
    assert policy.is_vip("123", "@BigClient")
    assert not policy.is_vip("123", "someone")
    assert TriagePolicy.from_json(None) == TriagePolicy()
    with pytest.raises(NotConfigured):
        TriagePolicy.from_json('{"vip_author": []}')
    spend = TriagePolicy.from_json('{"comprehend": {"pii": "always", "enrichments": ["entities"]}}').comprehend
    assert spend == ComprehendSpend(pii="always", enrichments=frozenset({"entities"}))
    with pytest.raises(NotConfigured):
        TriagePolicy.from_json('{"comprehend": {"enrichments": ["syntax"]}}')
    with pytest.raises(NotConfigured):
        TriagePolicy.from_json("{not json")


class SentimentFlippingEnricher:
    """Comprehend stand-in: for every planned mention, reads the sentiment as strongly negative."""

    def enrich(self, documents: Any, found: Any, plans: Any) -> list[Signals | Exception]:
        from dataclasses import replace

        return [
            s if isinstance(s, Exception) or not p else replace(s, sentiment="negative", sentiment_score=0.99)
            for s, p in zip(found, plans, strict=True)
        ]


def test_triage_runs_once_per_mention_and_again_only_where_comprehend_changed_the_signals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.classify import pipeline

    calls: list[str] = []
    real = pipeline.triage

    def counting(m: Mention, s: Signals, *args: Any) -> Any:
        calls.append(m.text)
        return real(m, s, *args)

    monkeypatch.setattr(pipeline, "triage", counting)
    classifier = Classifier("tiered", LocalAnalyzer(), SentimentFlippingEnricher(), TriagePolicy())  # type: ignore[arg-type]
    routed = "I was charged twice and want a refund now"  # needs a human: enriched (entities, PII, ...)
    own = "Thanks for reaching out, we are on it"  # the brand's own reply: Comprehend is never asked
    results = classifier.classify([mention(routed, native_id="1"), mention(own, native_id="2", from_brand=True)], NOW)
    assert calls.count(own) == 1
    assert calls.count(routed) == 2
    first, second = results
    assert not isinstance(first, Exception) and not isinstance(second, Exception)
    assert (first.sentiment, first.sentiment_score) == ("negative", 0.99)  # decided on Comprehend's reading
    assert second.reasons == ("sent by the brand",)
    assert second.sentiment_score != 0.99
