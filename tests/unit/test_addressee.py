"""The brand's own handles as evidence of whom a text is addressed to (analyzers/addressee.py)."""

from __future__ import annotations

import pytest

from services.classify.analyzers.addressee import BrandHandles
from services.classify.bootstrap import make_classifier
from services.classify.policy import TriagePolicy
from shared.settings import Settings

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
