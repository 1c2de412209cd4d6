"""Roles are Django auth groups; a role includes the powers of the roles below it."""

from core.constants import GROUP_ADMIN, GROUP_LEAD, GROUP_REVIEWER

ROLE_ORDER = (GROUP_REVIEWER, GROUP_LEAD, GROUP_ADMIN)


def _has_role(user, role: str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    allowed = ROLE_ORDER[ROLE_ORDER.index(role) :]
    groups = getattr(user, "_role_groups", None)
    if groups is None:
        groups = set(user.groups.values_list("name", flat=True))
        user._role_groups = groups
    return bool(groups.intersection(allowed))


def user_is_reviewer(user) -> bool:
    return _has_role(user, GROUP_REVIEWER)


def user_is_lead(user) -> bool:
    return _has_role(user, GROUP_LEAD)


def user_is_admin(user) -> bool:
    return _has_role(user, GROUP_ADMIN)


def user_is_desk_staff(user) -> bool:
    """Anyone with a desk role, or the admin site's staff: the accounts a second factor guards."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user_is_reviewer(user)
