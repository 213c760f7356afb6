"""Composition root of respond's incidents (alarms, the spike detector, crisis mode), built on first use.

Apart from respond's main root (`bootstrap.py`) so the incident side and the task workflow grow without stepping on
each other; both read the same settings from the same environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.respond.incident_store import DynamoCrisisModes, DynamoIncidents, DynamoSignals, InboxWindow, SnsNotifier
from services.respond.incidents import IncidentService
from services.respond.spikes import SpikeWatch
from shared.bootstrap import LazyRoot
from shared.settings import Settings


@dataclass(frozen=True)
class IncidentRoot:
    settings: Settings
    crisis: DynamoCrisisModes
    service: IncidentService
    watch: SpikeWatch


def build(env: Mapping[str, str]) -> IncidentRoot:
    settings = Settings.from_env(env)
    crisis = DynamoCrisisModes(settings)
    service = IncidentService(DynamoIncidents(settings), crisis, SnsNotifier(settings))
    watch = SpikeWatch(DynamoSignals(settings), InboxWindow(settings), service)
    return IncidentRoot(settings, crisis, service, watch)


root = LazyRoot(build)
