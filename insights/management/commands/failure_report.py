"""Lists approved returns later confirmed fraud, grouped by why the policy approved them."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from insights.reports import failures_approved_fraud
from scoring.choices import Action, ReasonCode

# How a return with this leading reason came to be approved.
HOW_APPROVED = {
    ReasonCode.EXPECTED_COST: "Approving was the cheapest action at the model's probability.",
    ReasonCode.UNCERTAIN: "Sent to review as uncertain; the reviewer approved it.",
    ReasonCode.BUDGET_EXCEEDED: "Sent to review for a budget breach; the reviewer approved it.",
    ReasonCode.PORTFOLIO_BUDGET_EXCEEDED: (
        "Sent to review for a portfolio breach; the reviewer approved it."
    ),
    ReasonCode.AUDIT_SAMPLE: "Picked for the audit sample; the reviewer approved it.",
    ReasonCode.CUSTOMER_HOLD: "The customer was on hold (review); the reviewer approved it.",
}
OOD_APPROVED = (
    "Out of distribution, yet approving was the cheapest action at the probability priced."
)

COLUMNS = (
    "Order",
    "Customer",
    "Value",
    "Category",
    "Payment",
    "Return ratio",
    "Returns 30d",
    "Days since purchase",
    "p model",
    "p priced",
    "OOD score / threshold",
    "Booked / budget",
    "Decided",
    "Approved by",
    "Fraud label",
    "Reason",
)


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _row(cells) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def failure_markdown(groups, *, now) -> str:
    total = sum(len(g.returns) for g in groups)
    value = sum((g.value for g in groups), 0)
    lines = [
        "# Failure report: approved returns later confirmed fraud",
        "",
        f"Generated {now:%Y-%m-%d %H:%M %Z}. A return counts when its outcome is approved and "
        "its newest label says fraud. Grouped by the decision's leading reason; the booked loss "
        "and budget are the customer's ledger when the return was decided.",
        "",
    ]
    if not groups:
        return "\n".join([*lines, "No approved return has been confirmed fraud.", ""])
    lines += [
        f"**{total} returns worth ${value:,.2f}.**",
        "",
        _row(["Leading reason", "Returns", "Value lost"]),
        _row(["---", "---:", "---:"]),
        *(_row([f"`{g.code}`", len(g.returns), f"${g.value:,.2f}"]) for g in groups),
        "",
    ]
    for group in groups:
        lines += [
            f"## `{group.code}`: {len(group.returns)} returns, ${group.value:,.2f}",
            "",
            HOW_APPROVED.get(group.code, OOD_APPROVED if group.code.startswith("ood_") else ""),
            "",
            _row(COLUMNS),
            _row(["---"] * len(COLUMNS)),
        ]
        for r in group.returns:
            d = r.decision
            lines.append(
                _row(
                    [
                        r.order_id,
                        r.customer.external_id,
                        f"${r.order_value:,.2f}",
                        r.product_category,
                        r.payment_method,
                        f"{r.return_ratio:.2f}",
                        r.returns_velocity_30d,
                        r.days_since_purchase,
                        f"{d.fraud_probability:.3f}",
                        f"{d.probability_used:.3f}",
                        f"{d.ood_score:.2f} / {d.ood_threshold:.2f}" + (" OOD" if d.ood else ""),
                        f"${d.booked_loss:,.2f} / ${d.budget:,.2f}",
                        f"{d.decided_at:%Y-%m-%d %H:%M}",
                        "policy" if d.action == Action.APPROVE else "reviewer",
                        f"{r.label_source} {r.label_observed_at:%Y-%m-%d}",
                        d.reasons[0]["text"] if d.reasons else "",
                    ]
                )
            )
        lines.append("")
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "List approved returns later confirmed fraud, grouped by the reason the policy approved "
        "them, with their features, probabilities and the customer's ledger at the time "
        "(Markdown)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, help="Markdown file (default: standard output)")

    def handle(self, *args, out, **options):
        groups = failures_approved_fraud()
        text = failure_markdown(groups, now=timezone.now())
        if out is None:
            self.stdout.write(text)
            return
        if out.is_dir():
            raise CommandError(f"--out {out} is a directory; name the Markdown file to write")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        self.stdout.write(f"wrote {sum(len(g.returns) for g in groups)} returns to {out}")
