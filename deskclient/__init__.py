"""A retailer's side of the desk: a typed API client and webhook signature checks.

Standard library only, so a retailer can copy this package or install it without the desk.
"""

from deskclient.client import (
    ActionCosts,
    BatchItemResult,
    BudgetState,
    Decision,
    DeskApiError,
    DeskClient,
    FeedEvent,
    Label,
    OutcomeBatchItemResult,
    OutcomeEvent,
    Reason,
    Return,
    ReturnCase,
)
from deskclient.signatures import (
    SIGNATURE_HEADER,
    SignatureError,
    signature_header,
    verify_signature,
)

__all__ = [
    "SIGNATURE_HEADER",
    "ActionCosts",
    "BatchItemResult",
    "BudgetState",
    "Decision",
    "DeskApiError",
    "DeskClient",
    "FeedEvent",
    "Label",
    "OutcomeBatchItemResult",
    "OutcomeEvent",
    "Reason",
    "Return",
    "ReturnCase",
    "SignatureError",
    "signature_header",
    "verify_signature",
]
