"""The oracle reviewer of backtests: it knows every return's true label.

It resolves each case with the truth, in the order cases arise, and holds the customer on a
fraud verdict when the customer was bleeding: the case came from a budget breach or from a
frequent returner whose approval was priced with the budget it leaves open
(`scoring.policy.account_exposure`), or the customer already had a confirmed fraud.
"""

from casework.choices import VerdictChoice
from casework.models import Label, ReviewCase
from casework.services.review import case_claim, case_resolve
from scoring.policy import hold_recommended


def oracle_resolve(*, case: ReviewCase, is_fraud: bool, actor) -> None:
    """Resolves a case with the true label, holding bleeding customers (see module docstring)."""
    customer = case.return_request.customer
    already_fraud = Label.objects.filter(return_request__customer=customer, is_fraud=True).exists()
    hold = is_fraud and hold_recommended(
        reason_codes=case.reason_codes, customer_had_fraud=already_fraud
    )
    case_claim(case_id=case.pk, actor=actor)
    case_resolve(
        case_id=case.pk,
        actor=actor,
        verdict=VerdictChoice.FRAUD if is_fraud else VerdictChoice.LEGITIMATE,
        hold_customer=hold,
        note="oracle reviewer (replay)",
    )
