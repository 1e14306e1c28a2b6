"""What the apps' admin classes share."""

import json

from django import forms
from django.contrib import admin
from django.contrib.admin.models import LogEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records shown and searched, never added, edited or deleted in the admin: they are
    written by the services (and their own admin views), which keep the history."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """History rows: shown, never added or edited here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
class ValuesInChangeMessage:
    """A ModelAdmin mixin: the admin's history (LogEntry, read by the audit log) says what
    the fields in `audited_fields` were and became ("Superuser status: no → yes; Groups:
    added Finance"), not only that they changed. Other changes are described as Django does.
    """

    audited_fields: tuple[str, ...] = ()

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        details = [_field_change(form, name) for name in self.audited_fields
                   if not add and name in form.changed_data]
        if not details:
            return message
        others = LogEntry(change_message=json.dumps(message)).get_change_message()
        return "; ".join([*details, others]) if others != "No fields changed." else \
            "; ".join(details)


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value) if value not in (None, "") else "—"


def _field_change(form, name: str) -> str:
    field = form.fields[name]
    label = str(field.label or name).capitalize()
    before, after = form.initial.get(name), form.cleaned_data.get(name)
    if isinstance(field, forms.ModelMultipleChoiceField):
        before, after = {str(o) for o in before or ()}, {str(o) for o in after or ()}
        parts = [f"added {', '.join(sorted(after - before))}" if after - before else "",
                 f"removed {', '.join(sorted(before - after))}" if before - after else ""]
        return f"{label}: {'; '.join(p for p in parts if p)}"
    if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        choices = {str(k): v for k, v in field.choices}
        before, after = choices.get(str(before), before), choices.get(str(after), after)
    elif isinstance(field, forms.ModelChoiceField) and before is not None:
        before = field.queryset.model._default_manager.filter(pk=getattr(before, "pk", before)
                                                              ).first()
    return f"{label}: {_shown(before)} → {_shown(after)}"
