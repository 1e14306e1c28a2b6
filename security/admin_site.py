from django.contrib import admin
from django.urls import path, reverse

from security import views
from security.forms import AdminLoginForm
from security.two_factor import two_factor_required


class LifelineAdminSite(admin.AdminSite):
    """The admin: a staff member who has enrolled a device (or every one, with
    ADMIN_REQUIRE_2FA) must have given its code in this session."""

    login_form = AdminLoginForm
    login_template = "security/login.html"

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return request.user.is_verified() or not two_factor_required(request.user)

    def get_urls(self):
        from audit.views import audit_log
        from finance.views import finance_exports

        return [
            path("two-factor/", self.admin_view(views.two_factor_page), name="two-factor"),
            path("audit/", self.admin_view(audit_log), name="audit-log"),
            path("finance/exports/", self.admin_view(finance_exports), name="finance-exports"),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        """Django's index; for Finance, the exports form above it (one click a file)."""
        from finance.permissions import is_finance
        from finance.views import export_form

        if is_finance(request.user):
            extra_context = {**(extra_context or {}), "export_form": export_form()}
        return super().index(request, extra_context)

    def get_app_list(self, request, app_label=None):
        """Django's list, with Finance's exports page in the Finance section, and a Security
        section: the audit log and one's own two-factor."""
        from audit.views import can_read_audit_log
        from finance.permissions import is_finance

        apps = super().get_app_list(request, app_label)
        if is_finance(request.user):
            for app in apps:
                if app["app_label"] == "finance":
                    app["models"].insert(0, {
                        "name": "Exports (receipts, Gift Aid)", "object_name": "Exports",
                        "admin_url": reverse("admin:finance-exports"), "add_url": None,
                        "view_only": True, "perms": {"view": True}})
        if app_label not in (None, "security"):
            return apps
        pages = [("Two-factor authentication", "TwoFactor", reverse("admin:two-factor"))]
        if can_read_audit_log(request.user):
            pages.insert(0, ("Audit log", "AuditLog", reverse("admin:audit-log")))
        apps.append({
            "name": "Security", "app_label": "security", "app_url": pages[0][2],
            "has_module_perms": True,
            "models": [{"name": name, "object_name": obj, "admin_url": url, "add_url": None,
                        "view_only": True, "perms": {"view": True}} for name, obj, url in pages],
        })
        return apps
