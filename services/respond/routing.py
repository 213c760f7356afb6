"""Routing and assignment (pure): which queue a mention goes to, and who in the queue's team gets a new task.

A suspected adverse event goes to the safety queue (`safety.queue`) before any rule is tried: drug safety must
not depend on someone having written the rule. Then rules are tried in order; the first whose every condition
holds picks the queue, else `default_queue`. A later message in the thread moves the task only to a queue of an
earlier rule (a suspected adverse event in a care thread goes to safety; a thank-you does not pull it back).

Round robin within a team: the member holding the fewest tasks gets the next one, skipping members who are away,
at capacity, or (when they list languages) do not speak the customer's; ties go to the member who got a task
least recently, then by id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from shared.config import HarkConfig, Match
from shared.events import Classification, Mention


def _has_phrase(phrase: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", text) is not None


def matches(when: Match, mention: Mention, classification: Classification) -> bool:
    checks = (
        when.platform is None or mention.platform in when.platform,
        when.channel is None or mention.channel in when.channel,
        when.account is None or (mention.account_id or "") in when.account,
        when.language is None or (classification.language or "") in when.language,
        when.intent is None or classification.intent in when.intent,
        when.sentiment is None or classification.sentiment in when.sentiment,
        when.priority_at_least is None or classification.priority >= when.priority_at_least,
        when.keywords is None or any(_has_phrase(k, mention.text.lower()) for k in when.keywords),
        when.vip is None or ("VIP" in classification.reasons) == when.vip,
        when.toxic is None or classification.toxic == when.toxic,
        when.adverse_event is None or classification.adverse_event == when.adverse_event,
    )
    return all(checks)


@dataclass(frozen=True)
class Route:
    queue: str
    rule: int | None  # index of the rule that matched; None: the default queue
    name: str | None = None

    @property
    def precedence(self) -> int:
        return self.rule if self.rule is not None else 1_000_000


# The place of the built-in safety rule: before every configured rule (index 0 and up).
SAFETY_RULE = -1


def route(mention: Mention, classification: Classification, config: HarkConfig) -> Route:
    if classification.adverse_event and config.safety.queue in config.queues:
        return Route(config.safety.queue, SAFETY_RULE, "suspected adverse event (safety)")
    for index, rule in enumerate(config.routing):
        if matches(rule.when, mention, classification):
            return Route(rule.queue, index, rule.name)
    return Route(config.default_queue, None)


@dataclass(frozen=True)
class Load:
    held: int
    last_assigned: datetime | None


def pick_assignee(config: HarkConfig, queue: str, language: str | None, loads: Mapping[str, Load]) -> str | None:
    """The member to give a new task to under round robin, or None (manual team, nobody free)."""
    team = config.team_of(queue)
    if team.assignment != "round_robin":
        return None
    workers = set(config.queue(queue).workers)
    candidates = []
    for member in team.members:
        user = config.user(member)
        if user is None or user.away or not workers.intersection(user.roles):
            continue
        if user.languages and language and language not in user.languages:
            continue
        load = loads.get(member, Load(0, None))
        if load.held >= user.capacity:
            continue
        candidates.append((load.held, load.last_assigned.timestamp() if load.last_assigned else 0.0, member))
    return min(candidates)[2] if candidates else None
