"""Drafts from templates (pure), and the port an optional LLM drafter plugs into.

A template's `{variables}` are filled from what the caller gives, then from the task (the customer's first name
and handle) and the agent (their name from the config); an order reference found in the customer's message fills
`{order_ref}`. A variable nobody can fill is left out with the words around it kept readable (never `{...}` in a
reply).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from shared.config import HarkConfig, Template
from shared.events import Task

ORDER_REF = re.compile(
    r"(?i)\b(?:order|pedido|commande|bestellung|ordine)\s*(?:no\.?|number|n[º°o]|#)?\s*[:#]?\s*"
    r"([A-Z0-9][A-Z0-9-]{3,19})\b"
)


def first_name(task: Task) -> str | None:
    if task.author is None:
        return None
    if task.author.name:
        return task.author.name.split()[0]
    return task.author.handle.lstrip("@") if task.author.handle else None


def variables_for(
    task: Task, agent: str, config: HarkConfig, customer_text: str, given: Mapping[str, str]
) -> dict[str, str]:
    user = config.user(agent)
    found = ORDER_REF.search(customer_text)
    values = {
        "first_name": first_name(task) or "",
        "name": (task.author.name if task.author else None) or "",
        "handle": (task.author.handle if task.author else None) or "",
        "order_ref": found.group(1) if found else "",
        "agent_name": (user.name if user and user.name else agent),
        "brand": config.workflow.brand,
    }
    values.update({k: v for k, v in given.items() if v})
    return values


def render(template: Template, values: Mapping[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        return values.get(match.group(1), "")

    text = re.sub(r"\{(\w+)\}", fill, template.text)
    # "Hi , thanks" → "Hi, thanks" when a name was not known.
    text = re.sub(r"\s+([,.!?])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def suggested(config: HarkConfig, intent: str | None, language: str | None) -> list[Template]:
    """Templates for the task's intent in the customer's language, then in English."""
    fitting = [t for t in config.templates if not t.intents or (intent is not None and intent in t.intents)]
    own = [t for t in fitting if t.language == (language or "en")]
    return own or [t for t in fitting if t.language == "en"]


class Drafter(Protocol):
    """An optional LLM drafting hook: given the task and the thread, propose reply texts. Off by default; Hark
    never needs one (templates suggest replies without it)."""

    def propose(self, task: Task, thread: Sequence[str], language: str | None) -> list[str]: ...


class NoDrafter:
    def propose(self, task: Task, thread: Sequence[str], language: str | None) -> list[str]:
        return []
