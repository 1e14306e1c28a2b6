"""Forms of the donations admin."""

import uuid

from django import forms

from core.forms import typed_amount
from core.money import format_money


class RefundForm(forms.Form):
    """A refund of part or all of what is left. Amount in major units, as admins read it."""

    amount = forms.CharField(max_length=40,
                             help_text="As written for people, e.g. 12.50 (¥: whole yen).")
    reason = forms.CharField(max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, donation, refundable: int, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("request_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.donation = donation
        self.refundable = refundable

    def clean_amount(self) -> int:
        currency = self.donation.currency
        minor = typed_amount(self.cleaned_data["amount"], currency)
        if minor <= 0:
            raise forms.ValidationError("Enter an amount greater than zero.")
        if minor > self.refundable:
            raise forms.ValidationError(
                f"At most {format_money(self.refundable, currency)} is left to refund."
            )
        return minor
