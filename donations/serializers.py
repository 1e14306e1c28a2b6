from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_field
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.fields import SkipField

from appeals.models import Appeal
from core.attribution import ATTRIBUTION_FIELDS
from core.money import (
    MAX_AMOUNT,
    MIN_AMOUNT,
    SUPPORTED_CURRENCIES,
    MoneyError,
    format_money,
    parse_amount,
    to_major_str,
)
from core.postcodes import normalise_uk_postcode
from donations.models import Donation, RegularGift


@extend_schema_field({"type": "string", "format": "decimal", "example": "25.00"})
class AmountField(serializers.Field):
    """A decimal string (or number) in major units; kept as text until the currency is known,
    then read by money.parse_amount: a string in the request's language, a number as is."""

    default_error_messages = {"invalid": gettext_lazy("Enter an amount, like 25.00.")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class DonationCreateSerializer(serializers.Serializer):
    appeal = serializers.CharField(max_length=80)
    amount = AmountField()
    currency = serializers.CharField(max_length=3, min_length=3)
    designation = serializers.CharField(max_length=40, required=False, allow_null=True,
                                        allow_blank=True)
    email = serializers.EmailField(max_length=254, error_messages={
        "required": gettext_lazy("Enter your email address so we can send your receipt."),
        "blank": gettext_lazy("Enter your email address so we can send your receipt."),
        "null": gettext_lazy("Enter your email address so we can send your receipt."),
        "invalid": gettext_lazy("Enter your email address like name@example.com, so we can "
                                "send your receipt."),
    })
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                       default="")
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    anonymous = serializers.BooleanField(required=False, default=False)
    gift_aid = serializers.BooleanField(required=False, default=False)
    address_line1 = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                          default="")
    postcode = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    cover_fees = serializers.BooleanField(required=False, default=False)
    utm_source = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    utm_medium = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    utm_campaign = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                         default="")
    utm_content = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                        default="")
    ref = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    frequency = serializers.ChoiceField(choices=RegularGift.Frequency.values, required=False,
                                        default=RegularGift.Frequency.ONCE)

    def validate_appeal(self, slug):
        try:  # one indexed lookup: no ordering, designations only if a fund is named
            appeal = Appeal.objects.get(
                slug=slug, status__in=[Appeal.Status.LIVE, Appeal.Status.CLOSED]
            )
        except Appeal.DoesNotExist:
            appeal = None
        if appeal is None:
            raise serializers.ValidationError(_("No such appeal."))
        if appeal.status != Appeal.Status.LIVE:
            raise serializers.ValidationError(_("This appeal is closed and takes no more gifts."))
        return appeal

    def validate_currency(self, value):
        code = value.upper()
        if code not in SUPPORTED_CURRENCIES:
            raise serializers.ValidationError(
                _("Unsupported currency. Use one of %(currencies)s.")
                % {"currencies": ", ".join(SUPPORTED_CURRENCIES)}
            )
        return code

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(data, Mapping) or not isinstance(exc.detail, dict):
                raise
            errors = exc.detail
        # Some fields failed on their own. Check the others together as well, so that the
        # donor hears of every problem in one answer, not in one round after another.
        valid = {}
        for field in self._writable_fields:
            if field.field_name in errors:
                continue
            check = getattr(self, f"validate_{field.field_name}", None)
            try:
                value = field.run_validation(field.get_value(data))
                valid[field.field_name] = check(value) if check else value
            except (serializers.ValidationError, SkipField):
                continue
        for name, messages in self._cross_field_errors(valid).items():
            errors.setdefault(name, messages)
        raise serializers.ValidationError(errors)

    def validate(self, data):
        errors = self._cross_field_errors(data)
        if errors:
            raise serializers.ValidationError(errors)
        return data

    def _amount_errors(self, data, appeal_currency: str, currency: str) -> dict:
        """The amount in the appeal's currency, within the limits; sets data["gift_amount"].

        A string is what a person typed: read in the request's language (context["language"],
        the page's), so "10,50" is 10.50 in German and an error in English. A JSON number is
        no one's typing: read as the machine form ("en" has no other reading of it)."""
        if currency != appeal_currency:
            return {"currency": [_("This appeal takes gifts in %(currency)s.")
                                 % {"currency": appeal_currency}]}
        amount = data["amount"]
        typed = isinstance(amount, str)
        language = self.context.get("language", "en") if typed else "en"
        try:
            minor = parse_amount(amount if typed else str(amount), currency, language)
        except MoneyError as exc:
            return {"amount": [str(exc)]}
        data["gift_amount"] = minor
        if minor < MIN_AMOUNT[currency]:
            return {"amount": [_("The smallest gift is %(amount)s.")
                               % {"amount": format_money(MIN_AMOUNT[currency], currency)}]}
        if minor > MAX_AMOUNT[currency]:
            return {"amount": [
                _("The largest gift online is %(amount)s. Please contact us for larger gifts.")
                % {"amount": format_money(MAX_AMOUNT[currency], currency)}]}
        return {}

    def _cross_field_errors(self, data) -> dict:
        """The checks across fields, which also tidy `data` in place. `data` may lack fields
        that failed on their own: the checks that need them are left out."""
        errors = {}
        appeal = data.get("appeal")
        currency = data.get("currency")
        if appeal is not None and currency is not None and "amount" in data:
            errors.update(self._amount_errors(data, appeal.currency, currency))

        code = data.get("designation") or None
        data["designation"] = None
        if code and appeal is not None:
            match = appeal.designations.filter(code=code).first()
            if match is None:
                errors["designation"] = [_("Not a fund of this appeal.")]
            else:
                data["designation"] = match

        for name in ("first_name", "last_name", "address_line1", *ATTRIBUTION_FIELDS):
            data[name] = data.get(name, "").strip()

        if data.get("gift_aid"):
            if currency is not None and currency != "GBP":
                errors["gift_aid"] = [
                    _("Gift Aid applies only to gifts in pounds sterling (GBP).")]
            for name, message in (
                    ("first_name", _("Gift Aid needs your first name.")),
                    ("last_name", _("Gift Aid needs your last name.")),
                    ("address_line1", _("Gift Aid needs your house name or number and street."))):
                if not data[name]:
                    errors[name] = [message]
            if data["address_line1"] and not any(ch.isalnum() for ch in data["address_line1"]):
                errors["address_line1"] = [_("Enter your house name or number and street.")]
            postcode = normalise_uk_postcode(data.get("postcode", ""))
            if postcode is None:
                errors["postcode"] = [_("Gift Aid needs a UK postcode, like SW1A 1AA.")]
            else:
                data["postcode"] = postcode
        else:
            data["address_line1"] = data["postcode"] = ""
        return errors


class DonationSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()
    gift_amount = serializers.SerializerMethodField()
    appeal = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    designation = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    receipt_number = serializers.SerializerMethodField()

    class Meta:
        model = Donation
        fields = ["id", "status", "amount", "gift_amount", "currency", "appeal", "designation",
                  "receipt_number"]

    def get_amount(self, donation) -> str:
        return to_major_str(donation.amount, donation.currency)

    def get_gift_amount(self, donation) -> str:
        return to_major_str(donation.gift_amount, donation.currency)

    def get_receipt_number(self, donation) -> str | None:
        receipt = getattr(donation, "receipt", None)
        return receipt.number if receipt else None


class RegularGiftPaymentSerializer(DonationSerializer):
    """A month collected: a donation's own fields, fewer of them."""

    gift_amount = appeal = designation = None  # not shown for a month

    class Meta(DonationSerializer.Meta):
        fields = ["id", "status", "amount", "receipt_number"]


class RegularGiftSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()
    appeal = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    designation = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    payments = serializers.SerializerMethodField()

    class Meta:
        model = RegularGift
        fields = ["id", "status", "amount", "currency", "appeal", "designation", "payments"]

    def get_amount(self, gift) -> str:
        return to_major_str(gift.amount, gift.currency)

    @extend_schema_field(RegularGiftPaymentSerializer(many=True))
    def get_payments(self, gift) -> list:
        return RegularGiftPaymentSerializer(self.context["payments"], many=True).data
