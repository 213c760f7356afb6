"""Personal data in what respond answers (pure): those who answer people (agents, approvers, safety, admins) and
partner tools read it; a viewer (a wall screen, a manager's report) gets each span of it masked, character for
character, so the spans still say where and what kind it was. The masking is done here, before the answer leaves
respond, not by the screen."""

from __future__ import annotations

from collections.abc import Iterable

from shared.auth import Principal, Role
from shared.events import PiiSpan, StoredMention, Task

PII_READERS: frozenset[Role] = frozenset({"agent", "approver", "safety", "admin", "partner"})
MASK = "•"


def may_read_pii(principal: Principal) -> bool:
    return principal.has_any(PII_READERS)


def masked(text: str, spans: Iterable[PiiSpan]) -> str:
    chars = list(text)
    for span in spans:
        for i in range(max(0, span.start), min(span.end, len(chars))):
            if not chars[i].isspace():
                chars[i] = MASK
    return "".join(chars)


def mention_for(principal: Principal, mention: StoredMention) -> StoredMention:
    spans = mention.classification.pii if mention.classification else ()
    if not spans or may_read_pii(principal):
        return mention
    return mention.model_copy(update={"text": masked(mention.text, spans)})


def task_for(principal: Principal, task: Task) -> Task:
    if not task.preview.pii or may_read_pii(principal):
        return task
    preview = task.preview.model_copy(update={"text": masked(task.preview.text, task.preview.pii)})
    return task.model_copy(update={"preview": preview})
