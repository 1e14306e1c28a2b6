from django.contrib import admin

from attribution.models import PageView


@admin.register(PageView)
class PageViewAdmin(admin.ModelAdmin):
    """Views counted by us (no third-party tracker), one row per appeal, day and source."""

    list_display = ["day", "appeal", "kind", "utm_source", "utm_campaign", "ref", "views"]
    list_filter = ["kind", "appeal", "day"]
    search_fields = ["utm_source", "utm_campaign", "ref"]
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
