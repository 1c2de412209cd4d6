"""Constants of intake."""

from datetime import timedelta

IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
# Returns one batch request (or one chunk of an import) may carry.
BATCH_LIMIT = 1000
# When return_ratio is not submitted and the customer has no history: the training median.
FALLBACK_RETURN_RATIO = 0.15
VELOCITY_WINDOW_DAYS = 30
# A return that fails to be decided this many times is set aside (status failed) instead of
# joining, and failing, every batch after it.
DECIDE_MAX_ATTEMPTS = 3
# The worker's task, by name: intake wakes it without importing the layers above.
DECIDE_PENDING_TASK = "casework.tasks.decide_pending_returns"
# An attribute's name is its key in a return's `attributes` and its CSV column after ATTRIBUTE_
# COLUMN_PREFIX: lower-case, a letter first, so it reads the same in JSON, CSV and rules.
ATTRIBUTE_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
ATTRIBUTE_COLUMN_PREFIX = "attr_"
# The longest string an attribute value may be (a category or an identifier).
ATTRIBUTE_STRING_MAX = 128
# Numbers beyond this size are refused rather than stored as floats that lost their meaning.
ATTRIBUTE_NUMBER_MAX = 1e12
