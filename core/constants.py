"""Constants of the platform layer: the role groups."""

# Django auth groups; membership is the role.
GROUP_REVIEWER = "reviewer"
GROUP_LEAD = "lead"
GROUP_ADMIN = "admin"
