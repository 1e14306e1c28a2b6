from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from audit.selectors import CATEGORIES, audit_entries


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, label="Who (username contains)")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(
        attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(
        attrs={"type": "date"}))
    category = forms.ChoiceField(required=False, label="What",
                                 choices=[("", "Everything"), *CATEGORIES.items()])


def can_read_audit_log(user) -> bool:
    return user.is_superuser or user.has_perms(
        ["donations.view_donationevent", "finance.view_exportlog"])


def audit_log(request):
    """Admin › Audit log: refunds, exports, personal data requests and admin logins."""
    if not can_read_audit_log(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = audit_entries(**{k: v for k, v in filters.items() if v})
    return TemplateResponse(request, "audit/audit_log.html", {
        **admin.site.each_context(request),
        "title": "Audit log",
        "form": form,
        "entries": entries,
    })
