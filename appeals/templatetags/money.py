from django import template

from appeals.formatting import format_amount

register = template.Library()


@register.filter
def money(minor, currency):
    """{{ donation.gift_amount|money:donation.currency }} -> "£25.00"."""
    if minor is None or minor == "":
        return ""
    return format_amount(int(minor), currency)
