"""Finance's HTTP side: the receipts list (JSON) and the CSV/XLSX exports.

All are DRF views, so session and `Authorization: Token KEY` both work on every URL, with one
permission (IsFinance). Bad filters answer DRF's 400 `{"field": ["message"]}` before any row
is written. Every file (CSV, and XLSX by openpyxl's write-only mode) is written whole to a
temporary file, then streamed from it with its Content-Length: a failure is an error status,
never a 200 that stops early (docs/finance.md says why).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import FileResponse
from django.db.models import Q
from django.db.models.functions import Length
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from core.money import to_major_str
from finance import exports, giftaid, selectors, services
from finance.filters import Period, parse_period
from finance.models import ExportLog, GiftAidClaim
from finance.permissions import IsFinance

K = ExportLog.Kind

PERIOD_PARAMETERS = [
    OpenApiParameter("from", str, description="First day, YYYY-MM-DD, in TIME_ZONE (inclusive)."),
    OpenApiParameter("to", str, description="Last day, YYYY-MM-DD, in TIME_ZONE (inclusive)."),
    OpenApiParameter("appeal", str, description="An appeal's slug."),
]


class FinanceApiView(APIView):
    # Token first: an anonymous request gets 401 with `WWW-Authenticate: Token`. Session
    # authentication checks CSRF on unsafe methods only; the exports are GETs.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsFinance]


def _filename(stem: str, period: Period, ext: str) -> str:
    parts = [stem, period.appeal, period.start and period.start.isoformat(),
             period.end and period.end.isoformat()]
    return "_".join(p for p in parts if p) + "." + ext


def _private(response):
    # Donors' names and emails: never cached by a browser or a proxy.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _counted(rows: Iterable, log: ExportLog, warnings: list | None = None) -> Iterator:
    """Pass the rows through and record the count once the last one has been written.

    An export that failed while being written keeps `finished_at` empty in the log.
    """
    count = 0
    for row in rows:
        count += 1
        yield row
    services.export_log_finish(log_id=log.pk, row_count=count, warnings=warnings)


def send_file(out, filename: str, content_type: str) -> FileResponse:
    """A complete export file, sent in blocks with its Content-Length."""
    response = FileResponse(out, as_attachment=True, filename=filename,
                            content_type=content_type)
    return _private(response)


def send_csv(out, filename: str) -> FileResponse:
    return send_file(out, filename, "text/csv; charset=utf-8")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReceiptPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class ReceiptRowSerializer(serializers.Serializer):
    """Documentation only: the JSON list's rows are the receipt export's columns."""

    receipt_number = serializers.CharField()
    issued_at = serializers.CharField(help_text="ISO 8601 with TIME_ZONE's offset.")
    donation_id = serializers.UUIDField()
    appeal = serializers.CharField()
    designation = serializers.CharField(help_text="Empty: where most needed.")
    donor_name = serializers.CharField()
    donor_email = serializers.CharField()
    amount = serializers.CharField()
    currency = serializers.CharField()
    fee = serializers.CharField(help_text="Empty until Stripe's balance transaction is read.")
    net = serializers.CharField()
    refunded_amount = serializers.CharField()
    status = serializers.CharField()
    gift_aid = serializers.CharField()
    stripe_payment_intent = serializers.CharField()
    utm_source = serializers.CharField()
    ref = serializers.CharField()
    frequency = serializers.ChoiceField(choices=["once", "monthly"])
    regular_gift_id = serializers.CharField(allow_null=True, help_text="Null for a one-off gift.")


class ReceiptListApi(FinanceApiView):
    pagination_class = ReceiptPagination

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=ReceiptRowSerializer(many=True))
    def get(self, request):
        period = parse_period(request.query_params)
        paginator = self.pagination_class()
        qs = selectors.receipt_values(selectors.receipts_in_period(period))
        page = paginator.paginate_queryset(qs, request, view=self)
        rows = [selectors.receipt_row(values) for values in page]
        log = services.export_log_start(
            kind=K.RECEIPTS_JSON, period=period, user=request.user,
            extra={"page": paginator.page.number},
        )
        services.export_log_finish(log_id=log.pk, row_count=len(rows))
        return _private(paginator.get_paginated_response(rows))


class ReceiptsCsvExport(FinanceApiView):
    @extend_schema(parameters=PERIOD_PARAMETERS, responses={(200, "text/csv"): bytes})
    def get(self, request):
        period = parse_period(request.query_params)
        log = services.export_log_start(kind=K.RECEIPTS_CSV, period=period, user=request.user)
        out = exports.receipts_csv_file(_counted(selectors.receipt_rows(period), log))
        return send_csv(out, _filename("receipts", period, "csv"))


class ReceiptsXlsxExport(FinanceApiView):
    @extend_schema(parameters=PERIOD_PARAMETERS, responses={(200, XLSX): bytes})
    def get(self, request):
        period = parse_period(request.query_params)
        log = services.export_log_start(kind=K.RECEIPTS_XLSX, period=period, user=request.user)
        out = exports.receipts_xlsx(_counted(selectors.receipt_rows(period), log))
        return send_file(out, _filename("receipts", period, "xlsx"), XLSX)


def _name_warnings(period: Period) -> list[dict]:
    """Names the schedule will cut to 35 characters, found before streaming starts so the
    response can say so (X-Gift-Aid-Warnings) and the export log keeps them."""
    long_names = selectors.gift_aid_candidates(period).annotate(
        first_len=Length("declaration__first_name"), last_len=Length("declaration__last_name"),
    ).filter(Q(first_len__gt=35) | Q(last_len__gt=35))
    claimable = (e for e in giftaid.evaluate_all(long_names) if e.claimable)
    return giftaid.schedule_warnings(claimable)


class GiftAidCsvExport(FinanceApiView):
    """HMRC's schedule for the period: claimable gifts only. `?claim=ID` downloads a recorded
    claim's schedule again, with the amounts claimed then."""

    @extend_schema(parameters=PERIOD_PARAMETERS + [
        OpenApiParameter("claim", int, description="A recorded claim's id: its schedule again."),
    ], responses={(200, "text/csv"): bytes})
    def get(self, request):
        claim = None
        if "claim" in request.query_params:
            claim = _claim_or_400(request.query_params["claim"])
            period = Period(start=claim.period_from, end=claim.period_to,
                            appeal=claim.appeal_slug)
            entries = giftaid.claim_entries(claim)
            warnings = giftaid.schedule_warnings(
                e for e in giftaid.claim_entries(claim) if e.warnings)
        else:
            period = parse_period(request.query_params)
            entries = (e for e in giftaid.entries(period) if e.claimable)
            warnings = _name_warnings(period)
        log = services.export_log_start(
            kind=K.GIFT_AID_CSV, period=period, user=request.user,
            extra={"claim": claim.pk} if claim else None,
        )
        rows = _counted((e.cells for e in entries), log, warnings)
        out = exports.csv_file(giftaid.GIFT_AID_COLUMNS, rows, {"amount"})
        stem = f"gift-aid-claim-{claim.pk}" if claim else "gift-aid"
        response = send_csv(out, _filename(stem, period, "csv"))
        response["X-Gift-Aid-Warnings"] = str(len(warnings))
        return response


def _claim_or_400(value: str) -> GiftAidClaim:
    try:
        return GiftAidClaim.objects.get(pk=int(value))
    except (ValueError, GiftAidClaim.DoesNotExist):
        raise ValidationError({"claim": [f"No Gift Aid claim has the id {value!r}."]}) from None


OVER_CLAIM_COLUMNS = [
    "claim", "receipt_number", "donation_id", "claimed", "claimable_now", "over_claimed",
    "gift_aid_to_repay", "reason",
]


class GiftAidAdjustmentsCsvExport(FinanceApiView):
    """Over-claims not yet reported: refunds (and lost disputes) after a claim. Their total
    goes on the next claim as "adjustment for Gift Aid over-claimed previously"."""

    @extend_schema(responses={(200, "text/csv"): bytes})
    def get(self, request):
        log = services.export_log_start(
            kind=K.GIFT_AID_ADJUSTMENTS_CSV, period=None, user=request.user)
        rows = ({
            "claim": str(o.claim_id), "receipt_number": o.receipt_number,
            "donation_id": o.donation_id, "claimed": _gbp(o.claimed),
            "claimable_now": _gbp(o.claimable_now), "over_claimed": _gbp(o.amount),
            "gift_aid_to_repay": _gbp(o.tax), "reason": o.reason,
        } for o in giftaid.over_claims())
        money = {"claimed", "claimable_now", "over_claimed", "gift_aid_to_repay"}
        out = exports.csv_file(OVER_CLAIM_COLUMNS, _counted(rows, log), money)
        return send_csv(out, "gift-aid-over-claims.csv")


def _gbp(pence: int) -> str:
    return to_major_str(pence, "GBP")


class GiftAidClaimCreateSerializer(serializers.Serializer):
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100)


class GiftAidClaimCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lines = serializers.IntegerField()
    total = serializers.CharField()
    adjustment_total = serializers.CharField(help_text="Over-claims reported with this claim.")
    schedule = serializers.CharField(help_text="This claim's gift-aid.csv.")
    remaining = serializers.IntegerField(
        help_text="Claimable gifts of the period left for another claim (HMRC takes up to "
                  "1,000 donors per claim): record another claim for the same period.")


class GiftAidClaimApi(FinanceApiView):
    """Record a claim for a period: its gifts are then never put in another schedule, and a
    later refund on one of them shows as an over-claim for the next claim."""

    @extend_schema(parameters=PERIOD_PARAMETERS, request=GiftAidClaimCreateSerializer,
                   responses={201: GiftAidClaimCreatedSerializer})
    def post(self, request):
        if not isinstance(request.data, dict):  # JSON null, a list, a string…
            raise ValidationError({"non_field_errors": ["Send a JSON object."]})
        # The period as documented (query parameters), or in the body as older clients send it.
        fields = {**request.query_params.dict(), **request.data}
        period = parse_period(fields, required=True)
        body = GiftAidClaimCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claim, remaining = services.gift_aid_claim_record(
            period=period, user=request.user, reference=body.validated_data.get("reference", ""),
        )
        services.export_log_start(kind=K.GIFT_AID_CLAIM, period=period, user=request.user,
                                  extra={"claim": claim.pk})
        return Response({
            "id": claim.pk,
            "lines": claim.lines.count(),
            "total": _gbp(claim.total),
            "adjustment_total": _gbp(claim.adjustment_total),
            "schedule": f"/finance/exports/gift-aid.csv?claim={claim.pk}",
            "remaining": remaining,
        }, status=status.HTTP_201_CREATED)
