"""Constants of the casework domain."""

from datetime import timedelta

CLAIM_DURATION = timedelta(minutes=15)
LONG_POLL_MAX_MS = 10_000
QUEUE_PAGE_SIZE = 50
# The queue tally's key for every open case, beside the QUEUE_REASONS keys.
TALLY_ALL = "all"
# Counts the tally cannot serve (filters on value, assignee or search) are counted exactly up to
# this many matching cases; past it the page says "at least".
QUEUE_COUNT_CAP = 1_000

# Who sends each kind of outcome event, as a reviewer reads it on the timeline.
OUTCOME_SENDERS = {
    "carrier_scan": "carrier",
    "inspection": "warehouse",
    "chargeback": "payments",
    "customer_service": "customer service",
}
# A failed inspection implies fraud only where the customer sent back something other than what
# was bought; wear, damage and missing parts are disputes about condition, not evidence of intent.
INSPECTION_REASONS_IMPLYING_FRAUD = frozenset({"empty_box", "wrong_item"})
OUTCOME_BATCH_MAX = 1000
