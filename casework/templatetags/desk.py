"""Template filters of the reviewer workspace: money and reasons as a reviewer reads them."""

from decimal import Decimal, InvalidOperation

from django import template

from casework.views.present import reason_chips
from core.roles import user_is_admin, user_is_lead

register = template.Library()


@register.filter
def usd(value, signed=False):
    """1234.5 → "$1,234.50", -14 → "−$14.00"; with a true argument, "+$3.00" for gains too."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return value
    sign = "−" if amount < 0 else "+" if signed and amount > 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.inclusion_tag("casework/_chips.html")
def chips(codes):
    """Short chips for a case's reason codes."""
    return {"chips": reason_chips(codes)}


@register.filter
def is_lead(user) -> bool:
    """Whether the navigation offers the lead's pages (reports, monitoring)."""
    return user_is_lead(user)


@register.filter
def is_admin(user) -> bool:
    return user_is_admin(user)
