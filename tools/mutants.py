"""The mutants `make mutate` plants: at least one per parser, verifier, triage rule and task transition, and the
edges' promises. Each replaces one exact snippet (which must occur once in its file) with a plausible mistake.
When the code a mutant targets changes, `make mutate` says so: update the snippet here rather than dropping it."""

from __future__ import annotations

from dataclasses import dataclass

FUNCTIONAL = ("tests/functional",)
SENDERS_TESTS = ("tests/functional/test_senders.py",)
ANSWER_TESTS = ("tests/functional/test_answer_everywhere.py",)
TOKENS_TESTS = ("tests/functional/test_tokens.py",)


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    original: str
    mutated: str
    why: str
    tests: tuple[str, ...] = ()  # default: tests/unit and tests/contract


GITHUB = "services/ingest/platforms/github.py"
META = "services/ingest/platforms/meta.py"
BASE = "services/ingest/platforms/base.py"
TRIAGE = "services/classify/triage.py"
TASKS = "services/respond/tasks.py"
POLLING = "services/ingest/polling.py"
SAFETY = "services/respond/safety.py"
FUNCTIONAL_GOVERNANCE = ("tests/functional/test_governance.py",)
STORM_TESTS = ("tests/e2e/test_storms.py",)
FAULT_TESTS = ("tests/functional/test_faults.py",)
AUTH_TESTS = ("tests/functional/test_auth_every_route.py",)
COMPREHEND_FAULT_TESTS = ("tests/functional/test_comprehend_faults.py",)
HEADER_TESTS = ("tests/functional/test_security_headers.py",)
CONCURRENCY_TESTS = ("tests/functional/test_concurrency.py",)
TOOLING_TESTS = ("tests/unit/test_security_tooling.py",)
COMPREHEND = "services/classify/analyzers/comprehend.py"
PII_FAILED = (
    "            except Exception as exc:\n                run.fail(i, exc)\n"
    '                continue\n            run.charge(i, "pii"'
)

MUTANTS: tuple[Mutant, ...] = (
    # Parsers
    Mutant("github-thread", GITHUB, 'f"{ic.repository.full_name}#{ic.issue.number}"',
           'f"{ic.repository.full_name}#{ic.comment.id}"', "a comment threads on itself, not on its issue"),
    Mutant("github-edits-as-new", GITHUB, '    if action != "edited":\n        return None',
           "    if True:\n        return None", "an edited comment looks like the original"),
    Mutant("github-deletes", GITHUB,
           '        if action == "deleted":\n            return build_deletion(self.platform, native_id, '
           'delivery.received_at, delivery.received_at)\n        if comment.user.type == "Bot":',
           '        if False:\n            return build_deletion(self.platform, native_id, '
           'delivery.received_at, delivery.received_at)\n        if comment.user.type == "Bot":',
           "a deleted comment is heard as a new one"),
    Mutant("github-bots", GITHUB, 'if comment.user.type == "Bot":', "if False:", "bot comments are heard"),
    Mutant("github-brand", GITHUB, "from_brand=comment.author_association in BRAND_ASSOCIATIONS",
           "from_brand=False", "the brand's own comments look like customers'"),
    Mutant("github-issue-text", GITHUB, 'text = post.title if not post.body else f"{post.title}\\n\\n{post.body}"',
           "text = post.title", "an issue's body is lost"),
    Mutant("meta-echo", META, "page, person = (sender, recipient) if echo else (recipient, sender)",
           "page, person = (recipient, sender)", "the page's echo opens a thread with itself"),
    Mutant("meta-reply-thread", META, "thread = native_id if parent in (None, post_id) else str(parent)",
           "thread = native_id", "a reply starts its own thread"),
    Mutant("meta-whatsapp-thread", META, 'else f"{number}:{sender.id}"', "else sender.id",
           "WhatsApp threads lose the business number"),
    Mutant("meta-deleted-messages", META, 'if message.get("is_deleted"):  # unsent by its author',
           "if False:", "a deleted Messenger message is heard as new"),
    Mutant("meta-rating", META,
           "rating=rating if isinstance(rating, int) and not isinstance(rating, bool) and 1 <= rating <= 5 else None",
           "rating=None", "a page review loses its stars"),
    # Verifiers
    Mutant("hmac-compare", BASE,
           "if not hmac.compare_digest(header[len(prefix) :].strip().lower().encode(), expected_hex.encode()):",
           "if False:", "any signature is accepted"),
    Mutant("meta-signature-header", META, 'delivery.headers.get("x-hub-signature-256")',
           'delivery.headers.get("x-hub-signature")', "Meta's signature is read from the wrong header"),
    Mutant("meta-verify-token", META,
           'if not hmac.compare_digest(query.get("hub.verify_token", "").encode(), token.encode()):', "if False:",
           "anyone can subscribe the webhook"),
    # Triage rules
    Mutant("triage-brand", TRIAGE, "    if mention.from_brand:\n", "    if False:\n",
           "the brand's own replies need a reply"),
    Mutant("triage-spam", TRIAGE, "    elif signals.spam:\n", "    elif False:\n", "spam is triaged like a message"),
    Mutant("triage-negative-threshold", TRIAGE,
           "strong = addressed and signals.sentiment_score >= policy.negative_threshold", "strong = addressed",
           "any negativity needs a reply"),
    Mutant("triage-adverse-priority", TRIAGE, "OWN_PRODUCT_EVENT = 90", "OWN_PRODUCT_EVENT = 50",
           "adverse events are not urgent"),
    Mutant("triage-toxic", TRIAGE, 'score.add(10, f"toxic {signals.toxicity:.2f}", needs=addressed)',
           'score.add(10, f"toxic {signals.toxicity:.2f}", needs=False)', "abuse goes unmoderated"),
    Mutant("triage-cap", TRIAGE, "score.priority = min(score.priority, NOT_URGENT_CAP)", "pass",
           "what needs no reply can outrank what does"),
    # Task transitions and the workflow
    Mutant("task-absorb-repeat", TASKS, "    if mention.id in task.mention_ids:\n        return None",
           "    if False:\n        return None", "a redelivered mention joins its task twice"),
    Mutant("task-priority-max", TASKS, "    priority = max(task.priority, classification.priority)",
           "    priority = classification.priority", "a calm follow-up lowers an urgent task"),
    Mutant("task-route-adverse", "services/respond/routing.py",
           "when.adverse_event is None or classification.adverse_event == when.adverse_event,",
           "when.adverse_event is None,", "a routing rule for adverse events takes every mention"),
    Mutant("sla-priority-target", "services/respond/sla.py",
           "if priority >= target.priority_at_least and (target.channels is None or channel in target.channels):",
           "if target.channels is None or channel in target.channels:", "urgent tasks get the slow clock"),
    Mutant("sla-breach", "services/respond/sla.py", "        if now >= due:\n", "        if False:\n",
           "a sweep past the due time finds no breach"),
    Mutant("workflow-transitions", "services/respond/workflow.py", "    if task.status not in ALLOWED[action]:",
           "    if False:", "any command in any state"),
    Mutant("workflow-collision", "services/respond/workflow.py",
           "return task.holder is not None and task.holder != who.user and _lease_valid(task, now)",
           "return False", "two agents hold the same task"),
    Mutant("workflow-self-approval", "services/respond/workflow.py",
           "    if who.user in (task.draft.author, task.holder):",
           "    if False:", "an agent approves their own draft"),
    # The edges' promises
    Mutant("envelope-upcast", "shared/events.py", "data = model.UPCASTS[step](data)", "pass",
           "an older envelope is read without upcasting"),
    Mutant("envelope-newer-version", "shared/events.py", "if version > model.VERSION:",
           "if version > model.VERSION + 1:", "a newer major version is read as if known"),
    Mutant("consumer-park-poison", "shared/consumer.py", "if permanent or receives >= self.max_receive_count:",
           "if receives >= self.max_receive_count:", "a poison record is retried five times"),
    Mutant("consumer-unsent-events", "shared/consumer.py",
           'failures.extend({"itemIdentifier": message_id} for message_id in unsent)', "pass",
           "a record whose events were lost is deleted"),
    Mutant("ingest-size-first", "services/ingest/service.py", "if len(delivery.body) > limit:",
           "if len(delivery.body) > limit * 100:", "oversized deliveries are read"),
    Mutant("ingest-brand-role", "services/ingest/service.py",
           "if any(s.from_brand for s in submissions) and not principal.has_any(BRAND_AUTHORS):", "if False:",
           "a partner can write as the brand"),
    Mutant("ingest-partner-namespace", "services/ingest/service.py", 'source = f"partner:{principal.user}"',
           'source = "platform"', "a partner can claim a platform message's id"),
    Mutant("fit-url", BASE,
           "fitted_url, cut_url = (None, True) if url is not None and len(url) > MAX_URL_CHARS else (url, False)",
           "fitted_url, cut_url = url, False", "a huge URL is stored as it came"),
    Mutant("fit-ids", BASE, "if value is not None and not 0 < len(value) <= MAX_ID_CHARS:", "if False:",
           "an id too long to store is acknowledged"),
    Mutant("edge-roles", "shared/web.py", "if op.roles and not principal.has_any(op.roles):", "if False:",
           "any key may call any operation"),
    Mutant("classify-edit-order", "services/classify/service.py",
           "return stored.mention.edited_at is None or mention.edited_at > stored.mention.edited_at",
           "return stored.mention.edited_at is None or mention.edited_at >= stored.mention.edited_at",
           "a redelivered edit is classified (and billed) again"),
    # Answering everywhere: the thread, the once-only promise, tokens and source health
    Mutant("slack-thread", "services/respond/outbound/slack.py", '{"channel": channel, "thread_ts": thread_ts,',
           '{"channel": channel, "thread_ts": None,', "a Slack reply lands in the channel, not the thread",
           SENDERS_TESTS),
    Mutant("x-reply-target", "services/respond/outbound/x.py", '{"in_reply_to_tweet_id": target}',
           '{"in_reply_to_tweet_id": reply.thread_id}', "an X reply answers the conversation's first post",
           SENDERS_TESTS),
    Mutant("telegram-reply-parameters", "services/respond/outbound/telegram.py",
           'payload["reply_parameters"] = {"message_id": int(message)}', "pass",
           "a Telegram reply does not quote the customer's message", SENDERS_TESTS),
    Mutant("mastodon-visibility", "services/respond/outbound/mastodon.py",
           '"visibility": visibility if visibility in VISIBILITIES else SAFE_VISIBILITY,', '"visibility": "public",',
           "a reply to a private Mastodon status is public", SENDERS_TESTS),
    Mutant("bluesky-root", "services/respond/outbound/bluesky.py",
           'root_uri = context_value(reply, "root_uri") or parent_uri', "root_uri = parent_uri",
           "a Bluesky reply breaks off its thread", SENDERS_TESTS),
    Mutant("discord-interaction-window", "services/respond/outbound/discord.py",
           "return reply.reply_to_at is None or utcnow() < reply.reply_to_at + INTERACTION_LIFETIME - "
           "INTERACTION_MARGIN",
           "return True", "a Discord follow-up is tried after its token died", SENDERS_TESTS),
    Mutant("zendesk-internal", "services/respond/outbound/zendesk.py", '"public": reply.public}',
           '"public": True}', "an internal note is shown to the requester", SENDERS_TESTS),
    Mutant("mrkdwn-bold", "services/respond/outbound/text.py",
           'bold = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", linked)', "bold = linked",
           "Slack shows **bold** as typed"),
    Mutant("send-retry-too-early", "services/respond/service.py",
           "if retry and error and error.retry_at and now < error.retry_at and error.draft_revision == draft.revision:",
           "if False:", "a retry hammers a platform that asked Hark to wait", ANSWER_TESTS),
    Mutant("send-retry-time", "services/respond/service.py",
           "retry_at=datetime.fromisoformat(retry_at) if isinstance(retry_at, str) else None,", "retry_at=None,",
           "send_failed loses the platform's retry time", ANSWER_TESTS),
    Mutant("send-refresh-after-401", "services/respond/service.py",
           'if refused.extra.get("code") != "bad_credentials":', "if True:",
           "a token the platform stopped taking is never refreshed", ANSWER_TESTS),
    Mutant("send-unhealthy-fast-fail", "services/respond/service.py",
           "problem = sources.blocks(found[0] if found else None, self._credential_now(source_id, platform, source))",
           "problem = None",
           "every send to a dead source is tried and fails on its own", ANSWER_TESTS),
    Mutant("mention-private-context", "services/respond/privacy.py",
           "if not PRIVATE_REPLY_CONTEXT & set(mention.reply_context):", "if True:",
           "the API serves Discord interaction tokens", ANSWER_TESTS),
    Mutant("tokens-stored-back", "shared/tokens.py",
           "            if self._store is not None:\n                self._store.save(fresh)",
           "            if False:\n                self._store.save(fresh)",
           "a refreshed token lives only in one function", TOKENS_TESTS),
    Mutant("tokens-race", "shared/tokens.py",
           "if stored is not None and stored.refresh_token != refused.refresh_token:", "if False:",
           "two functions refreshing at once kill a rotating token", TOKENS_TESTS),
    Mutant("observer-throttle", "services/ingest/observations.py",
           "ready or each.sent_at is None or now - each.sent_at >= self._interval", "True",
           "every delivery sends its own observation"),
    Mutant("respond-only-needs", "services/respond/service.py",
           "        elif classified.classification.needs_response:",
           "        elif True:", "every mention opens a task", FUNCTIONAL),
    # Pollers
    Mutant("poll-ignores-backoff", POLLING, "if limits.until is not None and limits.until > now:", "if False:",
           "a source backing off after a 429 is asked again at once"),
    Mutant("poll-mark-mid-walk", POLLING,
           "cursor, pending=scan.next, top=top, top_ids=top_ids[:SEEN], walked=walked, taken=taken, polled_at=now",
           "cursor, mark=top, pending=scan.next, top=top, top_ids=top_ids[:SEEN], walked=walked, taken=taken, "
           "polled_at=now",
           "a walk cut short moves the mark past what it has not handed: those items are lost"),
    Mutant("poll-seen-at-mark", POLLING, "(item.key == cursor.mark and item.id in cursor.seen)",
           "(item.key == cursor.mark)", "an item in the same second as the mark is lost"),
    Mutant("poll-cross-feed", POLLING, "give = recent.new(fresh)", "give = list(fresh)",
           "a reply in the inbox and in the subreddit is handed twice"),
    Mutant("poll-retry-after", "services/ingest/pollers/base.py", "raw = headers.get(RETRY_AFTER)", "raw = None",
           "Retry-After is not read: a 429 backs off a minute whatever it says"),
    Mutant("reddit-thread", "services/ingest/pollers/reddit.py", "thread_id=link or parent or name,",
           "thread_id=parent or name,", "a Reddit comment threads on its parent, not its post"),
    Mutant("discord-other-bots", "services/ingest/pollers/discord.py", 'if author.get("bot") and not ours:',
           "if False:", "other apps' bots are heard"),
    Mutant("youtube-brand", "services/ingest/pollers/youtube.py",
           'from_brand=author_id is not None and author_id == (channel or raw.get("channel")),', "from_brand=False,",
           "the channel's own replies open tasks"),
    Mutant("bluesky-reasons", "services/ingest/pollers/bluesky.py",
           'if not isinstance(notification, dict) or notification.get("reason") not in wanted:',
           "if not isinstance(notification, dict):", "likes and follows are heard as posts"),
    Mutant("tiktok-rate-limit", "services/ingest/pollers/tiktok.py", "if code == TOO_MANY_REQUESTS:", "if False:",
           "TikTok's 'too many requests' backs off fifteen minutes as a refusal"),
    Mutant("wordpress-pingbacks", "services/ingest/pollers/wordpress.py",
           'if raw.get("type") not in (None, "", "comment"):', "if False:", "pingbacks are heard as comments"),
    # Governance: safety cases, the scripted-only rule, audit without content, reports, erasure
    Mutant("safety-clock", SAFETY, "due_at=day0 + timedelta(days=days),", "due_at=day0 + timedelta(days=days + 1),",
           "the reporting clock runs a day long"),
    Mutant("safety-valid", SAFETY, "    return not missing, missing", "    return True, missing",
           "a case missing a criterion is reported as valid"),
    Mutant("safety-late", SAFETY, "within_deadline=at <= due,", "within_deadline=True,",
           "a late report counts as on time"),
    Mutant("safety-route-first", "services/respond/routing.py",
           "if classification.adverse_event and config.safety.queue in config.queues:", "if False:",
           "an adverse event waits in a care queue when no rule names it"),
    Mutant("safety-scripted-only", "services/respond/voice.py", "    if template not in approved:",
           "    if template is None:", "any template may be posted on a safety thread"),
    Mutant("audit-words-inline", "services/respond/audit.py",
           "kept[part] = {k: v for k, v in values.items() if k in allowed}", "kept[part] = dict(values)",
           "people's words stay in the hash-chained entry, where erasure cannot reach them"),
    Mutant("audit-content-unchecked", "services/respond/audit.py",
           "if content_digest(content.salt, content.values) != entry.content_hash:", "if False:",
           "altered content kept apart is shown as genuine"),
    Mutant("csv-formula", "services/respond/csvout.py",
           'if text and (text[0] in "=+-@\\t\\r") and not _is_number(text):', "if False:",
           "a formula in a verbatim report runs in the spreadsheet"),
    Mutant("report-unanswered", "services/respond/reports.py",
           "return _elapsed(fact.first_response) if fact.answered else None",
           "return _elapsed(fact.first_response)", "closing without a reply counts as a first response"),
    Mutant("erasure-late-arrival", "services/respond/service.py",
           "if erased is None or mention.created_at > erased:", "if True:",
           "a message in flight at the erasure brings the person back", FUNCTIONAL_GOVERNANCE),
    # Proof suites (issue 16): what only a race, a fault or a storm shows
    Mutant("send-not-once", "services/respond/outbound/once.py",
           'return Delivered(**send_reply(request={"key": key}))', "return send()",
           "two sends racing past the task's status both post", STORM_TESTS),
    Mutant("task-last-writer-wins", "services/respond/store.py", "    version = VersionAttribute()",
           "    version = NumberAttribute(null=True)", "two agents claiming at once both hold the task", STORM_TESTS),
    Mutant("ingest-accepts-unqueued", "services/ingest/service.py",
           '        if failed:\n            count(SERVICE, "EnqueueFailures", len(failed))',
           '        if False:\n            count(SERVICE, "EnqueueFailures", len(failed))',
           "a delivery SQS did not take is acknowledged", FAULT_TESTS),
    Mutant("consumer-never-parks", "shared/consumer.py", "if permanent or receives >= self.max_receive_count:",
           "if permanent:", "a record out of receives reaches the dead-letter queue without its reason", FAULT_TESTS),
    Mutant("consumer-parks-at-once", "shared/consumer.py", "if permanent or receives >= self.max_receive_count:",
           "if True:", "a passing fault sends the record to the dead-letter queue", FAULT_TESTS),
    Mutant("edge-roles-unchecked", "shared/web.py", "if op.roles and not principal.has_any(op.roles):", "if False:",
           "any valid key may call any operation", AUTH_TESTS),
    Mutant("key-case-folded", "shared/auth.py", "digest = hashlib.sha256(presented.encode()).digest()",
           "digest = hashlib.sha256(presented.lower().encode()).digest()", "a key matches in any letter case",
           AUTH_TESTS),
    Mutant("comprehend-fails-the-batch", COMPREHEND, PII_FAILED, PII_FAILED.replace(
               "run.fail(i, exc)", "[run.fail(j, exc) for j in indexes]"),
           "one document's failed Comprehend call fails every record of the batch", COMPREHEND_FAULT_TESTS),
    Mutant("api-answers-unsecured", "shared/web.py", "return _secured(_as_problem(get_response(request)))",
           "return _as_problem(get_response(request))", "API answers lose nosniff, no-framing, HSTS and no-store",
           HEADER_TESTS),
    Mutant("emulator-sqs-unlocked", "devstack/consistency.py",
           "            with _sqs_lock:\n                received = receive(",
           "            if True:\n                received = receive(",
           "racing receivers of spent messages get 500s from the emulator", CONCURRENCY_TESTS),
    Mutant("open-url-any-scheme", "shared/http.py", "    if scheme not in WEB_SCHEMES:", "    if False:",
           "a configured file: URL is read into a request", TOOLING_TESTS),
)  # fmt: skip
