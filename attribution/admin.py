from django.contrib import admin

from attribution.models import PageView
from core.admin import ReadOnlyAdmin


@admin.register(PageView)
class PageViewAdmin(ReadOnlyAdmin):
    """Views counted by us (no third-party tracker), one row per appeal, day and source."""

    list_display = ["day", "appeal", "kind", "utm_source", "utm_campaign", "ref", "views"]
    list_filter = ["kind", "appeal", "day"]
    search_fields = ["utm_source", "utm_campaign", "ref"]
    date_hierarchy = "day"
