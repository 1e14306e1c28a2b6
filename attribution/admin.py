from django.contrib import admin

from attribution.models import PageView, Publisher
from core.admin import ReadOnlyAdmin


@admin.register(PageView)
class PageViewAdmin(ReadOnlyAdmin):
    """Views counted by us (no third-party tracker), one row per appeal, day and source."""

    list_display = ["day", "appeal", "kind", "utm_source", "utm_campaign", "ref", "views"]
    list_filter = ["kind", "appeal", "day"]
    search_fields = ["utm_source", "utm_campaign", "ref"]
    date_hierarchy = "day"


@admin.register(Publisher)
class PublisherAdmin(admin.ModelAdmin):
    """Publications with a feed. Their keys are made and rotated by `manage.py
    publisher_token SOURCE` (printed once; only a hash is kept, never shown here)."""

    list_display = ["source", "name", "domain", "key_made"]
    search_fields = ["source", "name", "domain"]
    readonly_fields = ["created_at", "key_made"]

    @admin.display(description="Key made")
    def key_made(self, obj):
        token = getattr(obj, "token", None)
        return token.created_at if token else "none (run manage.py publisher_token)"
