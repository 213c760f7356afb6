"""Safety cases (pure): a suspected adverse event as a pharmacovigilance team works it.

A thread in which classify flags a suspected adverse event opens one case (its id derives from the task's, so a
redelivery lands on the same case). The case holds the four minimum criteria of a valid report (ICH E2D: an
identifiable patient, an identifiable reporter, a suspect product, an adverse event) with which are present and
why, the product and how it was recognised, the verbatim messages, the reporter's handle and platform link, day 0
(first receipt by the company) and the reporting clock (15 calendar days by default, `safety.reporting_days`).

Lifecycle: `open` → `followed_up` (a follow-up attempt is on record, with its outcome) → `reported` (submitted to
the safety database or the authority, with its reference); `open`/`followed_up` → `not_a_case` (dismissed, with a
reason). A later message in the thread adds to the case: to a reported one as new information (a follow-up report
falls due, on the same clock from its receipt), and a dismissed one opens again. A report needs the four criteria:
a follow-up may confirm the ones the message did not show.

What an erasure request cannot take: the case keeps the verbatim report, the reporter's identity and link, and its
history (GDPR Art. 17(3)(b) and (c): a legal obligation and public health), and says so on the case.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

from shared.api.governance import (
    CRITERIA,
    CaseReport,
    CaseStatus,
    Criterion,
    CriterionCheck,
    Dismissal,
    DismissBody,
    FollowUp,
    FollowUpBody,
    LegalHold,
    ReportBody,
    Reporter,
    SafetyCase,
    SuspectProduct,
    Verbatim,
)
from shared.auth import Principal
from shared.config import HarkConfig
from shared.errors import Conflict
from shared.events import AdverseEventCriteria, AuthorErasure, ClassifiedMention, Task
from shared.ids import safety_case_id

RETENTION = (
    "Kept as pharmacovigilance law requires (ICH E2D; EU GVP Module VI; 21 CFR 314.80): the verbatim report, the "
    "reporter's identity and platform link, day 0, every follow-up and report, for as long as retention.safety_cases "
    "says (unset: kept). A request to erase the reporter does not remove them: GDPR Art. 17(3)(b) and (c) exempt what "
    "a legal obligation and public health require. The request is recorded on the case as a hold; everything else "
    "Hark held of the person is erased."
)
KEPT_ON_HOLD = ["verbatim report", "reporter identity and platform link", "day 0", "follow-ups and reports"]
ACTIONS: dict[str, tuple[str, ...]] = {
    "open": ("follow_up", "report", "dismiss"),
    "followed_up": ("follow_up", "report", "dismiss"),
    "reported": ("follow_up", "report"),
    "not_a_case": (),
}
MAX_VERBATIM = 50
# First-person words and named relatives, to show what made the patient identifiable (English; classify decides).
_PATIENT_WORDS = re.compile(
    r"\bmy\s+(?:son|daughter|child|kid|baby|wife|husband|partner|mom|mum|mother|dad|father|brother|sister|friend)\b"
    r"|\b(?:i|i'm|i've|me|my|myself)\b",
    re.IGNORECASE,
)
_HOW = {
    "policy": "a product on the brand's list",
    "generic": "the generic name of {drug}",
    "brand": "a brand name of {drug}",
    "name": "another name of {drug}",
    "misspelling": "a misspelling of {drug}",
    "reference": "a medicine referred to without its name",
    "assumed": "the one product this account is about",
}


def case_id(task_id: str) -> str:
    return safety_case_id(task_id)


def actions(status: CaseStatus) -> list[str]:
    return list(ACTIONS[status])


def _require(case: SafetyCase, action: str) -> None:
    if action not in ACTIONS[case.status]:
        raise Conflict(
            f"a safety case that is {case.status.replace('_', ' ')} cannot take `{action}`",
            status=case.status,
            allowed=actions(case.status),
        )


def _criteria_of(classified: ClassifiedMention, found: AdverseEventCriteria) -> list[CriterionCheck]:
    mention = classified.mention
    patient_words = list(dict.fromkeys(m.group().lower() for m in _PATIENT_WORDS.finditer(mention.text)))[:5]
    handle = mention.author.handle or mention.author.name
    product = _product_of(found)
    model_only = list(found.events) == ["adverse reaction described"]
    return [
        CriterionCheck(
            criterion="patient",
            present=found.patient,
            why="the reporter writes of their own experience or a named relative"
            if found.patient
            else "the message does not say whose experience it is",
            evidence=patient_words if found.patient else [],
        ),
        CriterionCheck(
            criterion="reporter",
            present=found.reporter,
            why=f"the {mention.platform} account {handle or mention.author.id} identifies who reported it"
            if found.reporter
            else f"{mention.platform} gives no identity for the author",
            evidence=[v for v in (handle, mention.author.id) if v] if found.reporter else [],
        ),
        CriterionCheck(
            criterion="product",
            present=product is not None,
            why=f"names {product.name}: {product.how}" if product else "no suspect product is named",
            evidence=[product.name] if product else [],
        ),
        CriterionCheck(
            criterion="event",
            present=bool(found.events),
            why=(
                f"the reaction model recognises a described reaction (score {found.reaction_score:.2f})"
                if model_only
                else f"describes {', '.join(found.events)}"
            )
            if found.events
            else "no adverse event is described",
            evidence=[] if model_only else list(found.events),
        ),
    ]


def _product_of(found: AdverseEventCriteria) -> SuspectProduct | None:
    if not found.product:
        return None
    # Fields the classification engineer adds to the criteria; read tolerantly, older classifications lack them.
    drug = getattr(found, "drug", None)
    match = getattr(found, "match", None)
    own = getattr(found, "own_product", None)
    how = _HOW.get(match or "policy", "recognised by classify").format(drug=drug or found.product)
    return SuspectProduct(name=found.product, drug=drug, match=match or "policy", own_product=own, how=how)


def _verbatim(classified: ClassifiedMention) -> Verbatim:
    mention = classified.mention
    return Verbatim(
        mention_id=mention.id,
        text=mention.text,
        language=classified.classification.language,
        channel=mention.channel,
        said_at=mention.created_at,
        received_at=mention.received_at,
        url=mention.url,
    )


def _summary(criteria: list[CriterionCheck]) -> tuple[bool, list[Criterion]]:
    missing = [c.criterion for c in criteria if not c.present]
    return not missing, missing


def open_case(classified: ClassifiedMention, task: Task, now: datetime, config: HarkConfig) -> SafetyCase:
    """The case a suspected adverse event opens: day 0 is when the company received the message."""
    mention, classification = classified.mention, classified.classification
    found = classification.adverse_event_criteria or AdverseEventCriteria(patient=False, reporter=False, product=None)
    criteria = _criteria_of(classified, found)
    valid, missing = _summary(criteria)
    day0 = mention.received_at
    days = config.safety.reporting_days
    return SafetyCase(
        id=case_id(task.id),
        task_id=task.id,
        status="open",
        queue=config.safety.queue,
        day0=day0,
        due_at=day0 + timedelta(days=days),
        reporting_days=days,
        criteria=criteria,
        valid=valid,
        missing=missing,
        product=_product_of(found),
        events=list(found.events),
        reaction_score=found.reaction_score,
        verbatim=[_verbatim(classified)],
        reporter=Reporter(
            platform=mention.platform,
            id=mention.author.id,
            handle=mention.author.handle,
            name=mention.author.name,
            url=mention.url,
        ),
        platform=mention.platform,
        channel=mention.channel,
        retention=RETENTION,
        created_at=now,
        updated_at=now,
    )


def add_information(case: SafetyCase, classified: ClassifiedMention, now: datetime) -> SafetyCase | None:
    """A later message of the thread on the case (None when the case has it already)."""
    mention = classified.mention
    if any(v.mention_id == mention.id and v.text == mention.text for v in case.verbatim):
        return None
    found = classified.classification.adverse_event_criteria
    criteria = list(case.criteria)
    product, events = case.product, list(case.events)
    if found is not None:
        fresh = {c.criterion: c for c in _criteria_of(classified, found)}
        criteria = [c if c.present else fresh[c.criterion] for c in criteria]
        product = product or _product_of(found)
        events = list(dict.fromkeys([*events, *found.events]))
    valid, missing = _summary(criteria)
    verbatim = [v for v in case.verbatim if v.mention_id != mention.id]  # an edit replaces the message
    update: dict[str, Any] = {
        "criteria": criteria,
        "valid": valid,
        "missing": missing,
        "product": product,
        "events": events,
        "verbatim": [*verbatim, _verbatim(classified)][-MAX_VERBATIM:],
        "updated_at": now,
    }
    if case.status == "reported":
        update["new_information_at"] = case.new_information_at or mention.received_at
    elif case.status == "not_a_case":
        update["status"] = "open"
    return case.model_copy(update=update)


def follow_up(case: SafetyCase, who: Principal, body: FollowUpBody, now: datetime) -> SafetyCase:
    _require(case, "follow_up")
    confirmed = set(body.confirms)
    criteria = [
        c.model_copy(
            update={
                "present": True,
                "why": f"{c.why}; confirmed by a follow-up ({body.channel.replace('_', ' ')}) by {who.user}",
                "confirmed_at": now,
                "confirmed_by": who.user,
            }
        )
        if c.criterion in confirmed and not c.confirmed_at
        else c
        for c in case.criteria
    ]
    valid, missing = _summary(criteria)
    attempt = FollowUp(
        at=now, by=who.user, channel=body.channel, outcome=body.outcome, note=body.note, confirms=list(body.confirms)
    )
    return case.model_copy(
        update={
            "status": "followed_up" if case.status == "open" else case.status,
            "follow_ups": [*case.follow_ups, attempt],
            "criteria": criteria,
            "valid": valid,
            "missing": missing,
            "updated_at": now,
        }
    )


def report_due(case: SafetyCase) -> datetime | None:
    """When the next report is due; None when none is pending."""
    if case.status in ("open", "followed_up"):
        return case.due_at
    if case.status == "reported" and case.new_information_at is not None:
        return case.new_information_at + timedelta(days=case.reporting_days)
    return None


def report(case: SafetyCase, who: Principal, body: ReportBody, now: datetime) -> SafetyCase:
    _require(case, "report")
    due = report_due(case)
    if due is None:
        raise Conflict(
            "the case is reported and nothing new has arrived since: record a follow-up first",
            status=case.status,
            allowed=["follow_up"],
        )
    if not case.valid:
        raise Conflict(
            f"the case misses {', '.join(case.missing)}: a report needs the four minimum criteria; a follow-up may "
            "confirm them",
            status=case.status,
            missing=case.missing,
            allowed=["follow_up", "dismiss"] if case.status != "reported" else ["follow_up"],
        )
    at = body.reported_at or now
    if at > now + timedelta(minutes=5):
        raise Conflict("a report cannot be dated in the future", reported_at=at.isoformat())
    entry = CaseReport(
        kind="initial" if case.status != "reported" else "follow_up",
        at=at,
        by=who.user,
        reference=body.reference,
        due_at=due,
        within_deadline=at <= due,
        note=body.note,
    )
    return case.model_copy(
        update={"status": "reported", "reports": [*case.reports, entry], "new_information_at": None, "updated_at": now}
    )


def dismiss(case: SafetyCase, who: Principal, body: DismissBody, now: datetime) -> SafetyCase:
    _require(case, "dismiss")
    return case.model_copy(
        update={
            "status": "not_a_case",
            "dismissal": Dismissal(at=now, by=who.user, reason=body.reason, comment=body.comment),
            "updated_at": now,
        }
    )


def hold(case: SafetyCase, erasure: AuthorErasure, now: datetime) -> SafetyCase | None:
    """The erasure request the case outlives, on record (None when it is already)."""
    if any(h.erasure_id == erasure.erasure_id for h in case.holds):
        return None
    entry = LegalHold(
        erasure_id=erasure.erasure_id,
        requested_at=erasure.requested_at,
        requested_by=erasure.requested_by,
        kept=KEPT_ON_HOLD,
        basis="GDPR Art. 17(3)(b) and (c): pharmacovigilance obligations (ICH E2D, EU GVP Module VI, 21 CFR 314.80)",
    )
    return case.model_copy(update={"holds": [*case.holds, entry], "updated_at": now})


def present(case: SafetyCase, now: datetime) -> SafetyCase:
    """The case as callers see it: the clock read now, what may be done."""
    due = report_due(case)
    days_left = math.floor(((due or case.due_at) - now).total_seconds() / 86400)
    return case.model_copy(
        update={
            "days_left": days_left,
            "overdue": due is not None and now > due,
            "actions": actions(case.status),
        }
    )


# The intake packet: E2B(R2)-minded names (ICH ICSR elements), so a safety database import maps them one to one.
def _narrative(case: SafetyCase) -> str:
    who = case.reporter.handle or case.reporter.name or case.reporter.id
    product = case.product.name if case.product else "an unnamed product"
    events = ", ".join(case.events) or "an unspecified reaction"
    criteria = "; ".join(f"{c.criterion}: {'present' if c.present else 'missing'} ({c.why})" for c in case.criteria)
    return (
        f"On {case.day0:%d %B %Y} the company received a {case.channel} message on {case.platform} from {who}, "
        f"reporting {events} with {product}. Minimum criteria: {criteria}. "
        f"Follow-up attempts: {len(case.follow_ups)}."
    )


def export_packet(case: SafetyCase, now: datetime) -> dict[str, Any]:
    latest = max([case.day0, *(v.received_at for v in case.verbatim), *(f.at for f in case.follow_ups)])
    drug = case.product
    return {
        "safetyreportid": case.id,
        "safetyreportversion": len(case.reports) + 1,
        "reporttype": "1",  # spontaneous
        "receivedate": case.day0.date().isoformat(),
        "receiptdate": latest.date().isoformat(),
        "transmissiondate": now.date().isoformat(),
        "serious": None,  # seriousness is the safety team's assessment
        "fulfillexpeditecriteria": None,
        "primarysource": {
            "qualification": "5",  # consumer or other non-health professional
            "reportergivename": None,
            "reporterfamilyname": None,
            "reportercountry": None,
            "sourceplatform": case.reporter.platform,
            "sourceid": case.reporter.id,
            "sourcehandle": case.reporter.handle or case.reporter.name,
            "sourceurl": case.reporter.url,
        },
        "patient": {
            "patientidentified": next(c.present for c in case.criteria if c.criterion == "patient"),
            "patientinitial": None,
            "reaction": [
                {"primarysourcereaction": e, "reactionmeddrapt": None, "reactionoutcome": None} for e in case.events
            ],
            "drug": [
                {
                    "drugcharacterization": "1",  # suspect
                    "medicinalproduct": drug.name,
                    "activesubstancename": drug.drug,
                    "drugindication": None,
                }
            ]
            if drug
            else [],
            "summary": {
                "narrativeincludeclinical": _narrative(case),
                "reportercomment": "\n\n".join(v.text for v in case.verbatim),
            },
        },
        "hark": {
            "status": case.status,
            "day0": case.day0.isoformat(),
            "due_at": case.due_at.isoformat(),
            "reporting_days": case.reporting_days,
            "valid": case.valid,
            "criteria": [c.model_dump(mode="json") for c in case.criteria],
            "product_recognised": drug.how if drug else None,
            "verbatim": [v.model_dump(mode="json") for v in case.verbatim],
            "follow_ups": [f.model_dump(mode="json") for f in case.follow_ups],
            "reports": [r.model_dump(mode="json") for r in case.reports],
            "dismissal": case.dismissal.model_dump(mode="json") if case.dismissal else None,
            "holds": [h.model_dump(mode="json") for h in case.holds],
            "task_id": case.task_id,
            "retention": case.retention,
        },
    }


CSV_COLUMNS = (
    "safetyreportid",
    "safetyreportversion",
    "reporttype",
    "receivedate",
    "receiptdate",
    "transmissiondate",
    "primarysource.qualification",
    "primarysource.sourceplatform",
    "primarysource.sourceid",
    "primarysource.sourcehandle",
    "primarysource.sourceurl",
    "patient.patientidentified",
    "patient.reaction.primarysourcereaction",
    "patient.drug.medicinalproduct",
    "patient.drug.activesubstancename",
    "patient.drug.drugcharacterization",
    "patient.summary.reportercomment",
    "patient.summary.narrativeincludeclinical",
    "hark.status",
    "hark.day0",
    "hark.due_at",
    "hark.valid",
    "hark.criteria.patient",
    "hark.criteria.reporter",
    "hark.criteria.product",
    "hark.criteria.event",
    "hark.product_recognised",
    "hark.follow_ups",
    "hark.last_follow_up_outcome",
    "hark.reported_at",
    "hark.report_reference",
)


def csv_row(packet: dict[str, Any]) -> dict[str, Any]:
    source, patient, hark = packet["primarysource"], packet["patient"], packet["hark"]
    drugs = patient["drug"]
    criteria = {c["criterion"]: c["present"] for c in hark["criteria"]}
    last_report = hark["reports"][-1] if hark["reports"] else None
    return {
        **{k: packet[k] for k in CSV_COLUMNS if k in packet},
        **{f"primarysource.{k}": source[k] for k in ("qualification", "sourceplatform", "sourceid")},
        "primarysource.sourcehandle": source["sourcehandle"],
        "primarysource.sourceurl": source["sourceurl"],
        "patient.patientidentified": patient["patientidentified"],
        "patient.reaction.primarysourcereaction": "; ".join(r["primarysourcereaction"] for r in patient["reaction"]),
        "patient.drug.medicinalproduct": "; ".join(d["medicinalproduct"] for d in drugs),
        "patient.drug.activesubstancename": "; ".join(d["activesubstancename"] or "" for d in drugs),
        "patient.drug.drugcharacterization": "; ".join(d["drugcharacterization"] for d in drugs),
        "patient.summary.reportercomment": patient["summary"]["reportercomment"],
        "patient.summary.narrativeincludeclinical": patient["summary"]["narrativeincludeclinical"],
        "hark.status": hark["status"],
        "hark.day0": hark["day0"],
        "hark.due_at": hark["due_at"],
        "hark.valid": hark["valid"],
        **{f"hark.criteria.{c}": criteria.get(c) for c in CRITERIA},
        "hark.product_recognised": hark["product_recognised"],
        "hark.follow_ups": len(hark["follow_ups"]),
        "hark.last_follow_up_outcome": hark["follow_ups"][-1]["outcome"] if hark["follow_ups"] else None,
        "hark.reported_at": last_report["at"] if last_report else None,
        "hark.report_reference": last_report["reference"] if last_report else None,
    }
