"""Personal data in what respond answers (pure): those who answer people (agents, approvers, safety, admins) and
partner tools read it; a viewer (a wall screen, a manager's report) gets each span of it masked, character for
character, so the spans still say where and what kind it was. The masking is done here, before the answer leaves
respond, not by the screen. Reply context that is a credential is never served, to anyone."""

from __future__ import annotations

from collections.abc import Iterable

from shared.auth import Principal, Role
from shared.events import PRIVATE_REPLY_CONTEXT, PiiSpan, StoredMention, Task

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
    mention = without_credentials(mention)
    spans = mention.classification.pii if mention.classification else ()
    if not spans or may_read_pii(principal):
        return mention
    return mention.model_copy(update={"text": masked(mention.text, spans)})


def without_credentials(mention: StoredMention) -> StoredMention:
    """Reply context that is a credential (Discord's interaction token) stays inside Hark, whoever asks."""
    if not PRIVATE_REPLY_CONTEXT & set(mention.reply_context):
        return mention
    kept = {k: v for k, v in mention.reply_context.items() if k not in PRIVATE_REPLY_CONTEXT}
    return mention.model_copy(update={"reply_context": kept})


def task_for(principal: Principal, task: Task) -> Task:
    if not task.preview.pii or may_read_pii(principal):
        return task
    preview = task.preview.model_copy(update={"text": masked(task.preview.text, task.preview.pii)})
    return task.model_copy(update={"preview": preview})
