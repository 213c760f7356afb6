"""respond's `stats` table: the overview's hourly counters (`services/respond/stats.py` says what they count).
respond is its only writer; every write is an atomic ADD, so concurrent functions never lose a count."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from services.respond.stats import KEEP, Slot
from shared.aws import translate_errors
from shared.resources import STATS
from shared.settings import Settings
from shared.store.binding import bind_models

BATCH_GET = 100


class StatsRecord(Model):
    class Meta:
        table_name = "hark-unbound-stats"

    day = UnicodeAttribute(hash_key=True)
    slot = UnicodeAttribute(range_key=True)
    n = NumberAttribute(default=0)
    expires = TTLAttribute(null=True)


MODELS: dict[type[Model], Any] = {StatsRecord: STATS}


class DynamoStats:
    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def add(self, counts: Mapping[Slot, int], now: datetime) -> None:
        with translate_errors("count for the overview"):
            for slot, n in counts.items():
                StatsRecord(slot.day, slot.slot).update(
                    actions=[StatsRecord.n.add(n), StatsRecord.expires.set(now + KEEP)]
                )

    def rows(self, days: Iterable[str]) -> list[tuple[str, str, int]]:
        out: list[tuple[str, str, int]] = []
        with translate_errors("read the overview's counts"):
            for day in days:
                out += [(r.day, r.slot, int(r.n)) for r in StatsRecord.query(day)]
        return out

    def get(self, keys: Iterable[Slot]) -> dict[Slot, int]:
        wanted = list(dict.fromkeys(keys))
        found: dict[Slot, int] = {}
        with translate_errors("read the overview's counts"):
            for start in range(0, len(wanted), BATCH_GET):
                chunk = [(k.day, k.slot) for k in wanted[start : start + BATCH_GET]]
                for record in StatsRecord.batch_get(chunk):
                    found[Slot(record.day, record.slot)] = int(record.n)
        return found
