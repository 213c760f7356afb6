"""Governance, the pure parts: a safety case's criteria, clock and lifecycle; the scripted-only rule; audit entries
that hold people's words only by reference; report maths; CSV that a spreadsheet cannot run; the configuration's
safety and retention sections."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import UTC, datetime, timedelta

import pytest

from services.respond import audit, reports, safety, voice
from services.respond.csvout import to_csv
from services.respond.facts import ClockFact, ConversationFact, ReplyFact, fact_of
from services.respond.routing import route
from services.respond.tasks import open_task
from shared.api.governance import DismissBody, FollowUpBody, ReportBody, ReportQuery
from shared.api.models import AuditEntry
from shared.auth import Principal
from shared.config import DEFAULT_FILE, InvalidConfig, load_file, load_text
from shared.errors import Conflict
from shared.events import AdverseEventCriteria, AuthorErasure, ClassifiedMention
from tests.unit.test_tasks import classification, mention

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CONFIG = load_file(DEFAULT_FILE).config
SAM = Principal("sam", frozenset({"safety"}), "k_sam")
TEXT = "I started Zoloft last week and since then I have had nausea and dizziness"


def flagged(text: str = TEXT, native: str = "n1", **criteria: object) -> ClassifiedMention:
    found = {"patient": True, "reporter": True, "product": "Zoloft", "events": ("nausea", "dizziness")} | criteria
    return ClassifiedMention(
        mention=mention(text, native),
        classification=classification(
            90, adverse_event=True, adverse_event_criteria=AdverseEventCriteria.model_validate(found)
        ),
    )


def opened(**criteria: object) -> safety.SafetyCase:
    classified = flagged(**criteria)
    task = open_task(classified.mention, classified.classification, NOW, CONFIG)
    return safety.open_case(classified, task, NOW, CONFIG)


def test_a_case_shows_each_criterion_with_why_and_runs_a_15_calendar_day_clock() -> None:
    case = opened()
    assert case.id == safety.case_id(open_task(flagged().mention, flagged().classification, NOW, CONFIG).id)
    assert (case.status, case.queue, case.valid, case.missing) == ("open", "safety", True, [])
    assert case.day0 == NOW and case.due_at == NOW + timedelta(days=15)
    checks = {c.criterion: c for c in case.criteria}
    assert checks["event"].why == "describes nausea, dizziness"
    assert checks["product"].evidence == ["Zoloft"]
    assert checks["patient"].evidence == ["i"]
    assert checks["reporter"].evidence == ["jo", "a1"]
    shown = safety.present(case, NOW + timedelta(days=14, hours=23))
    assert (shown.days_left, shown.overdue) == (0, False)
    late = safety.present(case, NOW + timedelta(days=15, minutes=1))
    assert (late.days_left, late.overdue, late.actions) == (-1, True, ["follow_up", "report", "dismiss"])


def test_a_missing_criterion_says_what_is_missing_and_blocks_the_report() -> None:
    case = opened(reporter=False)
    assert (case.valid, case.missing) == (False, ["reporter"])
    with pytest.raises(Conflict) as refused:
        safety.report(case, SAM, ReportBody(reference="R1"), NOW)
    assert refused.value.extra["missing"] == ["reporter"]
    followed = safety.follow_up(
        case, SAM, FollowUpBody(channel="email", outcome="information_received", confirms=["reporter"]), NOW
    )
    assert followed.status == "followed_up" and followed.valid
    reported = safety.report(followed, SAM, ReportBody(reference="R1"), NOW + timedelta(days=3))
    assert reported.status == "reported" and reported.reports[0].within_deadline
    with pytest.raises(Conflict):
        safety.dismiss(reported, SAM, DismissBody(reason="spam"), NOW)


def test_a_late_report_is_recorded_as_late() -> None:
    reported = safety.report(opened(), SAM, ReportBody(reported_at=NOW + timedelta(days=16)), NOW + timedelta(days=16))
    assert reported.reports[0].within_deadline is False


def test_new_information_on_a_reported_case_makes_a_follow_up_report_due() -> None:
    reported = safety.report(opened(), SAM, ReportBody(), NOW + timedelta(days=1))
    assert safety.report_due(reported) is None
    later = flagged("the dizziness came back today", "n2")
    later = later.model_copy(
        update={"mention": later.mention.model_copy(update={"received_at": NOW + timedelta(days=20)})}
    )
    updated = safety.add_information(reported, later, NOW + timedelta(days=20))
    assert updated is not None and updated.status == "reported"
    assert safety.report_due(updated) == NOW + timedelta(days=35)
    assert safety.add_information(updated, later, NOW) is None  # a redelivery
    again = safety.report(updated, SAM, ReportBody(), NOW + timedelta(days=21))
    assert [r.kind for r in again.reports] == ["initial", "follow_up"] and again.new_information_at is None


def test_a_dismissed_case_opens_again_and_keeps_day_0() -> None:
    dismissed = safety.dismiss(opened(), SAM, DismissBody(reason="no_adverse_event"), NOW)
    assert dismissed.status == "not_a_case" and safety.actions(dismissed.status) == []
    with pytest.raises(Conflict):
        safety.follow_up(dismissed, SAM, FollowUpBody(channel="phone", outcome="pending"), NOW)
    reopened = safety.add_information(dismissed, flagged("worse today", "n3"), NOW + timedelta(days=2))
    assert reopened is not None and (reopened.status, reopened.day0) == ("open", NOW)


def test_an_erasure_request_is_held_on_the_case_once() -> None:
    erasure = AuthorErasure(erasure_id="er_1", platform="generic", author_id="a1", requested_by="dpo", requested_at=NOW)
    held = safety.hold(opened(), erasure, NOW)
    assert held is not None and held.holds[0].kept and "17(3)" in held.holds[0].basis
    assert held.verbatim[0].text == TEXT
    assert safety.hold(held, erasure, NOW) is None


def test_the_export_uses_e2b_names_and_one_csv_row() -> None:
    packet = safety.export_packet(opened(), NOW)
    assert (packet["safetyreportid"], packet["reporttype"], packet["receivedate"]) == (
        opened().id,
        "1",
        "2026-11-26",
    )
    assert packet["patient"]["drug"][0] == {
        "drugcharacterization": "1",
        "medicinalproduct": "Zoloft",
        "activesubstancename": None,
        "drugindication": None,
    }
    [row] = list(csv.DictReader(io.StringIO(to_csv(safety.CSV_COLUMNS, [safety.csv_row(packet)]))))
    assert row["patient.reaction.primarysourcereaction"] == "nausea; dizziness"
    assert row["hark.criteria.reporter"] == "true"


def test_a_safety_thread_takes_only_the_approved_acknowledgement_in_public() -> None:
    acks = ("ae-ack-en",)
    assert voice.scripted_only("comment", None, {}, acks) is not None
    assert voice.scripted_only("comment", "complaint-en", {}, acks) is not None
    assert voice.scripted_only("comment", "ae-ack-en", {"first_name": "x"}, acks) is not None
    assert voice.scripted_only("comment", "ae-ack-en", {}, acks) is None
    assert voice.scripted_only("comment", "ae-ack-en", {}, ()) is not None  # none approved: no public reply
    assert voice.scripted_only("message", None, {}, acks) is None  # the safety team follows up in private


def test_an_adverse_event_goes_to_the_safety_queue_before_any_rule() -> None:
    config = load_text(
        "queues: {care: {team: care}}\nteams: {care: {}}\ndefault_queue: care\n"
        "routing: [{when: {platform: [generic]}, queue: care}]\n"
        "sla: {default: {targets: [{first_response: 1h, next_response: 1h, resolution: 1d}]}}",
        "hark.yaml",
    )
    assert set(config.queues) == {"care", "safety"} and config.queues["safety"].team == "care"
    chosen = route(flagged().mention, flagged().classification, config)
    assert (chosen.queue, chosen.rule) == ("safety", -1)
    assert route(mention(), classification(50), config).queue == "care"


def test_acknowledgements_must_be_templates_that_repeat_nothing_the_reporter_said() -> None:
    base = (
        "queues: {care: {team: care}}\nteams: {care: {}}\ndefault_queue: care\n"
        "sla: {default: {targets: [{first_response: 1h, next_response: 1h, resolution: 1d}]}}\n"
    )
    with pytest.raises(InvalidConfig) as missing:
        load_text(base + "safety: {acknowledgements: [nope]}", "hark.yaml")
    assert [e["loc"] for e in missing.value.extra["errors"]] == ["safety.acknowledgements[0]"]
    with pytest.raises(InvalidConfig) as echoing:
        load_text(base + "templates: [{id: a, text: 'Re {order_ref}'}]\nsafety: {acknowledgements: [a]}", "hark.yaml")
    assert "order_ref" in echoing.value.extra["errors"][0]["msg"]


def test_retention_is_configured_per_kind_and_safety_cases_are_kept_by_default() -> None:
    assert CONFIG.retention.inbox == timedelta(days=365)
    assert CONFIG.retention.safety_cases is None and CONFIG.retention.audit_content is None
    assert load_text(
        "queues: {care: {team: care}}\nteams: {care: {}}\ndefault_queue: care\n"
        "sla: {default: {targets: [{first_response: 1h, next_response: 1h, resolution: 1d}]}}\n"
        "retention: {inbox: 90d, archive: 7d}",
        "hark.yaml",
    ).retention.archive == timedelta(days=7)


def _entry(**after: object) -> AuditEntry:
    return AuditEntry(
        stream="t_x", seq=2, at=NOW, actor="alice", action="draft", before={"status": "assigned"},
        after={"status": "drafting", **after}, detail={"revision": 2, "text": "Hi Jo"}, prev_hash="abc",
    )  # fmt: skip


def test_an_audit_entry_keeps_words_apart_and_verifies_without_them() -> None:
    full = _entry(preview={"author": "jo", "text": "my card 4242"})
    stripped, content = audit.hold_apart(full)
    assert content is not None
    assert stripped.sealed == ["after.preview", "detail.text"]
    assert "4242" not in stripped.model_dump_json() and "Hi Jo" not in stripped.model_dump_json()
    assert stripped.after == {"status": "drafting"} and stripped.detail == {"revision": 2}
    assert audit.verify([stripped], "abc", 2) == []
    shown, problems = audit.restore(stripped, content)
    assert problems == [] and shown.content == "kept" and shown.after["preview"]["text"] == "my card 4242"
    gone, _ = audit.restore(stripped, None)
    assert gone.content == "erased" and "preview" not in gone.after
    forged = audit.Content(content.stream, content.seq, content.salt, {"after": {"preview": {"text": "x"}}})
    assert audit.restore(stripped, forged)[1] == ["entry 2's content was altered"]
    assert audit.verify([stripped.model_copy(update={"sealed": []})], "abc", 2) == ["entry 2 was altered"]


def test_an_entry_with_nothing_personal_stays_whole_and_old_entries_still_verify() -> None:
    plain = _entry().model_copy(update={"detail": {"revision": 2}})
    stripped, content = audit.hold_apart(plain)
    assert content is None and stripped.sealed == [] and stripped.after == plain.after
    # An entry sealed before the new fields existed hashes as it did then.
    assert audit.seal(plain).hash == audit.seal(plain.model_copy(update={"sealed": [], "content_hash": ""})).hash


def test_csv_cells_a_spreadsheet_would_run_are_quoted() -> None:
    text = to_csv(["a", "b", "c"], [{"a": '=HYPERLINK("http://x")', "b": "-12.5", "c": "@SUM(A1)"}])
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row == {"a": '\'=HYPERLINK("http://x")', "b": "-12.5", "c": "'@SUM(A1)"}


def test_percentiles_interpolate_between_ranks() -> None:
    assert reports.percentile([], 50) is None
    assert reports.percentile([10.0], 99) == 10.0
    assert reports.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert reports.percentile(list(map(float, range(1, 101))), 90) == pytest.approx(90.1)


def _fact(n: int, *, minutes: float | None, due_minutes: float = 60, closed: float | None = None) -> ConversationFact:
    started = NOW + timedelta(minutes=n)
    stopped = started + timedelta(minutes=minutes) if minutes is not None else None
    due = started + timedelta(minutes=due_minutes)
    return ConversationFact(
        task_id=f"t_{n}", cycle=1, day=started.date().isoformat(), started_at=started, queue="care" if n % 2 else "vip",
        platform="meta", channel="messenger", source="platform", status="sent", priority=50,
        first_response=ClockFact(started_at=started, due_at=due, stopped_at=stopped),
        closed_at=started + timedelta(minutes=closed) if closed is not None else None,
        resolution=ClockFact(started_at=started, due_at=started + timedelta(days=1)),
        answered=minutes is not None, replies=[ReplyFact(by="dev", at=stopped)] if stopped else [], updated_at=NOW,
    )  # fmt: skip


def test_time_reports_count_answered_conversations_and_group_them() -> None:
    facts = [_fact(1, minutes=10), _fact(2, minutes=30), _fact(3, minutes=None), _fact(4, minutes=90, closed=120)]
    query, day = ReportQuery(), NOW + timedelta(days=1)
    built = reports.build(
        "first-response", NOW, NOW + timedelta(days=1), NOW, query, facts=facts, mentions=[], cases=[]
    )
    total = built.rows[0]
    assert (total["conversations"], total["answered"], total["not_answered"]) == (4, 3, 1)
    assert total["p50_seconds"] == 1800.0 and total["max_seconds"] == 5400.0
    assert [r["group"] for r in built.rows] == ["all", "care", "vip"]
    sla = reports.build(
        "sla", NOW, NOW + timedelta(days=1), NOW + timedelta(hours=3), query, facts=facts, mentions=[], cases=[]
    )
    first = next(r for r in sla.rows if r["group"] == "all" and r["clock"] == "first_response")
    assert (first["met"], first["breached"], first["pending"]) == (2, 2, 0)  # 90 min and unanswered past due
    assert first["attainment_percent"] == 50.0
    resolved = reports.build("resolution", NOW, day, NOW, query, facts=facts, mentions=[], cases=[])
    assert resolved.summary["resolved"] == 1 and resolved.summary["p50_seconds"] == 7200.0


def test_over_time_reports_have_every_bucket_and_start_weeks_on_monday() -> None:
    assert reports.bucket_start(datetime(2026, 11, 26, 13, 5, tzinfo=UTC), "week") == datetime(2026, 11, 23, tzinfo=UTC)
    assert reports.bucket_start(datetime(2026, 11, 26, 13, 5, tzinfo=UTC), "hour") == datetime(
        2026, 11, 26, 13, tzinfo=UTC
    )
    built = reports.build(
        "sentiment", NOW, NOW + timedelta(days=3), NOW, ReportQuery(), facts=[], mentions=[], cases=[]
    )
    # 09:00 on the 26th to 09:00 on the 29th: four days touched, each a row even when empty.
    assert [r["bucket"][:10] for r in built.rows] == ["2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29"]
    assert built.rows[0]["total"] == 0 and built.rows[0]["negative_share"] is None


def test_the_safety_report_counts_reports_within_the_deadline() -> None:
    on_time = safety.report(opened(), SAM, ReportBody(), NOW + timedelta(days=2))
    late = safety.report(opened().model_copy(update={"id": "sc_late"}), SAM, ReportBody(), NOW + timedelta(days=20))
    pending = opened().model_copy(update={"id": "sc_open"})
    built = reports.build(
        "safety", NOW - timedelta(days=1), NOW + timedelta(days=1), NOW + timedelta(days=20), ReportQuery(),
        facts=[], mentions=[], cases=[on_time, late, pending],
    )  # fmt: skip
    assert built.summary["opened"] == 3 and built.summary["reported"] == 2
    assert (built.summary["reported_within_deadline"], built.summary["reported_late"]) == (1, 1)
    assert (built.summary["overdue"], built.summary["within_deadline_percent"]) == (1, 50.0)


def test_a_conversation_fact_carries_no_words() -> None:
    task = open_task(mention("my card 4242 was charged twice"), classification(60), NOW, CONFIG)
    fact = fact_of(task)
    assert fact.day == "2026-11-26" and fact.first_response is not None and not fact.answered
    assert "4242" not in fact.model_dump_json() and "jo" not in fact.model_dump_json()


class _Hours:
    def __init__(self, entries: list[AuditEntry]) -> None:
        self.entries = entries
        self.asked: list[str] = []

    def written_in(self, hour: str) -> list[AuditEntry]:
        self.asked.append(hour)
        return [e for e in self.entries if audit.hour_of(e.at) == hour]


class _Bucket:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def exported(self, days: object) -> set[str]:
        return set(self.objects)

    def first(self) -> str | None:
        return min(self.objects, default=None)

    def put(self, key: str, body: bytes, metadata: object) -> bool:
        assert key not in self.objects, f"{key} written twice (Object Lock forbids it)"
        self.objects[key] = body
        return True


def test_the_audit_export_writes_each_ended_hour_once_empty_hours_included() -> None:
    from services.respond import audit_export

    at = datetime(2026, 12, 2, 5, 59, 30, tzinfo=UTC)
    stored = audit.hold_apart(_entry())[0]  # as the table holds it: the words kept apart
    entries = [stored.model_copy(update={"at": at, "seq": n}) for n in (1, 2)]
    entries.append(stored.model_copy(update={"at": at + timedelta(minutes=1), "seq": 3}))  # 06:00:30
    source, bucket = _Hours(entries), _Bucket()
    exporter = audit_export.AuditExport(source, bucket)
    # 06:04: hour 05 has ended but not settled. Before the first entry nothing is written: an empty object for an
    # hour before the export began would be a false "nothing happened", locked for years.
    early = exporter.run(now=datetime(2026, 12, 2, 6, 4, tzinfo=UTC))
    assert (early.exported, early.entries, bucket.objects) == ([], 0, {})
    done = exporter.run(now=datetime(2026, 12, 2, 6, 6, tzinfo=UTC))
    assert (done.exported, done.entries) == (["audit/2026-12-02/05.jsonl.gz"], 2)
    assert [e.seq for e in audit_export.decode(bucket.objects["audit/2026-12-02/05.jsonl.gz"])] == [1, 2]
    later = exporter.run(now=datetime(2026, 12, 2, 7, 5, tzinfo=UTC))
    assert (later.exported, later.entries) == (["audit/2026-12-02/06.jsonl.gz"], 1)
    assert exporter.run(now=datetime(2026, 12, 2, 7, 30, tzinfo=UTC)).exported == []  # nothing is written twice
    # Once begun, a quiet hour is written empty, so that a missing object means a missed export.
    quiet = exporter.run(now=datetime(2026, 12, 2, 9, 6, tzinfo=UTC))
    assert quiet.exported == ["audit/2026-12-02/07.jsonl.gz", "audit/2026-12-02/08.jsonl.gz"]
    assert audit_export.decode(bucket.objects["audit/2026-12-02/08.jsonl.gz"]) == []
    assert b"Hi Jo" not in gzip.decompress(bucket.objects["audit/2026-12-02/06.jsonl.gz"])
