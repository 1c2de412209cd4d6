"""Turning numbers into what a reviewer reads at a glance: chips, SLA colours, a ledger chart.

Presentation only; nothing here reads the database.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from casework.choices import CarrierStatus, InspectionReason, OutcomeKind
from casework.constants import OUTCOME_SENDERS
from scoring.choices import Action, ReasonCode

REASON_CHIPS = {
    ReasonCode.BUDGET_EXCEEDED: ("budget", "budget"),
    ReasonCode.ACCOUNT_EXPOSURE: ("frequent returner", "budget"),
    ReasonCode.PORTFOLIO_BUDGET_EXCEEDED: ("portfolio budget", "budget"),
    ReasonCode.REVIEW_CAPACITY: ("review capacity", "budget"),
    ReasonCode.UNCERTAIN: ("uncertain", "uncertain"),
    ReasonCode.CUSTOMER_HOLD: ("hold", "hold"),
    ReasonCode.AUDIT_SAMPLE: ("audit", "audit"),
}
# Every case has one; as a chip it would say nothing.
SILENT_REASONS = {ReasonCode.EXPECTED_COST}
TOP_CONTRIBUTIONS_SHOWN = 6


def reason_chip(code: str) -> dict:
    if code.startswith("ood_"):
        return {"code": code, "label": "OOD " + code[4:].replace("_", " "), "tone": "ood"}
    label, tone = REASON_CHIPS.get(code, (code.replace("_", " "), "other"))
    return {"code": code, "label": label, "tone": tone}


def reason_chips(codes) -> list[dict]:
    return [reason_chip(code) for code in codes if code not in SILENT_REASONS]


def age_text(age: timedelta) -> str:
    minutes = max(int(age.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    return f"{hours // 24}d {hours % 24}h"


def sla_tone(*, age: timedelta, sla_hours: int) -> str:
    """Green under half the SLA, amber until it is due, red once it is overdue."""
    share = age / timedelta(hours=sla_hours) if sla_hours else 1
    return "ok" if share < 0.5 else "warn" if share < 1 else "bad"


def action_costs(decision) -> list[dict]:
    costs = [
        (Action.APPROVE, decision.cost_approve),
        (Action.REJECT, decision.cost_reject),
        (Action.REVIEW, decision.cost_review),
    ]
    cheapest = min(amount for _, amount in costs)
    return [
        {"action": action.label, "amount": amount, "cheapest": amount == cheapest}
        for action, amount in costs
    ]


def top_contributions(contributions) -> list[dict]:
    ranked = sorted(contributions, key=lambda c: abs(c.get("effect", 0)), reverse=True)
    ranked = ranked[:TOP_CONTRIBUTIONS_SHOWN]
    largest = max((abs(c.get("effect", 0)) for c in ranked), default=0) or 1
    return [
        {
            "feature": c.get("feature", "?"),
            "effect": c.get("effect", 0),
            "width": round(abs(c.get("effect", 0)) / largest * 100),
            "towards_fraud": c.get("effect", 0) > 0,
        }
        for c in ranked
    ]


def ledger_chart(
    *, rows: list[dict], budget: Decimal, now: datetime, width=900, height=160
) -> dict | None:
    """Geometry of a step chart of the running balance up to now, the budget a dashed line."""
    if not rows:
        return None
    left, right, top, bottom = 56, 12, 10, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    balances = [row["balance"] for row in rows]
    low = min(Decimal("0"), *balances)
    high = max(budget, *balances)
    high = high * Decimal("1.1") if high > 0 else Decimal("1")
    times = [row["entry"].effective_at for row in rows]
    start, end = times[0], max(times[-1], now)
    span = (end - start).total_seconds()

    def x(index: int, when: datetime) -> float:
        share = (when - start).total_seconds() / span if span else index / max(len(rows) - 1, 1)
        return round(left + share * plot_w, 1)

    def y(amount: Decimal) -> float:
        return round(top + float((high - amount) / (high - low)) * plot_h, 1)

    points = [(left, y(Decimal("0")))]
    dots = []
    for index, row in enumerate(rows):
        px, py = x(index, row["entry"].effective_at), y(row["balance"])
        points += [(px, points[-1][1]), (px, py)]
        dots.append(
            {
                "x": px,
                "y": py,
                "over": row["balance"] > budget,
                "title": f"{row['entry'].effective_at:%Y-%m-%d %H:%M} "
                f"{row['entry'].get_kind_display()} {row['entry'].amount:+,.2f} "
                f"→ {row['balance']:,.2f}",
            }
        )
    points.append((left + plot_w, points[-1][1]))
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": left + plot_w,
        "bottom": top + plot_h,
        "points": " ".join(f"{px},{py}" for px, py in points),
        "dots": dots,
        "budget_y": y(budget),
        "zero_y": y(Decimal("0")),
        "high": high,
        "high_y": top,
        "start": start,
        "end": end,
        "budget": budget,
    }


def ood_gauge(decision) -> dict:
    """Where the OOD score sits against its threshold, as shares of one bar."""
    scale = max(decision.ood_threshold * 1.5, decision.ood_score, 1e-9)
    return {
        "score_pct": round(min(decision.ood_score / scale, 1) * 100, 1),
        "threshold_pct": round(decision.ood_threshold / scale * 100, 1),
        "over": decision.ood_score >= decision.ood_threshold,
    }


def outcome_summary(event) -> str:
    """An outcome event in words: "inspection failed: empty box (warehouse, event wh-123)"."""
    details = event.details
    if event.kind == OutcomeKind.INSPECTION:
        text = f"inspection {details.get('result')}"
        if details.get("reason"):
            text += f": {_choice_text(InspectionReason, details['reason'])}"
    elif event.kind == OutcomeKind.CARRIER_SCAN:
        text = f"carrier scan: {_choice_text(CarrierStatus, details.get('status'))}"
    elif event.kind == OutcomeKind.CHARGEBACK:
        text = "chargeback"
        if details.get("amount"):
            text += f" of ${Decimal(details['amount']):,.2f}"
        if details.get("reason_code"):
            text += f", reason code {details['reason_code']}"
    else:
        confirmed = details.get("fraud_confirmed")
        text = "customer service" + {True: ": fraud confirmed", False: ": not fraud"}.get(
            confirmed, ""
        )
    return f"{text} ({OUTCOME_SENDERS.get(event.kind, event.kind)}, event {event.event_id})"


def _choice_text(choices, value) -> str:
    return dict(choices.choices).get(value, str(value)).lower()


CASE_AUDIT_STEPS = {
    "case.claim": "case claimed",
    "case.release": "case released",
    "case.reassign": "case reassigned",
}


def return_timeline(*, case, labels, outcome_events, audit) -> list[dict]:
    """What happened to the case's return, oldest first: received, decided, the case opened,
    claimed and resolved, and the outcome events and labels that came after."""
    return_request, decision = case.return_request, case.decision
    steps = [
        (return_request.received_at, "received", "return received", ""),
        (
            decision.decided_at,
            "decision",
            f"decided: {decision.get_action_display().lower()}",
            f"fraud p {decision.probability_used:.3f}",
        ),
        (case.created_at, "case", "case opened", ""),
    ]
    for entry in audit:
        if entry.action in CASE_AUDIT_STEPS:
            steps.append(
                (entry.created_at, "case", CASE_AUDIT_STEPS[entry.action], entry.actor_label)
            )
        elif entry.action == "case.verdict":
            verdict = entry.after.get("verdict", "")
            steps.append((entry.created_at, "case", f"case resolved: {verdict}", entry.actor_label))
    for event in outcome_events:
        note = event.details.get("note", "")
        steps.append((event.observed_at, "outcome", outcome_summary(event), note))
    for label in labels:
        if label.outcome_event_id is not None:
            origin = f"{label.source}, event {label.outcome_event.event_id}"
        elif label.reviewer is not None:
            origin = f"{label.source}, {label.reviewer.get_username()}"
        else:
            origin = label.source
        truth = "fraud" if label.is_fraud else "legitimate"
        steps.append((label.observed_at, "label", f"label: {truth} ({origin})", ""))
    steps.sort(key=lambda step: step[0])
    return [
        {"when": when, "kind": kind, "text": text, "detail": detail}
        for when, kind, text, detail in steps
    ]
