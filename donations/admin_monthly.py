"""Monthly gifts in the admin (docs/monthly-gifts.md, "In the admin"): read-only, with the
months collected and the gift's history; "Cancel monthly gift…" opens a confirmation page of
its own (its form is not inside the change form) that calls `regular_gift_cancel`.

Registered by donations/admin.py (the module Django's autodiscovery imports)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.money import format_money
from donations.admin_links import donation_change_link
from donations.models import Donation, RegularGift, RegularGiftEvent
from donations.monthly_selectors import regular_gift_next_collection
from donations.services.regular_gifts import regular_gift_cancel
from gateways import stripe as stripe_gateway

CANCEL_PERMISSION = "donations.cancel_regular_gift"


def _day(day) -> str:
    return day.strftime("%-d %b %Y") if day else "—"


class PaymentInline(ReadOnlyInline):
    """The months collected (and any month still being paid): each a donation of its own,
    linked to its admin page (its receipt, refunds, history)."""

    model = Donation
    fk_name = "regular_gift"
    verbose_name = "payment"
    verbose_name_plural = "Payments (one donation a month)"
    fields = ["donation", "created_at", "amount_display", "status", "receipt_number"]
    readonly_fields = fields
    ordering = ["created_at"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("receipt")

    @admin.display(description="Donation")
    def donation(self, donation):
        return donation_change_link(donation.pk)

    @admin.display(description="Amount")
    def amount_display(self, donation):
        return donation.amount_display

    @admin.display(description="Receipt")
    def receipt_number(self, donation):
        receipt = getattr(donation, "receipt", None)
        return receipt.number if receipt else "—"


class RegularGiftEventInline(ReadOnlyInline):
    """The gift's history: Stripe's status changes, cancels and amount changes, and who."""

    model = RegularGiftEvent
    verbose_name_plural = "History"
    fields = ["created_at", "kind", "by", "actor", "from_status", "to_status", "change",
              "stripe_event"]
    readonly_fields = fields
    ordering = ["created_at", "id"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Amount")
    def change(self, event):
        moved = event.data.get("from"), event.data.get("to")
        if not all(moved):
            return "—"
        currency = event.data.get("currency") or event.regular_gift.currency
        return "{} → {} a month".format(*(format_money(m["gift_amount"], currency)
                                          for m in moved))


class RegularGiftAdmin(ReadOnlyAdmin):
    list_display = ["donor", "appeal", "amount_display", "status", "began",
                    "next_collection"]
    list_filter = ["status", "appeal"]
    search_fields = ["email", "first_name", "last_name", "stripe_subscription",
                     "stripe_customer", "=id"]
    list_select_related = ["appeal"]
    date_hierarchy = "created_at"
    inlines = [PaymentInline, RegularGiftEventInline]
    change_form_template = "admin/donations/regulargift/change_form.html"
    fieldsets = [
        ("Monthly gift", {"fields": ["id", "appeal", "designation", "amount_display",
                                     "gift_display", "cover_fees", "status",
                                     "next_collection", "canceled_at", "canceled_by"]}),
        ("Donor", {"fields": ["first_name", "last_name", "email", "anonymous", "gift_aid",
                              "address_line1", "postcode"]}),
        ("Stripe", {"fields": ["stripe_customer", "stripe_subscription"]}),
        ("Times", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # A monthly gift changes only through its services (Stripe first), never by hand.
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    @admin.display(description="Donor", ordering="email")
    def donor(self, gift):
        name = f"{gift.first_name} {gift.last_name}".strip()
        return format_html("{} &lt;{}&gt;", name, gift.email) if name else gift.email

    @admin.display(description="Each month", ordering="amount")
    def amount_display(self, gift):
        return format_money(gift.amount, gift.currency)

    @admin.display(description="Given each month (without covered fee)")
    def gift_display(self, gift):
        return format_money(gift.gift_amount, gift.currency)

    @admin.display(description="Began", ordering="created_at")
    def began(self, gift):
        return _day(timezone.localdate(gift.created_at))

    @admin.display(description="Next collection")
    def next_collection(self, gift):
        return _day(regular_gift_next_collection(gift))

    # --- cancel ----------------------------------------------------------------------------

    def get_urls(self):
        return [
            path("<uuid:object_id>/cancel/", self.admin_site.admin_view(self.cancel_view),
                 name="donations_regulargift_cancel"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        gift = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if gift is not None:
            extra_context["can_cancel"] = (request.user.has_perm(CANCEL_PERMISSION)
                                           and gift.status != RegularGift.Status.CANCELED)
        return super().change_view(request, object_id, form_url, extra_context)

    def cancel_view(self, request, object_id):
        if not request.user.has_perm(CANCEL_PERMISSION):
            raise PermissionDenied
        gift = get_object_or_404(RegularGift.objects.select_related("appeal"), pk=object_id)
        if gift.status == RegularGift.Status.CANCELED:
            messages.info(request, "This monthly gift is canceled already.")
            return redirect("admin:donations_regulargift_change", gift.pk)
        if request.method == "POST":
            try:
                regular_gift_cancel(gift_id=gift.pk, by=RegularGift.By.ADMIN,
                                    actor=request.user)
            except stripe_gateway.PaymentProviderError:
                messages.error(request, "Stripe could not be reached: the gift was not "
                                        "canceled and still collects. Try again in a minute.")
            else:
                messages.success(request, f"Canceled {self.amount_display(gift)} a month from "
                                          f"{gift.email}: Stripe collects nothing more.")
                return redirect("admin:donations_regulargift_change", gift.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Cancel this monthly gift?",
            "gift": gift,
            "amount_display": self.amount_display(gift),
        }
        return TemplateResponse(request, "admin/donations/regulargift/cancel.html", context)
