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
