"""The brand's own handles as evidence of whom a text is addressed to (analyzers/addressee.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.classify.analyzers.addressee import BrandHandles
from services.classify.analyzers.base import Document
from services.classify.analyzers.local import LocalAnalyzer
from services.classify.bootstrap import make_classifier
from services.classify.policy import TriagePolicy
from services.classify.triage import triage
from shared.settings import Settings
from tests.unit.test_triage import mention

HANDLES = BrandHandles.of(["@AcmeHelp", "acme", "  ", "@"])


@pytest.mark.parametrize(
    ("text", "addressed"),
    [
        ("@AcmeHelp my parcel never came", True),
        ("@joe @acmehelp look at this", True),  # the brand among the people a reply opens with
        ("Really @Acme? Second blender this month", True),
        (".@acme why is the app down", True),
        ("@joe how is the reunion coming out in 9 days?", False),
        ("@joe, @amy: dinner at 8", False),
        ("Loved the photos by @joe", None),  # someone else named mid-text says nothing
        ("my parcel never came", None),
        ("@acmeholdings is not @acme's care account", True),
    ],
)
def test_the_handles_say_whom_a_text_addresses(text: str, addressed: bool | None) -> None:
    assert HANDLES.addressed(text) is addressed


def test_no_handles_configured_say_nothing() -> None:
    assert not BrandHandles.of([])
    assert BrandHandles.of([]).addressed("@AcmeHelp my parcel never came") is None
    assert HANDLES.names == frozenset({"acmehelp", "acme"})
    assert BrandHandles.of(["@acme"]).addressed("@acmeholdings hello") is False  # a longer handle is another one


def test_the_policy_configures_the_local_analyzer_with_the_handles() -> None:
    policy = TriagePolicy.from_json('{"brand_handles": ["@AcmeHelp"]}')
    assert policy.brand_handles == frozenset({"@AcmeHelp"})
    settings = Settings(analyzer="local", triage_policy='{"brand_handles": ["@AcmeHelp"]}')
    classifier = make_classifier(settings)
    assert classifier.local.handles.names == frozenset({"acmehelp"})


def test_abuse_in_a_reply_among_other_people_is_not_the_brands_to_moderate() -> None:
    local = LocalAnalyzer(brand_handles=("@AcmeHelp",))
    now = datetime(2026, 12, 2, tzinfo=UTC)
    for text, needs in (
        ("@Joe your service is garbage, you useless idiots", False),  # among other people (text alone: 0.76)
        ("@AcmeHelp you are useless idiots, shut up", True),  # on the brand's own surface: moderation
    ):
        signals = local.analyze_one(Document("x", text))
        assert signals.toxic, text
        assert triage(mention(text, addressed=None), signals, now).needs_response is needs, text
