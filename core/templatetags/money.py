from django import template

from core.money import format_money

register = template.Library()


@register.filter
def money(minor, currency):
    """{{ donation.gift_amount|money:donation.currency }} -> "£25.00", in the page's language."""
    if minor is None or minor == "":
        return ""
    return format_money(int(minor), currency)
