"""The one description of Hark's AWS resources.

The CDK app (`infra/`) and the local stack (`devstack/`) both build tables, queues, event-source mappings and
functions from these specs, so the cloud and the laptop cannot drift apart. Plain data: no boto3, no CDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

KeyType = Literal["S", "N"]

DAY = 24 * 3600


@dataclass(frozen=True)
class KeyAttr:
    name: str
    type: KeyType = "S"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: KeyAttr
    sort_key: KeyAttr | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True)
class TableSpec:
    key: str
    env_var: str
    owner: str  # the one service that writes it (docs/architecture.md)
    partition_key: KeyAttr
    sort_key: KeyAttr | None = None
    indexes: tuple[IndexSpec, ...] = ()
    ttl_attribute: str | None = None
    description: str = ""
    # Append-only (the audit log): every role that writes it may only put, never update, delete or batch-write.
    append_only: bool = False

    def physical_name(self, stage: str) -> str:
        return f"hark-{stage}-{self.key}"

    @property
    def key_attributes(self) -> tuple[KeyAttr, ...]:
        """Every attribute that a key schema (table or index) mentions, once each."""
        seen: dict[str, KeyAttr] = {}
        for attr in (self.partition_key, self.sort_key):
            if attr is not None:
                seen.setdefault(attr.name, attr)
        for index in self.indexes:
            for attr in (index.partition_key, index.sort_key):
                if attr is not None:
                    seen.setdefault(attr.name, attr)
        return tuple(seen.values())


@dataclass(frozen=True)
class QueueSpec:
    key: str
    env_var: str
    dlq_env_var: str
    visibility_timeout_s: int
    retention_s: int = 4 * DAY
    # Standard queues keep the original enqueue time, so the DLQ must keep messages longer than the source.
    dlq_retention_s: int = 14 * DAY
    max_receive_count: int = 5
    description: str = ""

    def physical_name(self, stage: str) -> str:
        return f"hark-{stage}-{self.key}"

    def dlq_name(self, stage: str) -> str:
        return f"hark-{stage}-{self.key}-dlq"


@dataclass(frozen=True)
class FailureQueueSpec:
    """Lambda's on-failure destination for asynchronously invoked functions (SNS, EventBridge): an event whose
    invocation still failed after Lambda's retries is put here as Lambda's destination record (the event, the
    error, the function), instead of being dropped. Alarmed like a dead-letter queue; nothing reads it but people."""

    key: str
    retention_s: int = 14 * DAY
    description: str = ""

    def physical_name(self, stage: str) -> str:
        return f"hark-{stage}-{self.key}"


@dataclass(frozen=True)
class SqsSource:
    """What Lambda's SQS event-source mapping is configured with."""

    queue: QueueSpec
    batch_size: int
    max_batching_window_s: int
    report_batch_item_failures: bool = True
    # The event source's MaximumConcurrency (2-1,000): how many batches run at once. None: Lambda's default.
    max_concurrency: int | None = None


@dataclass(frozen=True)
class BucketSpec:
    """An S3 bucket. Encrypted, private and TLS-only wherever it is built; the rest is what it is for."""

    key: str
    env_var: str
    owner: str  # the one service that writes it
    description: str = ""
    # Lifecycle: move to Infrequent Access after this many days; delete after that many (None: keep).
    infrequent_access_after_days: int | None = None
    expire_after_days: int | None = None
    # S3 Object Lock in compliance mode: no one, root included, can delete or overwrite an object this long.
    object_lock_days: int | None = None

    @property
    def versioned(self) -> bool:
        """Versioning only where Object Lock requires it. A versioned bucket keeps a deleted object as an old
        version: the raw archive must not, or an erasure (and the retention sweep) would delete nothing."""
        return self.object_lock_days is not None

    def physical_name(self, stage: str) -> str:
        """The local stack's name; in AWS CloudFormation names buckets (names are global) and passes it on."""
        return f"hark-{stage}-{self.key}"


@dataclass(frozen=True)
class TopicSpec:
    """An SNS topic people (or a function) subscribe to."""

    key: str
    env_var: str
    description: str = ""

    def physical_name(self, stage: str) -> str:
        return f"hark-{stage}-{self.key}"


@dataclass(frozen=True)
class ConfigSpec:
    """The configuration document (JSON): an SSM parameter in AWS, edited without a deploy."""

    env_var: str = "HARK_CONFIG_PARAMETER"

    def physical_name(self, stage: str) -> str:
        return f"/hark/{stage}/config"


@dataclass(frozen=True)
class FunctionSpec:
    key: str
    service: str
    handler: str  # dotted path of the Lambda entry point
    timeout_s: int
    memory_mb: int
    sqs_source: SqsSource | None = None
    http: bool = False
    reads: tuple[TableSpec, ...] = ()
    writes: tuple[TableSpec, ...] = ()
    sends_to: tuple[QueueSpec, ...] = ()
    reads_secret: bool = False
    # Stores refreshed OAuth tokens back in the secret's `tokens` (PutSecretValue).
    writes_secret: bool = False
    uses_comprehend: bool = False
    # An EventBridge schedule ("rate(5 minutes)", "cron(0 3 * * ? *)"); the local stack runs it on the same clock.
    schedule: str | None = None
    # Invoked by this SNS topic (respond's alarm handler on the alarm topic).
    sns_source: TopicSpec | None = None
    reads_buckets: tuple[BucketSpec, ...] = ()
    writes_buckets: tuple[BucketSpec, ...] = ()  # PutObject only: nothing overwrites through a role
    # DeleteObject: only a person's erasure and the archive's retention sweep delete what a bucket holds.
    erases_buckets: tuple[BucketSpec, ...] = ()
    # ListBucket (on the bucket, not its objects): the retention sweep finds what has outlived the config.
    lists_buckets: tuple[BucketSpec, ...] = ()
    publishes_to: tuple[TopicSpec, ...] = ()
    reads_config: bool = False
    # HARK_PUBLIC_URL: the API's public URL (a WebSub hub calls back there); the CDK app sets it from the API.
    needs_public_url: bool = False
    description: str = ""
    # Lambda's retries of an asynchronous invocation (0-2) and how old an event may get before it is given up.
    async_retries: int = 2
    max_event_age_s: int = 6 * 3600

    @property
    def invoked_async(self) -> bool:
        """SNS and EventBridge invoke asynchronously: Lambda retries, then drops the event unless told where."""
        return self.sns_source is not None or self.schedule is not None

    @property
    def on_failure(self) -> FailureQueueSpec | None:
        """Where an asynchronous event goes once its retries failed; None for SQS- and HTTP-invoked functions
        (their queue's DLQ, or the caller, sees the failure)."""
        return FAILED_INVOCATIONS if self.invoked_async else None


MENTIONS = TableSpec(
    key="mentions",
    env_var="HARK_TABLE_MENTIONS",
    owner="classify",
    partition_key=KeyAttr("id"),
    # Erasure finds a person's mentions by author; the index holds only keys.
    indexes=(IndexSpec("by_author", KeyAttr("author_key"), projection="KEYS_ONLY"),),
    ttl_attribute="expires_at",  # the config's retention.mentions
    description="Every mention heard, with its classification: the record that drops redeliveries.",
)

INBOX = TableSpec(
    key="inbox",
    env_var="HARK_TABLE_INBOX",
    owner="respond",
    partition_key=KeyAttr("id"),
    indexes=(
        # The feed spreads writes over a few shards (one partition takes at most 1,000 writes/s) and keeps each
        # shard in the order mentions were stored, so "newest first" is a merge of a handful of queries.
        IndexSpec("feed", KeyAttr("feed_shard"), KeyAttr("feed_key")),
        # A conversation in order, and a person's conversations (the agent's author panel, erasure).
        IndexSpec("by_thread", KeyAttr("thread_key"), KeyAttr("said_at")),
        IndexSpec("by_author", KeyAttr("author_key"), KeyAttr("said_at")),
    ),
    ttl_attribute="expires_at",  # the config's retention.inbox
    description="Every classified mention as the command center shows it, with its task: respond's read model.",
)

TASKS = TableSpec(
    key="tasks",
    env_var="HARK_TABLE_TASKS",
    owner="respond",
    partition_key=KeyAttr("id"),
    # Work-queue order: status partitions, sorted by priority then due time. A person's tasks (sparse: only held
    # tasks have a holder), for "my tasks", capacity and round-robin assignment.
    indexes=(
        IndexSpec("by_status", KeyAttr("status"), KeyAttr("rank")),
        IndexSpec("by_holder", KeyAttr("holder"), KeyAttr("held_key")),
    ),
    ttl_attribute="expires_at",  # the config's retention.tasks, from the last change
    description="One task per conversation thread that needs a human.",
)

AUDIT = TableSpec(
    key="audit",
    env_var="HARK_TABLE_AUDIT",
    owner="respond",
    # One stream per task (and one for configuration changes), entries numbered from 1 and hash-chained.
    partition_key=KeyAttr("stream"),
    sort_key=KeyAttr("seq", "N"),
    # Sparse: only entries that are not a task's (configuration, erasures, safety cases), newest first for
    # GET /v1/audit. Their rate is a few a minute at most, far below one partition's 1,000 writes/s.
    # Every entry by the UTC hour it was written, for the hourly export to the Object Lock bucket: one partition an
    # hour takes at most 1,000 writes/s, far above the audit's rate (a few entries per mention handled).
    indexes=(
        IndexSpec("log", KeyAttr("log_partition"), KeyAttr("log_key")),
        IndexSpec("by_hour", KeyAttr("hour"), KeyAttr("hour_key")),
    ),
    description="Append-only log of every change to a task, a safety case and the configuration, and of every "
    "erasure, with actor, time and before/after; written only with attribute_not_exists, each entry hashing the one "
    "before. People's words are not in it: they are in audit-content, by reference.",
)

AUDIT_CONTENT = TableSpec(
    key="audit-content",
    env_var="HARK_TABLE_AUDIT_CONTENT",
    owner="respond",
    partition_key=KeyAttr("stream"),
    sort_key=KeyAttr("seq", "N"),
    ttl_attribute="expires_at",  # the config's retention.audit_content (unset: kept)
    description="The personal content of audit entries (texts, names, handles), salted and hashed into its entry: "
    "erasure deletes it, the entry and its chain stay.",
)

SAFETY_CASES = TableSpec(
    key="safety-cases",
    env_var="HARK_TABLE_SAFETY_CASES",
    owner="respond",
    partition_key=KeyAttr("id"),
    # The safety team's work order: per status, the earliest reporting deadline first.
    indexes=(IndexSpec("by_status", KeyAttr("status"), KeyAttr("due_key")),),
    ttl_attribute="expires_at",  # the config's retention.safety_cases (unset: kept, as pharmacovigilance law asks)
    description="Suspected adverse events: the four minimum criteria, the verbatim report, day 0 and the reporting "
    "clock, follow-ups, reports and dismissals.",
)

ERASURES = TableSpec(
    key="erasures",
    env_var="HARK_TABLE_ERASURES",
    owner="respond",
    # `erasure#<id>`: what an erasure did (no content). `subject#<sha-256 of platform#author>`: that a person was
    # erased and when, so a message of theirs still in flight at the time is dropped when it arrives.
    partition_key=KeyAttr("key"),
    description="Erasures done on request: what each did, and whom (by a hash) they erased.",
)

CONVERSATIONS = TableSpec(
    key="conversations",
    env_var="HARK_TABLE_CONVERSATIONS",
    owner="respond",
    # One item per conversation (a task's cycle), in the partition of the day it started: what reports read.
    partition_key=KeyAttr("day"),
    sort_key=KeyAttr("key"),
    ttl_attribute="expires_at",  # the config's retention.conversations
    description="Facts of each conversation (queue, platform, response and resolution clocks, who replied; no "
    "text), written with its task: the reports' source.",
)

NOTES = TableSpec(
    key="notes",
    env_var="HARK_TABLE_NOTES",
    owner="respond",
    partition_key=KeyAttr("task_id"),
    sort_key=KeyAttr("note_key"),
    ttl_attribute="expires_at",  # the config's retention.notes
    description="Private notes on tasks, in the order they were written.",
)

NOTIFICATIONS = TableSpec(
    key="notifications",
    env_var="HARK_TABLE_NOTIFICATIONS",
    owner="respond",
    partition_key=KeyAttr("user"),
    sort_key=KeyAttr("key"),
    ttl_attribute="expires",
    description="What each person was told: a colleague mentioned them in a note, a task breached its SLA, a "
    "draft was rejected.",
)

IDEMPOTENCY = TableSpec(
    key="idempotency",
    env_var="HARK_TABLE_IDEMPOTENCY",
    owner="respond",
    partition_key=KeyAttr("id"),
    ttl_attribute="expiration",
    description="Powertools Idempotency records: what was done once (a reply sent) and its result.",
)

ARCHIVE_INDEX = TableSpec(
    key="archive-index",
    env_var="HARK_TABLE_ARCHIVE_INDEX",
    owner="ingest",
    # Which archived deliveries carry a person's messages, so erasure deletes them without scanning the bucket.
    partition_key=KeyAttr("author_key"),
    sort_key=KeyAttr("archive_key"),
    ttl_attribute="expires_at",  # gone when the archived delivery expires
    description="The raw archive's index by author (platform#author id → archive keys), for erasure.",
)

INCIDENTS = TableSpec(
    key="incidents",
    env_var="HARK_TABLE_INCIDENTS",
    owner="respond",
    partition_key=KeyAttr("id"),
    # Newest first within a status; `open` and `acknowledged` are what on-call looks at.
    indexes=(IndexSpec("by_status", KeyAttr("status"), KeyAttr("opened_key")),),
    # Records of SNS message ids already handled expire; incidents themselves are kept.
    ttl_attribute="expires_at",
    description="Incidents: CloudWatch alarms and detected spikes, with their acknowledgement and crisis mode.",
)

SIGNALS = TableSpec(
    key="signals",
    env_var="HARK_TABLE_SIGNALS",
    owner="respond",
    partition_key=KeyAttr("series"),
    sort_key=KeyAttr("bucket"),
    # Minute buckets live a day, hour buckets 15 days: what the spike detector's baselines need, no more.
    ttl_attribute="expires_at",
    description="Mention counts per brand per minute and hour (total, negative): the spike detector's history.",
)

POLL_CURSORS = TableSpec(
    key="poll-cursors",
    env_var="HARK_TABLE_POLL_CURSORS",
    owner="ingest",
    # One partition per configured source: its feeds' cursors (`inbox`, `r/acme/comments`, `video:<id>`, ...), its
    # rate-limit back-off and its lease (`~source`), read with one query per poll.
    partition_key=KeyAttr("source"),
    sort_key=KeyAttr("feed"),
    ttl_attribute="expires_at",  # a video polled on its own for a week after WebSub announced it
    description="The pollers' cursors per source and feed, with each source's back-off and lease.",
)

SOURCES = TableSpec(
    key="sources",
    env_var="HARK_TABLE_SOURCES",
    owner="respond",
    partition_key=KeyAttr("id"),
    description="Each source's health: last delivery, poll and reply sent, last error, and whether its credential "
    "works (from ingest's source.observed events and respond's own sends).",
)

STATS = TableSpec(
    key="stats",
    env_var="HARK_TABLE_STATS",
    owner="respond",
    partition_key=KeyAttr("day"),
    sort_key=KeyAttr("slot"),
    ttl_attribute="expires",
    description="The overview's hourly counters: mentions by network, sentiment and intent; SLA clocks stopped.",
)

TABLES: tuple[TableSpec, ...] = (
    MENTIONS,
    INBOX,
    TASKS,
    IDEMPOTENCY,
    INCIDENTS,
    SIGNALS,
    AUDIT,
    NOTES,
    NOTIFICATIONS,
    POLL_CURSORS,
    AUDIT_CONTENT,
    SAFETY_CASES,
    ERASURES,
    CONVERSATIONS,
    SOURCES,
    STATS,
    ARCHIVE_INDEX,
)

# What governance (safety cases, erasure, reports) adds to respond's functions.
GOVERNANCE_TABLES: tuple[TableSpec, ...] = (AUDIT_CONTENT, SAFETY_CASES, ERASURES, CONVERSATIONS)

CLASSIFY_QUEUE = QueueSpec(
    key="classify",
    env_var="HARK_QUEUE_CLASSIFY_URL",
    dlq_env_var="HARK_DLQ_CLASSIFY_URL",
    # Lambda's guidance: at least 6 x the function timeout plus the batching window.
    visibility_timeout_s=6 * 30 + 5,
    description="Normalised mentions waiting to be classified.",
)

RESPOND_QUEUE = QueueSpec(
    key="respond",
    env_var="HARK_QUEUE_RESPOND_URL",
    dlq_env_var="HARK_DLQ_RESPOND_URL",
    visibility_timeout_s=6 * 15 + 1,
    description="Classified mentions that need a human, and ingest's observations of each source's health.",
)

QUEUES: tuple[QueueSpec, ...] = (CLASSIFY_QUEUE, RESPOND_QUEUE)

FAILED_INVOCATIONS = FailureQueueSpec(
    key="failed-invocations",
    description="Alarm notifications and schedule ticks whose function still failed after Lambda's retries.",
)
FAILURE_QUEUES: tuple[FailureQueueSpec, ...] = (FAILED_INVOCATIONS,)

ALARMS_TOPIC = TopicSpec(
    key="alarms",
    env_var="HARK_TOPIC_ALARMS_ARN",
    description="Every CloudWatch alarm: the platform team's e-mail and respond's alarm handler (incidents).",
)
ONCALL_TOPIC = TopicSpec(
    key="oncall",
    env_var="HARK_TOPIC_ONCALL_ARN",
    description="Crisis mode and incidents that need a person now: the community lead's phone or pager.",
)
SAFETY_TOPIC = TopicSpec(
    key="safety",
    env_var="HARK_TOPIC_SAFETY_ARN",
    description="Suspected adverse events: the drug-safety (pharmacovigilance) team.",
)

TOPICS: tuple[TopicSpec, ...] = (ALARMS_TOPIC, ONCALL_TOPIC, SAFETY_TOPIC)

AUDIT_EXPORT = BucketSpec(
    key="audit-export",
    env_var="HARK_BUCKET_AUDIT_EXPORT",
    owner="respond",
    # Regulated brands keep what they said for years; Object Lock makes the export tamper-proof for that long.
    object_lock_days=7 * 365,
    infrequent_access_after_days=30,
    description="Exports of the audit log, write-once (S3 Object Lock, compliance mode).",
)

RAW_ARCHIVE = BucketSpec(
    key="raw-archive",
    env_var="HARK_BUCKET_RAW_ARCHIVE",
    owner="ingest",
    # The default retention; a deployment sets its own (HARK_ARCHIVE_RETENTION_DAYS, the lifecycle rule in AWS).
    # Long enough to replay after a bad week, short enough that raw personal data does not pile up.
    expire_after_days=30,
    description="Every accepted webhook delivery as it arrived (body, headers without signatures, query, arrival "
    "time), by platform/date/delivery: `hark replay` re-drives them; erasure deletes a person's.",
)

BUCKETS: tuple[BucketSpec, ...] = (AUDIT_EXPORT, RAW_ARCHIVE)

CONFIG = ConfigSpec()

INGEST_API = FunctionSpec(
    key="ingest-api",
    service="ingest",
    handler="services.ingest.app.app",
    timeout_s=10,
    memory_mb=256,
    http=True,
    # A YouTube WebSub notice of a new video puts the video on the comment poller's list.
    reads=(POLL_CURSORS,),
    writes=(ARCHIVE_INDEX, POLL_CURSORS),
    # Mentions to classify; what it saw of each source (deliveries, refusals, notices) to respond.
    sends_to=(CLASSIFY_QUEUE, RESPOND_QUEUE),
    reads_secret=True,
    # The Google review fetch refreshes its hourly OAuth token and stores it back.
    writes_secret=True,
    reads_config=True,
    writes_buckets=(RAW_ARCHIVE,),
    erases_buckets=(RAW_ARCHIVE,),  # DELETE /v1/authors/{platform}/{id} erases a person's archived deliveries
)

CLASSIFY = FunctionSpec(
    key="classify",
    service="classify",
    handler="services.classify.app.on_classify_queue",
    timeout_s=30,
    memory_mb=512,
    # Up to 25 documents per Comprehend Batch call; a short window lets quiet periods still flow quickly.
    # Ten batches at once, each a handful of Comprehend Batch calls, stay under its ~20 requests/s per API.
    sqs_source=SqsSource(CLASSIFY_QUEUE, batch_size=25, max_batching_window_s=1, max_concurrency=10),
    reads=(MENTIONS,),
    writes=(MENTIONS,),
    sends_to=(RESPOND_QUEUE,),
    uses_comprehend=True,
    reads_config=True,  # retention.mentions, read on the first store
)

RESPOND_API = FunctionSpec(
    key="respond-api",
    service="respond",
    handler="services.respond.app.app",
    timeout_s=10,
    memory_mb=256,
    http=True,
    # Commands write the task with its audit entry; a send writes its idempotency record, the reply's inbox item
    # and the source's health, and stores a refreshed token back in the secret. Safety-case commands write the case
    # with its entry; reports read the conversations, the inbox and the cases.
    reads=(INBOX, TASKS, AUDIT, NOTES, NOTIFICATIONS, IDEMPOTENCY, INCIDENTS, STATS, SOURCES, *GOVERNANCE_TABLES),
    writes=(INBOX, TASKS, AUDIT, NOTES, NOTIFICATIONS, IDEMPOTENCY, INCIDENTS, STATS, SOURCES, *GOVERNANCE_TABLES),
    publishes_to=(ONCALL_TOPIC,),
    reads_secret=True,
    writes_secret=True,
    reads_config=True,
)

RESPOND = FunctionSpec(
    key="respond",
    service="respond",
    handler="services.respond.app.on_respond_queue",
    timeout_s=15,
    memory_mb=256,
    sqs_source=SqsSource(RESPOND_QUEUE, batch_size=10, max_batching_window_s=0),
    # Intake opens safety cases (and tells the safety team); an erasure reaches every table respond owns; what
    # ingest saw of each source lands in its health. Crisis mode (in incidents) raises new tasks' priority.
    reads=(INBOX, TASKS, AUDIT, NOTES, SOURCES, INCIDENTS, *GOVERNANCE_TABLES),
    writes=(INBOX, TASKS, AUDIT, NOTES, NOTIFICATIONS, STATS, SOURCES, *GOVERNANCE_TABLES),
    publishes_to=(SAFETY_TOPIC,),
    reads_config=True,
)

RESPOND_SLA = FunctionSpec(
    key="respond-sla",
    service="respond",
    handler="services.respond.app.on_sla_sweep",
    timeout_s=60,
    memory_mb=256,
    # Marks near-breach and breach, wakes snoozed tasks, closes sent ones the customer never answered.
    schedule="rate(1 minute)",
    reads=(TASKS, AUDIT),
    writes=(TASKS, AUDIT, AUDIT_CONTENT, CONVERSATIONS, NOTIFICATIONS, STATS),
    reads_config=True,
)

RESPOND_ALARMS = FunctionSpec(
    key="respond-alarms",
    service="respond",
    handler="services.respond.app.on_alarm",
    timeout_s=10,
    memory_mb=256,
    sns_source=ALARMS_TOPIC,
    reads=(INCIDENTS,),
    writes=(INCIDENTS,),
    publishes_to=(ONCALL_TOPIC,),
    description="Turns each CloudWatch alarm state change into an incident.",
)

RESPOND_WATCH = FunctionSpec(
    key="respond-watch",
    service="respond",
    handler="services.respond.app.on_watch",
    timeout_s=60,
    memory_mb=256,
    schedule="rate(1 minute)",
    reads=(INBOX, INCIDENTS, SIGNALS),
    writes=(INCIDENTS, SIGNALS),
    publishes_to=(ONCALL_TOPIC,),
    description="The spike detector: counts what arrived each minute and opens an incident on a negative surge.",
)


RESPOND_AUDIT_EXPORT = FunctionSpec(
    key="respond-audit-export",
    service="respond",
    handler="services.respond.app.on_audit_export",
    timeout_s=300,
    memory_mb=512,
    # Each complete UTC hour's entries, once, a few minutes after the hour ends.
    schedule="rate(1 hour)",
    reads=(AUDIT,),
    writes_buckets=(AUDIT_EXPORT,),  # PutObject: the bucket's default retention locks each export (compliance)
    lists_buckets=(AUDIT_EXPORT,),  # which hours are already exported
    description="Exports each hour's new audit entries to the write-once (Object Lock) bucket.",
)


def _poller(platform: str, schedule: str, description: str) -> FunctionSpec:
    """A scheduled poller: reads the sources of its platform from the config, fetches what is new from each, and
    hands it to the ingest core (which queues it like a webhook's)."""
    return FunctionSpec(
        key=f"ingest-poll-{platform}",
        service="ingest",
        handler=f"services.ingest.app.on_poll_{platform}",
        # A run stops starting requests when little time is left; a lease keeps a late run from overlapping.
        timeout_s=60,
        memory_mb=256,
        schedule=schedule,
        reads=(POLL_CURSORS,),
        # Each page is archived raw (and indexed by author) before its mentions are queued, as a webhook's is.
        writes=(POLL_CURSORS, ARCHIVE_INDEX),
        # Mentions to classify; how each poll went to respond (source health).
        sends_to=(CLASSIFY_QUEUE, RESPOND_QUEUE),
        reads_secret=True,
        writes_secret=True,  # a refreshed OAuth token (or Bluesky session) is stored back for every function
        reads_config=True,
        writes_buckets=(RAW_ARCHIVE,),
        description=description,
    )


POLLERS: tuple[FunctionSpec, ...] = (
    _poller("reddit", "rate(1 minute)", "Reddit: inbox, mentions, subreddit comments and posts."),
    _poller("wordpress", "rate(1 minute)", "WordPress comments (REST /wp/v2/comments)."),
    # Every commentThreads page costs a unit of the project's 10,000 a day.
    _poller("youtube", "rate(5 minutes)", "YouTube comment threads on the channel and its new videos."),
    _poller("bluesky", "rate(1 minute)", "Bluesky mentions, replies and quotes (listNotifications)."),
    _poller("discord", "rate(1 minute)", "Discord channel messages (REST)."),
    _poller("tiktok", "rate(5 minutes)", "TikTok comments on the brand's videos (API for Business)."),
)

# YouTube's WebSub leases (about ten days) renewed before they end, for every configured channel.
INGEST_WEBSUB = FunctionSpec(
    key="ingest-websub",
    service="ingest",
    handler="services.ingest.app.on_websub_renew",
    timeout_s=60,
    memory_mb=256,
    schedule="rate(6 hours)",
    reads=(POLL_CURSORS,),
    writes=(POLL_CURSORS,),
    reads_secret=True,  # the `youtube` secret is the hub.secret the notifications are signed with
    reads_config=True,
    needs_public_url=True,
    description="Renews the YouTube channels' WebSub subscriptions before their leases end.",
)

# The config's `retention.archive`, honoured: the bucket's lifecycle rule is the longest anything is kept; this
# sweep deletes what is older than the configuration says (edited without a deploy), every hour.
INGEST_ARCHIVE_SWEEP = FunctionSpec(
    key="ingest-archive-sweep",
    service="ingest",
    handler="services.ingest.app.on_archive_sweep",
    timeout_s=120,
    memory_mb=256,
    schedule="rate(1 hour)",
    reads_config=True,
    lists_buckets=(RAW_ARCHIVE,),
    erases_buckets=(RAW_ARCHIVE,),
    description="Deletes raw deliveries older than the config's retention.archive.",
)

FUNCTIONS: tuple[FunctionSpec, ...] = (
    INGEST_API,
    CLASSIFY,
    RESPOND_API,
    RESPOND,
    RESPOND_ALARMS,
    RESPOND_WATCH,
    RESPOND_SLA,
    RESPOND_AUDIT_EXPORT,
    *POLLERS,
    INGEST_WEBSUB,
    INGEST_ARCHIVE_SWEEP,
)


@dataclass(frozen=True)
class SecretSpec:
    """One Secrets Manager secret (JSON) holds every platform secret and the partner API keys."""

    env_var: str = "HARK_SECRETS_NAME"

    def physical_name(self, stage: str) -> str:
        return f"hark/{stage}/secrets"


SECRETS = SecretSpec()
