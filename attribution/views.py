"""The per-article report for one appeal, for the charity and its publishers (admin only)."""

import csv
import datetime as dt

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from appeals.models import Appeal
from attribution import counter, selectors
from attribution.embed import embed_snippet
from core.cells import neutralise
from core.money import to_major_str

COLUMNS = ("utm_source", "utm_medium", "utm_campaign", "ref", "page_views", "embed_views",
           "gifts", "raised", "currency", "conversion")
def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_GET
@staff_member_required
def appeal_attribution_report(request, slug):
    if not request.user.has_perm("appeals.view_appeal"):
        raise PermissionDenied
    appeal = get_object_or_404(Appeal, slug=slug)
    counter.flush_quietly()  # this process's latest views; others write every few seconds
    date_from, date_to = _date(request.GET.get("from")), _date(request.GET.get("to"))
    rows = selectors.attribution_report(appeal=appeal, date_from=date_from, date_to=date_to)
    if request.GET.get("format") == "csv":
        return _csv(appeal, rows, date_from, date_to)
    totals = selectors.ReportRow("", "", "", "")
    for r in rows:
        totals.page_views += r.page_views
        totals.embed_views += r.embed_views
        totals.gifts += r.gifts
        totals.raised += r.raised
    return render(request, "attribution/report.html", {
        **admin.site.each_context(request),
        "title": f"Attribution: {appeal.title}",
        "appeal": appeal,
        "rows": rows,
        "totals": totals,
        "date_from": date_from,
        "date_to": date_to,
        "snippet": embed_snippet(appeal, request.build_absolute_uri("/")),
    })


def _csv(appeal, rows, date_from, date_to) -> HttpResponse:
    name = f"{appeal.slug}-attribution"
    if date_from or date_to:
        name += f"-{date_from or 'start'}-to-{date_to or 'now'}"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(COLUMNS)
    for r in rows:
        conversion = "" if r.conversion is None else f"{r.conversion:.4f}"
        writer.writerow([neutralise(str(v)) for v in (
            r.utm_source, r.utm_medium, r.utm_campaign, r.ref, r.page_views, r.embed_views,
            r.gifts, to_major_str(r.raised, appeal.currency), appeal.currency, conversion,
        )])
    return response

