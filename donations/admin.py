from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from donations.models import Donation, DonationEvent, Receipt, StripeEvent


class DonationEventInline(admin.TabularInline):
    model = DonationEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "source", "kind", "from_status", "to_status", "stripe_event", "actor",
              "message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Donation)
class DonationAdmin(admin.ModelAdmin):
    list_display = ["id", "appeal", "amount_display", "status", "email", "created_at"]
    list_filter = ["status", "appeal", "gift_aid"]
    search_fields = ["email", "first_name", "last_name", "stripe_payment_intent"]
    inlines = [DonationEventInline]

    def get_readonly_fields(self, request, obj=None):
        # Donations change only through services (webhooks, refunds), never by hand.
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "received_at"]
    readonly_fields = ["event_id", "type", "received_at"]


@admin.register(Receipt)
class ReceiptLedgerAdmin(admin.ModelAdmin):
    """The numbering ledger: every number of a year, its donation and its state."""

    list_display = ["number", "issued_at", "donation_link", "amount", "state", "emailed"]
    list_filter = ["year", "donation__status", "donation__appeal"]
    search_fields = ["number", "donation__email", "donation__stripe_payment_intent"]
    ordering = ["-year", "-sequence"]
    list_select_related = ["donation"]
    readonly_fields = ["number", "year", "sequence", "issued_at", "donation", "email_queued_at",
                       "email_sent_at", "email_attempts", "email_last_error"]
    fields = readonly_fields

    @admin.display(description="Donation")
    def donation_link(self, receipt):
        url = reverse("admin:donations_donation_change", args=[receipt.donation_id])
        return format_html('<a href="{}">{}</a>', url, receipt.donation_id)

    @admin.display(description="Amount")
    def amount(self, receipt):
        return receipt.donation.amount_display

    @admin.display(description="State", ordering="donation__status")
    def state(self, receipt):
        status = receipt.donation.status
        return "issued" if status == Donation.Status.SUCCEEDED else status.replace("_", " ")

    @admin.display(description="Emailed", boolean=True)
    def emailed(self, receipt):
        return receipt.email_sent_at is not None

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # numbers are never deleted or reused

    def has_change_permission(self, request, obj=None):
        return False
