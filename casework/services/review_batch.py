"""Resolving a case together with the same customer's other open cases, all or nothing."""

from django.db import transaction

from casework.models import Verdict
from casework.services.review import CaseConflict, case_claim, case_resolve
from intake.models import ReturnRequest


class CasesConflict(CaseConflict):
    """Some of the cases could not be claimed or decided; nothing was changed."""

    def __init__(self, conflicts: dict[int, str]):
        self.conflicts = conflicts
        super().__init__(
            "; ".join(f"case {case_id}: {message}" for case_id, message in conflicts.items())
        )


@transaction.atomic
def cases_resolve_together(
    *,
    case_id: int,
    other_case_ids: list[int],
    actor,
    verdict: str,
    hold_customer: bool = False,
    note: str = "",
) -> list[Verdict]:
    """Gives `verdict` to the case the actor holds and to each other case, claiming those first.

    Every case is tried (each in its own savepoint) so that all conflicts can be reported at
    once; if any case conflicts, the whole action is rolled back.
    """
    conflicts = {}
    verdicts = []
    others = [other for other in dict.fromkeys(other_case_ids) if other != case_id]
    # Every return first, in id order, then (inside each verdict) the customer's ledger: the
    # order labels and workers take them in, so a label arriving meanwhile cannot deadlock us.
    list(
        ReturnRequest.objects.select_for_update()
        .filter(review_case__id__in=[case_id, *others])
        .order_by("id")
        .values_list("id", flat=True)
    )
    for current in [case_id, *others]:
        try:
            with transaction.atomic():
                if current != case_id:
                    case_claim(case_id=current, actor=actor)
                verdicts.append(
                    case_resolve(
                        case_id=current,
                        actor=actor,
                        verdict=verdict,
                        hold_customer=hold_customer,
                        note=note,
                    )
                )
        except CaseConflict as exc:
            conflicts[current] = str(exc)
    if conflicts:
        raise CasesConflict(conflicts)
    return verdicts
