"""The forms of the donor's own page (pages/donor.py): they only read what was typed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import typed_amount
from core.money import MAX_AMOUNT, MIN_AMOUNT, format_money


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class AmountForm(forms.Form):
    amount = forms.CharField(label=_("New amount each month"), max_length=30,
                             widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                           "autocomplete": "off"}))

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_amount(self) -> int:
        minor = typed_amount(self.cleaned_data["amount"], self.currency)
        low, high = MIN_AMOUNT[self.currency], MAX_AMOUNT[self.currency]
        if not low <= minor <= high:
            raise forms.ValidationError(
                _("Please give an amount from %(low)s to %(high)s.")
                % {"low": format_money(low, self.currency),
                   "high": format_money(high, self.currency)})
        return minor


class NewsForm(forms.Form):
    news = forms.TypedChoiceField(
        label=_("News from us"), widget=forms.RadioSelect,
        choices=(("yes", _("Yes, send me news")), ("no", _("No news, thank you"))),
        coerce=lambda value: value == "yes")
