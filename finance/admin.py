"""Finance in Django admin: the export log and claims (read-only), and the Gift Aid checks:
every Gift Aid donation with whether the claim takes it, and why not."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin
from core.money import format_money
from donations.admin_links import donation_change_link
from finance import giftaid
from finance.models import ExportLog, GiftAidAdjustment, GiftAidClaim, GiftAidClaimLine, GiftAidReview


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "kind", "source", "filters", "row_count", "finished_at",
                    "warning_count"]
    list_filter = ["kind", "source"]
    search_fields = ["actor"]
    date_hierarchy = "at"

    @admin.display(description="Warnings")
    def warning_count(self, log):
        return len(log.warnings or [])


class GiftAidClaimLineInline(admin.TabularInline):
    model = GiftAidClaimLine
    fields = ["donation", "amount_display"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Amount")
    def amount_display(self, row):
        return format_money(row.amount, "GBP")  # Gift Aid is claimed on GBP gifts only


class GiftAidAdjustmentInline(GiftAidClaimLineInline):
    model = GiftAidAdjustment
    fields = ["line", "amount_display", "reason"]
    readonly_fields = fields


@admin.register(GiftAidClaim)
class GiftAidClaimAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "created_by", "period_from", "period_to", "appeal_slug",
                    "total_display", "adjustment_display", "schedule"]
    inlines = [GiftAidClaimLineInline, GiftAidAdjustmentInline]

    @admin.display(description="Claimed")
    def total_display(self, claim):
        return format_money(claim.total, "GBP")

    @admin.display(description="Over-claims reported")
    def adjustment_display(self, claim):
        return format_money(claim.adjustment_total, "GBP")

    @admin.display(description="Schedule")
    def schedule(self, claim):
        url = reverse("finance:gift-aid-csv") + f"?claim={claim.pk}"
        return format_html('<a href="{}">gift-aid.csv</a>', url)


@admin.register(GiftAidReview)
class GiftAidReviewAdmin(ReadOnlyAdmin):
    """Gift Aid donations that have a receipt, and whether the next claim takes each."""

    list_display = ["receipt_number", "donation_link", "donor", "currency", "gift_display",
                    "refunded", "status", "claimable", "why"]
    list_filter = ["status", "currency", "appeal"]
    search_fields = ["email", "last_name", "receipt__number", "postcode"]
    list_select_related = ["receipt", "declaration"]
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).filter(gift_aid=True, receipt__isnull=False)

    def _entry(self, donation) -> giftaid.GiftAidEntry:
        # Evaluated by the same rules as the export (one small query per row, on a page of
        # at most 100), memoised on the row for the two columns that show it.
        if not hasattr(donation, "_gift_aid_entry"):
            qs = GiftAidReview.objects.filter(pk=donation.pk)
            donation._gift_aid_entry = next(giftaid.evaluate_all(qs))
        return donation._gift_aid_entry

    @admin.display(description="Receipt")
    def receipt_number(self, donation):
        return donation.receipt.number

    @admin.display(description="Donation")
    def donation_link(self, donation):
        return donation_change_link(donation.pk)

    @admin.display(description="Donor")
    def donor(self, donation):
        return donation.donor_name

    @admin.display(description="Refunded")
    def refunded(self, donation):
        return format_money(donation.refunded_amount, donation.currency)

    @admin.display(boolean=True, description="Claimable")
    def claimable(self, donation):
        return self._entry(donation).claimable

    @admin.display(description="Why left out / warnings")
    def why(self, donation):
        entry = self._entry(donation)
        return entry.reason or "; ".join(entry.warnings)
