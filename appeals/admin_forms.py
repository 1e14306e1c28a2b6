"""Forms of the appeals admin: money is typed in major units, as people write it.

The models keep minor units; these forms read the admin's text with money.parse_amount (the
same reader as the donation form and the API) and show stored amounts back in major units.
"""

from django import forms

from appeals.models import Appeal, SuggestedAmount
from core.forms import typed_amount
from core.money import MAX_AMOUNT, MIN_AMOUNT, format_money, to_major_str

AS_WRITTEN = "In {what} as you would write it: 250000 or 250,000.00 is £250,000."


class AppealAdminForm(forms.ModelForm):
    goal_amount = forms.CharField(label="Goal amount", max_length=40,
                                  help_text=AS_WRITTEN.format(what="pounds, euros, dollars or yen"))

    class Meta:
        model = Appeal
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.goal_amount is not None:
            self.initial["goal_amount"] = to_major_str(self.instance.goal_amount,
                                                       self.instance.currency)

    def clean(self):
        cleaned = super().clean()
        text, currency = cleaned.get("goal_amount"), cleaned.get("currency")
        if text is None:
            return cleaned
        if currency is None:
            self.add_error("goal_amount", "Choose the appeal's currency first.")
            return cleaned
        try:
            goal = typed_amount(text, currency)
            if goal <= 0:
                raise forms.ValidationError("Enter a goal greater than zero.")
        except forms.ValidationError as exc:
            self.add_error("goal_amount", exc)
        else:
            cleaned["goal_amount"] = goal
        return cleaned


class SuggestedAmountForm(forms.ModelForm):
    """One suggested gift. Its currency is the appeal's, as the appeal form has it now (a new
    appeal has no row yet): SuggestedAmountFormSet passes it in."""

    amount = forms.CharField(max_length=40, help_text="As a donor would give it: 20 is £20.00.")

    class Meta:
        model = SuggestedAmount
        fields = ["amount", "impact", "position"]

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        if self.instance.amount is not None:
            self.initial["amount"] = to_major_str(self.instance.amount, currency)

    def clean_amount(self) -> int:
        currency = self.currency
        minor = typed_amount(self.cleaned_data["amount"], currency)
        if minor < MIN_AMOUNT[currency]:
            raise forms.ValidationError(
                f"The smallest gift is {format_money(MIN_AMOUNT[currency], currency)}: "
                "a donor could not give this amount.")
        if minor > MAX_AMOUNT[currency]:
            raise forms.ValidationError(
                f"The largest gift online is {format_money(MAX_AMOUNT[currency], currency)}: "
                "a donor could not give this amount.")
        return minor


class SuggestedAmountFormSet(forms.BaseInlineFormSet):
    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "currency": self.instance.currency}
