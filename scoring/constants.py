"""Constants of scoring and the expected-cost policy."""

from decimal import Decimal

CENT = Decimal("0.01")
# Returns a worker claims and scores in one vectorised call and one transaction.
SCORING_BATCH_SIZE = 250
# A return still pending after this long is nudged again by the sweeper.
SWEEP_AFTER_SECONDS = 5
# When return_ratio is not submitted and the customer has no history: the training median.
FALLBACK_RETURN_RATIO = 0.15
VELOCITY_WINDOW_DAYS = 30
TOP_CONTRIBUTIONS = 3
