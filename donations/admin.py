from django.contrib import admin

from donations.models import Donation, DonationEvent, StripeEvent


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
