"""YouTube's WebSub leases renewed on a schedule, against the fake hub answered in process: a configured channel
with no lease is subscribed (callback, topic, secret, async verification), the hub's verification through the
`youtube` webhook keeps the lease beside the source's cursors, a run while the lease is long is quiet, a lease near
its end is renewed, a request the hub has not verified yet is not repeated, and a hub that refuses is asked again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from devstack.fakes import FakePlatforms
from services.ingest.platforms.base import Handshake
from services.ingest.platforms.youtube import YouTube
from services.ingest.service import IngestService
from services.ingest.watch import ConfiguredChannels, VideoWatch
from services.ingest.websub import LEASE_FEED, RENEW_BEFORE, WebSubRenewer, topic_of
from shared.secrets import EnvSecrets
from shared.settings import Settings, dev_platform_secret
from tests.pollkit import Clock, InProcess, MemoryCursors, Queued, config_with

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHANNEL = "UCacme00000000000000000A"


class World:
    def __init__(self, fake: FakePlatforms, **source: object) -> None:
        self.http = InProcess(fake)
        self.config = config_with(
            {"yt": {"platform": "youtube", "channel": CHANNEL, "websub_hub": self.http.base("websub"), **source}}
        )
        self.cursors = MemoryCursors()
        self.clock = Clock(START)
        settings = Settings.from_env({"HARK_STAGE": "local"})
        secrets = EnvSecrets(settings)
        self.ingest = IngestService(
            settings,
            secrets,
            Queued(),
            {"youtube": YouTube(channels=ConfiguredChannels(self.config))},
            notices=VideoWatch(self.config, self.cursors),
        )
        self.renewer = WebSubRenewer(
            self.config, self.cursors, secrets, "https://hark.example/prod/", http=self.http.call, clock=self.clock
        )
        fake.hub_callback = self.callback

    def callback(self, url: str) -> tuple[int, str]:
        """The `youtube` webhook's GET, as the edge hands it to the ingest core."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://hark.example/prod/webhooks/youtube"
        answer = self.ingest.handshake(Handshake("youtube", dict(parse_qsl(parts.query)), received_at=self.clock.now))
        return 200, answer.body

    def outcome(self) -> str:
        [renewal] = self.renewer.renew().sources
        return renewal.outcome


@pytest.fixture
def fake() -> FakePlatforms:
    return FakePlatforms(listen=False)


def test_a_channel_without_a_lease_is_subscribed_and_the_verified_lease_is_kept(fake: FakePlatforms) -> None:
    world = World(fake)
    assert world.outcome() == "requested"
    [asked] = fake.subscriptions
    assert asked["hub.callback"] == "https://hark.example/prod/webhooks/youtube"
    assert asked["hub.topic"] == topic_of(CHANNEL)
    assert (asked["hub.mode"], asked["hub.verify"]) == ("subscribe", "async")
    assert asked["hub.secret"] == dev_platform_secret("youtube")  # the notifications are signed with it
    assert fake.verifications == [(topic_of(CHANNEL), True)]  # the webhook answered the hub's challenge
    lease = world.cursors.cursor("yt", LEASE_FEED)
    assert lease.expires_at == START + timedelta(days=10)
    assert ("yt", "websub:requested") not in world.cursors.items  # verified: nothing pending
    world.clock.advance(days=1)
    assert world.outcome() == "current"
    assert len(fake.subscriptions) == 1


def test_a_lease_near_its_end_is_renewed_before_it_ends(fake: FakePlatforms) -> None:
    world = World(fake)
    world.outcome()
    world.clock.now = START + timedelta(days=10) - RENEW_BEFORE + timedelta(minutes=1)
    assert world.outcome() == "requested"
    assert len(fake.subscriptions) == 2
    assert world.cursors.cursor("yt", LEASE_FEED).expires_at == world.clock.now + timedelta(days=10)


def test_a_request_the_hub_has_not_verified_is_not_repeated_and_a_refusal_is_asked_again(fake: FakePlatforms) -> None:
    world = World(fake)
    fake.hub_callback = lambda url: (200, "not the challenge")  # the verification fails: no lease
    assert world.outcome() == "requested"
    assert fake.verifications == [(topic_of(CHANNEL), False)]
    world.clock.advance(minutes=30)
    assert world.outcome() == "pending"
    assert len(fake.subscriptions) == 1
    world.clock.advance(hours=1)  # the hub never verified: asked again
    fake.refuse("websub", 503, None)
    assert world.outcome() == "refused"
    fake.hub_callback = world.callback
    assert world.outcome() == "requested"  # the next run, after a refusal
    assert world.cursors.cursor("yt", LEASE_FEED).expires_at is not None


def test_an_ended_subscription_is_renewed_at_the_next_run(fake: FakePlatforms) -> None:
    world = World(fake)
    world.outcome()
    ended = {"hub.mode": "unsubscribe", "hub.topic": topic_of(CHANNEL), "hub.challenge": "c"}
    world.ingest.handshake(Handshake("youtube", ended, received_at=world.clock.now))
    assert ("yt", LEASE_FEED) not in world.cursors.items
    assert world.outcome() == "requested"


def test_nothing_is_asked_without_a_public_url_or_for_a_source_that_opted_out(fake: FakePlatforms) -> None:
    world = World(fake)
    world.renewer = WebSubRenewer(world.config, world.cursors, EnvSecrets(Settings()), None, http=world.http.call)
    [renewal] = world.renewer.renew().sources
    assert renewal.outcome == "not_configured" and "HARK_PUBLIC_URL" in renewal.detail
    assert World(fake, websub=False).renewer.renew().sources == []
    assert fake.subscriptions == []
