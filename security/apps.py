from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class LifelineAdminConfig(AdminConfig):
    """Django's admin, with Lifeline's admin site as `admin.site` (every app registers on it)."""

    default_site = "security.admin_site.LifelineAdminSite"


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security"
