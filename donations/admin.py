from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from appeals.models import Designation
from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.attribution import ATTRIBUTION_FIELDS
from core.money import format_money
from donations.admin_forms import RefundForm
from donations.admin_links import donation_change_link
from donations.admin_monthly import RegularGiftAdmin
from donations.health import payments_health
from donations.models import (
    BlockedAttempt,
    DefenceState,
    Dispute,
    Donation,
    DonationEvent,
    Receipt,
    Refund,
    RegularGift,
    StripeEvent,
)
from donations.receipts.sending import receipt_queue_resend
from donations.services import defence, personal_data, reconciliation, refunds
from donations.states import REFUND_REQUESTED
from gateways import stripe as stripe_gateway


class DonationEventInline(ReadOnlyInline):
    """The whole history: every state change and event, who or what did it, when."""

    model = DonationEvent
    verbose_name_plural = "History"
    fields = ["created_at", "source", "kind", "from_status", "to_status", "stripe_event", "actor",
              "message", "details"]
    readonly_fields = fields
    ordering = ["created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("donation", "actor")

    @admin.display(description="Details")
    def details(self, event):
        return event.data_display


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["created_at", "stripe_id", "amount_display", "status", "reason", "actor"]
    readonly_fields = fields

    @admin.display(description="Amount")
    def amount_display(self, refund):
        return format_money(refund.amount, refund.donation.currency)


class DisputeInline(ReadOnlyInline):
    model = Dispute
    fields = ["stripe_id", "amount_display", "reason", "status", "closed", "created_at",
              "updated_at"]
    readonly_fields = fields

    @admin.display(description="Amount")
    def amount_display(self, dispute):
        return format_money(dispute.amount, dispute.donation.currency)


class DesignationFilter(admin.SimpleListFilter):
    """Funds by code across appeals, with "where most needed" for none."""

    title = "designation"
    parameter_name = "designation"
    NONE = "__none__"

    def lookups(self, request, model_admin):
        codes = Designation.objects.order_by("code").values_list("code", "name").distinct()
        return [(self.NONE, "Where most needed"), *dict(codes).items()]

    def queryset(self, request, queryset):
        if self.value() == self.NONE:
            return queryset.filter(designation__isnull=True)
        if self.value():
            return queryset.filter(designation__code=self.value())
        return queryset


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdmin):
    list_display = ["short_id", "created_at", "appeal", "amount_display", "status", "email",
                    "receipt_number", "gift_aid"]
    list_filter = ["status", "appeal", ("created_at", admin.DateFieldListFilter),
                   DesignationFilter, "gift_aid", "cover_fees"]
    search_fields = ["email", "first_name", "last_name", "receipt__number",
                     "stripe_payment_intent", "stripe_charge", "=id"]
    list_select_related = ["appeal", "receipt"]
    date_hierarchy = "created_at"
    inlines = [RefundInline, DisputeInline, DonationEventInline]
    change_form_template = "admin/donations/donation/change_form.html"
    actions = ["export_personal_data", "erase_personal_data"]
    change_list_template = "admin/donations/donation/change_list.html"
    fieldsets = [
        ("Gift", {"fields": ["id", "appeal", "designation", "amount_display", "gift_display",
                             "cover_fees", "refunded_display", "status", "receipt_number",
                             "failure_message"]}),
        ("Donor", {"fields": ["first_name", "last_name", "email", "anonymous", "gift_aid",
                              "address_line1", "postcode"]}),
        ("Stripe", {"fields": ["stripe_payment_intent", "stripe_charge", "stripe_customer",
                               "fee_display", "net_display"]}),
        ("Attribution", {"fields": ATTRIBUTION_FIELDS, "classes": ["collapse"]}),
        ("Times", {"fields": ["created_at", "succeeded_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Donations change only through services (webhooks, refunds), never by hand.
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    @admin.display(description="ID")
    def short_id(self, donation):
        return str(donation.pk)[:8]

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, donation):
        return donation.amount_display

    @admin.display(description="Gift (without covered fee)")
    def gift_display(self, donation):
        return donation.gift_display

    @admin.display(description="Refunded")
    def refunded_display(self, donation):
        return format_money(donation.refunded_amount, donation.currency)

    @admin.display(description="Stripe's fee")
    def fee_display(self, donation):
        return "—" if donation.fee is None else format_money(donation.fee, donation.currency)

    @admin.display(description="Net (after the fee)")
    def net_display(self, donation):
        return "—" if donation.net is None else format_money(donation.net, donation.currency)

    @admin.display(description="Receipt", ordering="receipt__number")
    def receipt_number(self, donation):
        receipt = getattr(donation, "receipt", None)
        return receipt.number if receipt else "—"

    # Read-only (ReadOnlyAdmin): refunds and resends are views of their own, below.

    # --- personal data (GDPR): superusers only ---------------------------------------------

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("export_personal_data", None)
            actions.pop("erase_personal_data", None)
        return actions

    @staticmethod
    def _donor_emails(request, queryset) -> list[str]:
        """The selected gifts' donors, once each; superusers only (a crafted POST too)."""
        if not request.user.is_superuser:
            raise PermissionDenied
        return sorted({d.email.lower() for d in queryset})

    @admin.action(description="Export the donors' personal data (JSON)")
    def export_personal_data(self, request, queryset):
        emails = self._donor_emails(request, queryset)
        data = {email: personal_data.donor_data_export(email=email, actor=request.user)
                for email in emails}
        response = JsonResponse(data, json_dumps_params={"indent": 2})
        response["Content-Disposition"] = 'attachment; filename="donor-data.json"'
        return response

    @admin.action(description="Erase the donors' personal data (keeps what finance must)")
    def erase_personal_data(self, request, queryset):
        emails = self._donor_emails(request, queryset)
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(request, "admin/donations/donation/erase_confirm.html", {
                **self.admin_site.each_context(request), "opts": self.model._meta,
                "title": "Erase personal data?", "emails": emails,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            })
        for email in emails:
            done = personal_data.donor_data_erase(email=email, actor=request.user)
            kept = (f"; Gift Aid declarations kept for HMRC on {len(done.kept_for_hmrc)}"
                    if done.kept_for_hmrc else "")
            messages.success(request, f"Erased {email} from {done.donations} donation(s), "
                                      f"receipts and amounts kept for finance{kept}.")
        return None

    # --- refund, resend, health ------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("health/", wrap(self.health_view), name="donations_payments_health"),
            path("<uuid:object_id>/refund/", wrap(self.refund_view),
                 name="donations_donation_refund"),
            path("<uuid:object_id>/resend-receipt/", wrap(self.resend_receipt_view),
                 name="donations_donation_resend_receipt"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        donation = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if donation is not None:
            extra_context.update(
                can_refund=request.user.has_perm("donations.refund_donation")
                and refunds.donation_refundable(donation) > 0,
                can_resend=request.user.has_perm("donations.resend_receipt")
                and hasattr(donation, "receipt"),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def refund_view(self, request, object_id):
        if not request.user.has_perm("donations.refund_donation"):
            raise PermissionDenied
        donation = get_object_or_404(Donation.objects.select_related("appeal"), pk=object_id)
        if request.method != "POST" and refunds.donation_refundable(donation) > 0:
            # What is left by Stripe's figure: a refund made in its dashboard counts. (The
            # refund itself reads it again.) Stripe down: the form shows what we know.
            try:
                refunds.donation_sync_refunds(donation_id=donation.pk,
                                              source=DonationEvent.Source.ADMIN,
                                              actor=request.user)
            except stripe_gateway.PaymentProviderError:
                pass
            donation.refresh_from_db()
        refundable = refunds.donation_refundable(donation)
        form = RefundForm(request.POST or None, donation=donation, refundable=refundable)
        if request.method == "POST" and form.is_valid():
            try:
                refund = refunds.donation_refund(
                    donation_id=donation.pk, amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    request_key=form.cleaned_data["request_key"], actor=request.user,
                )
            except refunds.RefundRefused as exc:
                form.add_error("amount", exc.message)
            except stripe_gateway.PaymentProviderError:
                form.add_error(None, "Stripe could not be reached: nothing was refunded. "
                                     "Try again in a minute.")
            else:
                amount = format_money(refund.amount, donation.currency)
                if refund.status == REFUND_REQUESTED:
                    messages.info(request, f"This refund of {amount} was asked of Stripe "
                                           "already and is waiting for its answer.")
                else:
                    messages.success(request, f"Refunded {amount} ({refund.stripe_id}, "
                                              f"{refund.status}).")
                return redirect("admin:donations_donation_change", donation.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Refund {donation.amount_display} from {donation.email}",
            "donation": donation,
            "refundable_display": format_money(refundable, donation.currency),
            "form": form,
        }
        return TemplateResponse(request, "admin/donations/donation/refund.html", context)

    def resend_receipt_view(self, request, object_id):
        if request.method != "POST":
            return redirect("admin:donations_donation_change", object_id)
        if not request.user.has_perm("donations.resend_receipt"):
            raise PermissionDenied
        receipt = get_object_or_404(Receipt.objects.select_related("donation"), donation_id=object_id)
        if receipt_queue_resend(receipt=receipt, actor=request.user):
            messages.success(request, f"Receipt {receipt.number} will be emailed again "
                                      f"(same number).")
        else:
            messages.error(request, "The email could not be queued: try again in a minute.")
        return redirect("admin:donations_donation_change", object_id)

    def health_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":  # "Reconcile now": Stripe's word applied to the drift
            if not request.user.has_perm("donations.reconcile_stripe"):
                raise PermissionDenied
            counts = reconciliation.reconcile(older_than_minutes=0)
            messages.success(request, "Reconciled with Stripe: {checked} checked, {changed} "
                                      "changed, {errors} errors.".format(**counts))
            return redirect("admin:donations_payments_health")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Payments health",
            "health": payments_health(),
            "can_reconcile": request.user.has_perm("donations.reconcile_stripe"),
        }
        return TemplateResponse(request, "admin/donations/payments_health.html", context)


admin.site.register(RegularGift, RegularGiftAdmin)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    """The events applied, once each. Read-only: a row added, edited or deleted here would
    change what counts as applied, outside the webhook's transaction (donations/webhooks.py).
    """

    list_display = ["event_id", "type", "received_at"]
    readonly_fields = ["event_id", "type", "received_at"]


@admin.register(Receipt)
class ReceiptLedgerAdmin(ReadOnlyAdmin):
    """The numbering ledger: every number of a year, its donation and its state. Read-only:
    numbers are never deleted or reused."""

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
        return donation_change_link(receipt.donation_id)

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


@admin.register(BlockedAttempt)
class BlockedAttemptAdmin(admin.ModelAdmin):
    """What the card-testing defence refused: who, why, when."""

    list_display = ["created_at", "reason", "ip_address", "email", "card_fingerprint", "appeal",
                    "amount_display", "attack_mode"]
    list_filter = ["reason", "attack_mode", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["ip_address", "email", "card_fingerprint", "=donation_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, attempt):
        if attempt.amount is None or not attempt.currency:
            return "—"
        return format_money(attempt.amount, attempt.currency)


@admin.register(DefenceState)
class DefenceStateAdmin(admin.ModelAdmin):
    """The attack-mode switch: one row, so the list and "add" both open its change page. A
    change goes through defence.switch(), which records it for the audit log."""

    fields = ["attack_mode", "until", "reason"]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return redirect("admin:donations_defencestate_change", DefenceState.current().pk)

    def add_view(self, request, form_url="", extra_context=None):
        return self.change_view(request, str(DefenceState.current().pk), form_url, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        defence.switch(attack_mode=obj.attack_mode, until=obj.until, reason=obj.reason,
                       actor=request.user)
