"""Constants of webhook delivery."""

from webhooks.choices import EventType

# Events about the whole desk, not one retailer's customers: only desk-wide endpoints get them.
DESK_WIDE_EVENTS = frozenset({EventType.MODEL_ACTIVATED})

# Celery task names, so the layers above can queue delivery without importing the task module.
DELIVER_TASK = "webhooks.tasks.deliver_webhooks"

# Backoff of a failing delivery (and of its endpoint): 30 s, doubling, at most 6 hours, each
# stretched or shrunk by up to a quarter at random so that receivers coming back are not hit
# by every sender at the same second.
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 6 * 3600
BACKOFF_JITTER = 0.25

# Deliveries claimed per round, and how long a claim holds before another worker may retry it
# (well past the per-attempt timeout, so a slow send is not sent twice).
DELIVERY_BATCH_SIZE = 100
CLAIM_LEASE_SECONDS = 120
DELIVERY_ROUNDS_PER_TASK = 20

# A response body kept in the log is cut to this many characters.
RESPONSE_EXCERPT_CHARS = 200
SECRET_PREFIX = "whsec_"
