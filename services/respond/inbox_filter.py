"""The inbox's filters and search, applied by respond to every stored mention rather than by the screen to what it
has loaded: a mention matches when its network, account, classification, conversation and words all fit. Reading
stops after a bounded number of mentions; the answer's cursor then says where to go on, so a rare match deep in
the history costs several calls, never one unbounded one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from shared.events import StoredMention

# Mentions read for one answer at most (about 1 MB of DynamoDB reads at the usual size of a stored mention).
SCAN_BUDGET = 1000


@dataclass(frozen=True)
class MentionFilter:
    network: str | None = None
    account: str | None = None
    sentiment: str | None = None
    intent: str | None = None
    language: str | None = None
    search: str | None = None
    # The conversations a queue or assignee filter allows (None: no such filter).
    task_ids: frozenset[str] | None = None

    def active(self) -> bool:
        return any(
            v is not None
            for v in (
                self.network,
                self.account,
                self.sentiment,
                self.intent,
                self.language,
                self.search,
                self.task_ids,
            )
        )


def network_of(mention: StoredMention) -> str:
    """The network a mention was heard on: Meta's channels name Facebook, Instagram, Messenger or WhatsApp."""
    head = mention.channel.split(".", 1)[0]
    return head or mention.platform


def matches(mention: StoredMention, f: MentionFilter) -> bool:
    """`mention` as the caller sees it (masked for a viewer): a search never finds words it may not read."""
    c = mention.classification
    if f.network is not None and f.network not in (network_of(mention), mention.platform):
        return False
    if f.account is not None and mention.account_id != f.account:
        return False
    if f.sentiment is not None and (c is None or c.sentiment != f.sentiment):
        return False
    if f.intent is not None and (c is None or c.intent != f.intent):
        return False
    if f.language is not None and (c is None or (c.language or "") != f.language):
        return False
    if f.task_ids is not None and mention.task_id not in f.task_ids:
        return False
    if f.search:
        author = mention.author
        words = f"{mention.text}\n{author.handle or ''}\n{author.name or ''}".casefold()
        if f.search.casefold() not in words:
            return False
    return True


@dataclass(frozen=True)
class Filtered:
    items: list[StoredMention]
    next_cursor: str | None  # the stored position to read on from (None: read to the end)
    scanned: int


def take(
    stream: Iterable[tuple[str, StoredMention]],
    keep: Callable[[StoredMention], bool],
    limit: int,
    encode: Callable[[str], str],
    budget: int | None = None,
) -> Filtered:
    """Up to `limit` mentions of `stream` (position, mention; newest first) that `keep` keeps, reading at most
    `budget`. The cursor is the position of the last mention read, so the next call neither repeats nor skips."""
    budget = SCAN_BUDGET if budget is None else budget
    found: list[StoredMention] = []
    scanned = 0
    last: str | None = None
    iterator: Iterator[tuple[str, StoredMention]] = iter(stream)
    for position, mention in iterator:
        scanned += 1
        last = position
        if keep(mention):
            found.append(mention)
            if len(found) == limit:
                break
        if scanned >= budget:
            break
    else:
        return Filtered(found, None, scanned)  # the stream ended: nothing more to read
    return Filtered(found, encode(last) if last is not None else None, scanned)
