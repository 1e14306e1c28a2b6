"""Users and groups in the admin as Django makes them, with what changed in their access
written into the admin's history in full (the audit log reads it: audit/selectors.py)."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from core.admin import ValuesInChangeMessage

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(ValuesInChangeMessage, UserAdmin):
    audited_fields = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(Group)
class AuditedGroupAdmin(ValuesInChangeMessage, GroupAdmin):
    audited_fields = ("name", "permissions")
