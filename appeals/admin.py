from django.contrib import admin

from appeals.models import Appeal, Designation, SuggestedAmount


class DesignationInline(admin.TabularInline):
    model = Designation
    extra = 1


class SuggestedAmountInline(admin.TabularInline):
    model = SuggestedAmount
    extra = 1


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "status", "currency", "goal_amount", "published_at"]
    list_filter = ["status", "currency"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [DesignationInline, SuggestedAmountInline]
