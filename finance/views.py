"""Finance's exports one click away in the admin: a GET form (from, to, appeal) with a button
per file. The form is checked here, by the exports' own rules (finance.filters), so a bad date
is an error on the page; a good one is sent on to the export's URL, which downloads."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from rest_framework.exceptions import ValidationError

from appeals.models import Appeal
from finance.filters import parse_period
from finance.permissions import is_finance

# The button's value: the export's URL name (finance/urls.py).
EXPORTS = {"receipts.csv": "finance:receipts-csv", "receipts.xlsx": "finance:receipts-xlsx",
           "gift-aid.csv": "finance:gift-aid-csv"}


class ExportForm(forms.Form):
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(
        attrs={"type": "date"}), help_text="First day, in the charity's time zone.")
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(
        attrs={"type": "date"}), help_text="Last day (inclusive).")
    appeal = forms.ChoiceField(required=False, label="Appeal")
    export = forms.ChoiceField(choices=[(name, name) for name in EXPORTS],
                               widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appeal"].choices = [("", "All appeals"), *Appeal.objects.exclude(
            status=Appeal.Status.DRAFT).order_by("title").values_list("slug", "title")]

    def clean(self):
        data = super().clean()
        query = {"from": data.get("date_from"), "to": data.get("date_to"),
                 "appeal": data.get("appeal")}
        query = {key: str(value) for key, value in query.items() if value}
        try:
            parse_period(query)
        except ValidationError as exc:
            for key, errors in exc.detail.items():
                field = {"from": "date_from", "to": "date_to"}.get(key, key)
                self.add_error(field if field in self.fields else None, errors)
        data["query"] = query
        return data


def export_form(data=None) -> ExportForm:
    return ExportForm(data, prefix="export")


def finance_exports(request):
    """Admin › Finance exports: the form, or (valid) on to the chosen file's URL."""
    if not is_finance(request.user):
        raise PermissionDenied
    form = export_form(request.GET if "export-export" in request.GET else None)
    if form.is_bound and form.is_valid():
        url = reverse(EXPORTS[form.cleaned_data["export"]])
        query = form.cleaned_data["query"]
        return redirect(f"{url}?{urlencode(query)}" if query else url)
    return TemplateResponse(request, "admin/finance/exports.html", {
        **admin.site.each_context(request), "title": "Finance exports", "export_form": form,
    })
