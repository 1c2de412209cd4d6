"""Constants of scoring and the expected-cost policy."""

from decimal import Decimal

CENT = Decimal("0.01")
# The returns a worker claims and scores in one vectorised call and one transaction follow
# the backlog: the first batch claims up to SCORING_BATCH_MIN, and each that comes back full
# doubles the next, up to SCORING_BATCH_MAX. A lone return is decided alone and at once, and
# a burst is shared between workers in small batches first. Batches beyond 250 decided fewer
# returns a second under `make bench` (two workers: about 630/s growing to 1,000, against
# 760/s at 250), waiting on each other's customers' account locks.
SCORING_BATCH_MIN = 50
SCORING_BATCH_MAX = 250
# A return still pending after this long is nudged again by the sweeper.
SWEEP_AFTER_SECONDS = 5
TOP_CONTRIBUTIONS = 3

# A challenger replaces the active model only when it lowers the realized cost per held-out
# labelled return by at least this many dollars: less is within the noise of a small hold-out.
PROMOTION_MARGIN = Decimal("0.05")
# The most recent quarter of labelled returns (by when the truth was observed) is the hold-out.
RETRAIN_HOLDOUT_FRACTION = 0.25
# Below this many held-out labels a comparison says nothing; the retraining is skipped.
RETRAIN_MIN_HOLDOUT = 20
# Times an audit-sample label is repeated in the training set on average; each one in inverse
# proportion to its inclusion probability (see services/retrain.py).
AUDIT_SAMPLE_WEIGHT = 5
# Drift is measured over the returns of the last this many days, once a day.
DRIFT_WINDOW_DAYS = 7
# Fewer returns than this in the window and PSI is mostly sampling noise ((bins-1)/n ≈ 0.05).
DRIFT_MIN_RETURNS = 200
DRIFT_BINS = 10
# The OOD gate's recent flag rate is measured over the decisions of this many hours...
OOD_RATE_WINDOW_HOURS = 24
# ...starting from this many returns flagged at the gate's designed rate, so a quiet hour or
# a fresh install reads as "flags are false alarms" until real evidence says otherwise.
OOD_RATE_PRIOR_RETURNS = 200
# The audit sample's base rate is the day's audit reviews over the approvals of the last day,
# counting at least this many, so a quiet desk or a fresh install does not audit everything.
AUDIT_MIN_APPROVALS_PER_DAY = 200
