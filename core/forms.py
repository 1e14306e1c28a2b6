"""Form pieces the apps share."""

from django import forms
from django.utils import translation

from core.money import MoneyError, parse_amount


def typed_amount(text: str, currency: str) -> int:
    """An amount a person typed in a form, in major units and the page's language, to minor
    units (the appeals admin's goals and suggested amounts, the donations admin's refunds).

    :raises forms.ValidationError: with money.parse_amount's message.
    """
    try:
        return parse_amount(text, currency, translation.get_language() or "en")
    except MoneyError as exc:
        raise forms.ValidationError(str(exc)) from exc
