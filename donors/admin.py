"""The donor page's records in the admin, read-only (written by donors.services): news
consent answers (for whoever sends the charity's news), Gift Aid cancellations (for finance),
sign-in links (when asked for and used; never the token, which is not kept)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from donors.models import GiftAidCancellation, NewsConsent, SignInLink


@admin.register(NewsConsent)
class NewsConsentAdmin(ReadOnlyAdmin):
    list_display = ["email", "consented", "recorded_at", "wording_version"]
    list_filter = ["consented", "wording_version"]
    search_fields = ["email"]
    date_hierarchy = "recorded_at"


@admin.register(GiftAidCancellation)
class GiftAidCancellationAdmin(ReadOnlyAdmin):
    list_display = ["email", "cancelled_at", "regular_gifts"]
    search_fields = ["email"]
    date_hierarchy = "cancelled_at"


@admin.register(SignInLink)
class SignInLinkAdmin(ReadOnlyAdmin):
    list_display = ["email", "created_at", "expires_at", "used_at"]
    search_fields = ["email"]
    exclude = ["token_hash"]
