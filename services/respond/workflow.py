"""The task state machine and the commands people give (pure).

Each command names the statuses it may be given in (`ALLOWED`); any other is a `Conflict` that lists what is
allowed now. Who may give it is checked here too: holding (one agent at a time, a lease that expires, an admin
can take over), the queue's worker roles, and approvals (the tier's roles, never the draft's author or holder).

    open ─claim/assign─▶ assigned ─draft─▶ drafting ─submit─▶ pending_approval ─approve (last tier)─▶ approved
      ▲                     │                  │ ▲                    │ reject                          │
      │ release             │                  │ └──────── drafting ◀─┘ (a changed draft drops approvals) │
      └─────────────────────┘                  └─send (no tier)─▶ sent ◀─send──────────────────────────────┘
                                                                    ▲  └─refused─▶ send_failed ─retry─┘
    any ─close─▶ closed ─reopen─▶ open;   open/assigned/drafting/sent ─snooze─▶ snoozed ─(time, message)─▶ open
    the SLA sweep may escalate a breached task (escalated ─claim─▶ assigned)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.respond import sla
from shared.auth import Principal, Role
from shared.config import HarkConfig
from shared.errors import Conflict, InvalidBody, NotFound, NotPermitted
from shared.events import Approval, Draft, Rejection, SendError, SentReply, Task, TaskStatus

ALL: frozenset[TaskStatus] = frozenset(
    {
        "open",
        "assigned",
        "drafting",
        "pending_approval",
        "approved",
        "sent",
        "send_failed",
        "escalated",
        "snoozed",
        "closed",
    }
)
WORKING: frozenset[TaskStatus] = frozenset(
    {"assigned", "drafting", "pending_approval", "approved", "send_failed", "escalated"}
)
ALLOWED: dict[str, frozenset[TaskStatus]] = {
    "claim": ALL - {"closed", "snoozed"},
    "assign": ALL - {"closed"},
    "release": WORKING,
    "draft": WORKING | {"open", "sent"},
    "submit": frozenset({"drafting"}),
    "approve": frozenset({"pending_approval"}),
    "reject": frozenset({"pending_approval", "approved"}),
    "send": frozenset({"drafting", "approved"}),
    "retry": frozenset({"send_failed"}),
    "close": ALL - {"closed"},
    "reopen": frozenset({"closed", "snoozed"}),
    "snooze": frozenset({"open", "assigned", "drafting", "sent", "escalated", "send_failed"}),
    "note": ALL,
}
MAX_SNOOZE = timedelta(days=30)
MAX_REPLIES = 20
ADMIN: Role = "admin"
HUMAN_AGENT = "HUMAN_AGENT"


def actions(status: TaskStatus) -> tuple[str, ...]:
    return tuple(sorted(a for a, statuses in ALLOWED.items() if status in statuses))


def require(task: Task, action: str) -> None:
    if task.status not in ALLOWED[action]:
        raise Conflict(
            f"a task that is {task.status} cannot be given {action}; allowed now: {', '.join(actions(task.status))}",
            status=task.status,
            action=action,
            allowed=list(actions(task.status)),
        )


def _lease_valid(task: Task, now: datetime) -> bool:
    return task.holder is not None and task.lease_until is not None and task.lease_until > now


def _held_by_other(task: Task, who: Principal, now: datetime) -> bool:
    return task.holder is not None and task.holder != who.user and _lease_valid(task, now)


def _holder_conflict(task: Task) -> Conflict:
    until = task.lease_until.isoformat() if task.lease_until else None
    return Conflict(
        f"{task.holder} holds this task (until {until}); an admin can take it over",
        holder=task.holder,
        lease_until=until,
    )


def check_worker(task: Task, who: Principal, config: HarkConfig) -> None:
    workers = config.queue(task.queue).workers
    if not who.has_any(workers):
        raise NotPermitted(
            f"{who.user} may not work the {task.queue} queue; it needs one of the roles {', '.join(sorted(workers))}",
            needs=sorted(workers),
        )


def require_holder(task: Task, who: Principal, now: datetime, config: HarkConfig) -> Task:
    """The caller must hold the task (an expired lease nobody took over still counts); the lease is renewed."""
    if task.holder != who.user:
        if task.holder is None:
            raise Conflict("claim the task first", holder=None, allowed=list(actions(task.status)))
        raise _holder_conflict(task)
    return task.model_copy(update={"lease_until": now + config.workflow.lease})


def _held_status(task: Task) -> TaskStatus:
    if task.status in ("open", "escalated", "sent"):
        return "drafting" if task.draft is not None and task.status != "sent" else "assigned"
    return task.status


def claim(task: Task, who: Principal, now: datetime, config: HarkConfig, *, takeover: bool = False) -> Task:
    require(task, "claim")
    check_worker(task, who, config)
    if takeover and not who.has_any([ADMIN]):
        raise NotPermitted(f"{who.user} may not take over a task; that needs the admin role", needs=[ADMIN])
    if _held_by_other(task, who, now) and not takeover:
        raise _holder_conflict(task)
    return _hold(task, who.user, now, config)


def _hold(task: Task, user: str, now: datetime, config: HarkConfig) -> Task:
    same = task.holder == user
    return task.model_copy(
        update={
            "status": _held_status(task),
            "holder": user,
            "held_since": task.held_since if same and task.held_since else now,
            "lease_until": now + config.workflow.lease,
            "updated_at": now,
        }
    )


def assign(task: Task, who: Principal, user: str, now: datetime, config: HarkConfig) -> Task:
    require(task, "assign")
    check_worker(task, who, config)
    admin = who.has_any([ADMIN])
    if not admin and _held_by_other(task, who, now):
        raise _holder_conflict(task)
    target = config.user(user)
    if target is None and config.users:
        raise NotFound(f"there is no user {user[:64]} in the configuration")
    if target is not None:
        workers = config.queue(task.queue).workers
        if not set(workers) & set(target.roles):
            raise InvalidBody(f"{user} does not have a role that works the {task.queue} queue", needs=sorted(workers))
    status = task.status if task.status != "snoozed" else "open"
    return _hold(task.model_copy(update={"status": status}), user, now, config)


def release(task: Task, who: Principal, now: datetime) -> Task:
    require(task, "release")
    if task.holder is None:
        raise Conflict("nobody holds this task", holder=None, allowed=list(actions(task.status)))
    if task.holder != who.user and not who.has_any([ADMIN]):
        raise _holder_conflict(task)
    status: TaskStatus = "open" if task.status in ("assigned", "drafting") else task.status
    return task.model_copy(
        update={"status": status, "holder": None, "lease_until": None, "held_since": None, "updated_at": now}
    )


def _not_held_by_other(task: Task, who: Principal, now: datetime) -> None:
    if _held_by_other(task, who, now) and not who.has_any([ADMIN]):
        raise _holder_conflict(task)


def close(task: Task, who: Principal, now: datetime) -> Task:
    require(task, "close")
    _not_held_by_other(task, who, now)
    return task.model_copy(
        update={
            "status": "closed",
            "closed_at": now,
            "holder": None,
            "lease_until": None,
            "held_since": None,
            "snoozed_until": None,
            "sla": sla.stop(task.sla, now, ("first_response", "next_response", "resolution")),
            "updated_at": now,
        }
    )


def reopen(task: Task, who: Principal, now: datetime) -> Task:
    require(task, "reopen")
    status: TaskStatus = "assigned" if task.holder else "open"
    return task.model_copy(update={"status": status, "closed_at": None, "snoozed_until": None, "updated_at": now})


def snooze(task: Task, who: Principal, until: datetime, now: datetime) -> Task:
    require(task, "snooze")
    _not_held_by_other(task, who, now)
    if until <= now:
        raise InvalidBody("snooze until a time in the future")
    if until - now > MAX_SNOOZE:
        raise InvalidBody(f"snooze for at most {MAX_SNOOZE.days} days")
    return task.model_copy(update={"status": "snoozed", "snoozed_until": until, "updated_at": now})


def wake(task: Task, now: datetime) -> Task | None:
    if task.status != "snoozed" or task.snoozed_until is None or task.snoozed_until > now:
        return None
    status: TaskStatus = "assigned" if task.holder else "open"
    return task.model_copy(update={"status": status, "snoozed_until": None, "updated_at": now})


def put_draft(task: Task, who: Principal, draft: Draft, now: datetime, config: HarkConfig) -> Task:
    """A new draft revision. Approvals were for the old text: they expire."""
    require(task, "draft")
    check_worker(task, who, config)
    held = require_holder(task, who, now, config)
    return held.model_copy(
        update={
            "status": "drafting",
            "draft": draft,
            "approvals": (),
            "rejection": None,
            "send_error": None,
            "approval_tiers": tuple(t.name for t in config.queue(task.queue).approvals),
            "updated_at": now,
        }
    )


def submit(task: Task, who: Principal, now: datetime, config: HarkConfig) -> Task:
    require(task, "submit")
    held = require_holder(task, who, now, config)
    if not config.queue(task.queue).approvals:
        raise Conflict(
            f"the {task.queue} queue needs no approval: send the draft", status=task.status, allowed=["send"]
        )
    return held.model_copy(
        update={
            "status": "pending_approval",
            "approval_tiers": tuple(t.name for t in config.queue(task.queue).approvals),
            "approvals": (),
            "rejection": None,
            "updated_at": now,
        }
    )


def _not_own(task: Task, who: Principal, what: str) -> None:
    assert task.draft is not None
    if who.user in (task.draft.author, task.holder):
        raise NotPermitted(f"{who.user} wrote or holds this draft and may not {what} it (no self-approval)")


def approve(task: Task, who: Principal, now: datetime, config: HarkConfig, revision: int | None = None) -> Task:
    require(task, "approve")
    assert task.draft is not None
    if revision is not None and revision != task.draft.revision:
        raise Conflict(
            f"the draft changed: revision {task.draft.revision} is pending, not {revision}",
            draft_revision=task.draft.revision,
        )
    _not_own(task, who, "approve")
    tiers = config.queue(task.queue).approvals
    if any(a.approver == who.user for a in task.approvals):
        raise NotPermitted(f"{who.user} already approved an earlier tier of this draft")
    done = len(task.approvals)
    if done >= len(tiers):  # the config lost tiers since submission: what was approved suffices
        return task.model_copy(update={"status": "approved", "updated_at": now})
    tier = tiers[done]
    if not who.has_any(tier.roles):
        raise NotPermitted(
            f"{who.user} may not approve tier {done + 1} ({tier.name}); it needs one of the roles "
            f"{', '.join(sorted(tier.roles))}",
            needs=sorted(tier.roles),
        )
    approval = Approval(
        tier=done + 1, tier_name=tier.name, approver=who.user, draft_revision=task.draft.revision, at=now
    )
    approvals = (*task.approvals, approval)
    status: TaskStatus = "approved" if len(approvals) >= len(tiers) else "pending_approval"
    return task.model_copy(update={"status": status, "approvals": approvals, "updated_at": now})


def reject(task: Task, who: Principal, reason: str, comment: str | None, now: datetime) -> Task:
    require(task, "reject")
    assert task.draft is not None
    _not_own(task, who, "reject")
    rejection = Rejection(reason=reason, comment=comment, by=who.user, draft_revision=task.draft.revision, at=now)
    return task.model_copy(update={"status": "drafting", "approvals": (), "rejection": rejection, "updated_at": now})


@dataclass(frozen=True)
class SendPlan:
    """How the reply must go out: with the human-agent tag, as a WhatsApp template, or plainly."""

    tag: str | None = None
    template: bool = False


def plan_send(
    task: Task, who: Principal, now: datetime, config: HarkConfig, tag: str | None, *, retry: bool
) -> SendPlan:
    require(task, "retry" if retry else "send")
    check_worker(task, who, config)
    require_holder(task, who, now, config)
    if task.draft is None:
        raise Conflict("there is no draft to send", allowed=list(actions(task.status)))
    tiers = config.queue(task.queue).approvals
    approved = len([a for a in task.approvals if a.draft_revision == task.draft.revision]) >= len(tiers)
    if tiers and not approved:
        raise Conflict(
            f"the draft needs {len(tiers)} approval(s) before it is sent: submit it",
            status=task.status,
            allowed=["submit"] if task.status == "drafting" else list(actions(task.status)),
        )
    window = sla.window_for(task.channel, task.last_customer_at)
    if window is None or now <= window.closes_at:
        return SendPlan()
    if window.after == "tag":
        if tag == HUMAN_AGENT and window.tag_closes_at is not None and now <= window.tag_closes_at:
            return SendPlan(tag=HUMAN_AGENT)
        if window.tag_closes_at is not None and now <= window.tag_closes_at:
            raise Conflict(
                f"the 24-hour {task.channel} window closed at {window.closes_at.isoformat()}: a person may still "
                f'answer until {window.tag_closes_at.isoformat()} with {{"tag": "HUMAN_AGENT"}}',
                reason="window_closed",
                window_closes_at=window.closes_at.isoformat(),
                tag_closes_at=window.tag_closes_at.isoformat(),
                needs_tag=HUMAN_AGENT,
            )
        raise Conflict(
            f"the {task.channel} reply window closed at {window.tag_closes_at}; the platform no longer accepts a reply",
            reason="window_expired",
            window_closes_at=window.closes_at.isoformat(),
        )
    if window.after == "template":
        template = next((t for t in config.templates if task.draft.template == t.id), None)
        if template is not None and template.whatsapp is not None:
            return SendPlan(template=True)
        raise Conflict(
            f"the 24-hour WhatsApp window closed at {window.closes_at.isoformat()}: only an approved template may be "
            "sent now (draft from a template that names its WhatsApp template)",
            reason="window_closed_template_only",
            window_closes_at=window.closes_at.isoformat(),
        )
    return SendPlan()


def mark_sent(task: Task, reply: SentReply, now: datetime) -> Task:
    if reply.tag == "internal":
        # A Zendesk internal note: on record, but the customer was not answered and the clocks run on.
        return task.model_copy(
            update={
                "status": "sent",
                "replies": (*task.replies, reply)[-MAX_REPLIES:],
                "send_error": None,
                "lease_until": None,
                "updated_at": now,
            }
        )
    return task.model_copy(
        update={
            "status": "sent",
            "replies": (*task.replies, reply)[-MAX_REPLIES:],
            "send_error": None,
            "responded_at": reply.at,
            "lease_until": None,
            "sla": sla.stop(task.sla, reply.at),
            "updated_at": now,
        }
    )


def mark_failed(task: Task, error: SendError, now: datetime) -> Task:
    return task.model_copy(update={"status": "send_failed", "send_error": error, "updated_at": now})


def already_sent(task: Task) -> SentReply | None:
    """The reply of the current draft revision, when it went out already (a repeated send)."""
    if task.draft is None:
        return None
    return next((r for r in reversed(task.replies) if r.draft_revision == task.draft.revision), None)
