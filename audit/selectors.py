"""The audit log: one read-only list of what staff did with money, data and access.

Nothing is stored here: the rows are the append-only records the other apps keep
(DonationEvent for refunds, resends and personal data; RegularGiftEvent for monthly gifts
canceled or changed by staff; finance.ExportLog for exports;
DefenceChange for the attack-mode switch; django-axes for admin logins, failures and
lockouts; the admin's own history, LogEntry, for appeals created, changed, published and
closed, and for users' and groups' access), merged by time.
"""

import datetime as dt
from dataclasses import dataclass
from itertools import islice
from zoneinfo import ZoneInfo

from axes.models import AccessFailureLog, AccessLog
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from core.money import format_money
from donations.models import DefenceChange, DonationEvent, RegularGift, RegularGiftEvent
from donations.states import ASKED_BY_A_PERSON
from finance.models import ExportLog

# DonationEvent kinds that a person asked for (the one list: donations.states).
AUDITED_EVENT_KINDS = ASKED_BY_A_PERSON
CATEGORIES = {
    "refund": "Refunds",
    "export": "Exports",
    "personal_data": "Personal data",
    "login": "Admin logins",
    "appeals": "Appeals",
    "access": "Users and permissions",
    "other": "Other admin actions",
}


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    category: str
    actor: str
    action: str
    detail: str
    url: str = ""
    ip_address: str = ""

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category]


def _category(kind: str) -> str:
    if kind.startswith("refund"):
        return "refund"
    if kind.startswith("personal_data"):
        return "personal_data"
    return "other"


def _period(field: str, date_from: dt.date | None, date_to: dt.date | None) -> Q:
    # Inclusive local dates, in the charity's time zone, as the finance exports take them.
    zone = ZoneInfo(settings.TIME_ZONE)
    q = Q()
    if date_from:
        q &= Q(**{f"{field}__gte": dt.datetime.combine(date_from, dt.time.min, zone)})
    if date_to:
        q &= Q(**{f"{field}__lt": dt.datetime.combine(date_to + dt.timedelta(days=1),
                                                      dt.time.min, zone)})
    return q


def _events(actor, date_from, date_to):
    q = (Q(kind__in=AUDITED_EVENT_KINDS) | Q(source=DonationEvent.Source.ADMIN)) & _period(
        "created_at", date_from, date_to)
    if actor:
        q &= Q(actor__username__icontains=actor)
    for event in (DonationEvent.objects.filter(q).select_related("actor", "donation")
                  .order_by("-created_at", "-id").iterator()):
        # Amounts in the donation's currency, in major units (DonationEvent.data_display).
        detail = "; ".join(part for part in (event.message, event.data_display) if part)
        yield AuditEntry(
            at=event.created_at, category=_category(event.kind),
            actor=event.actor.get_username() if event.actor else "",
            action=event.kind.replace("_", " "), detail=detail,
            url=reverse("admin:donations_donation_change", args=[event.donation_id]),
        )


def _regular_gift_events(actor, date_from, date_to):
    """Monthly gifts canceled or changed by an admin (the donor's and Stripe's are not staff
    actions: they are in the gift's own history)."""
    q = Q(by=RegularGift.By.ADMIN) & _period("created_at", date_from, date_to)
    if actor:
        q &= Q(actor__username__icontains=actor)
    for event in (RegularGiftEvent.objects.filter(q).select_related("actor", "regular_gift")
                  .order_by("-created_at", "-id").iterator()):
        gift = event.regular_gift
        detail = f"{format_money(gift.gift_amount, gift.currency)} a month from {gift.email}"
        if event.kind == RegularGiftEvent.Kind.AMOUNT_CHANGED:
            before = format_money(event.data["from"]["gift_amount"], gift.currency)
            detail = f"{before} → {detail}"
        yield AuditEntry(
            at=event.created_at, category="other",
            actor=event.actor.get_username() if event.actor else "",
            action=f"monthly gift {event.get_kind_display().lower()}", detail=detail,
            url=reverse("admin:donations_regulargift_change", args=[gift.pk]),
        )


def _exports(actor, date_from, date_to):
    q = _period("at", date_from, date_to)
    if actor:
        q &= Q(actor__icontains=actor)
    for log in ExportLog.objects.filter(q).order_by("-at", "-id").iterator():
        filters = ", ".join(f"{k}={v}" for k, v in sorted(log.filters.items()) if v)
        yield AuditEntry(
            at=log.at, category="export", actor=log.actor, action=log.get_kind_display(),
            detail=f"{filters or 'no filters'}; {log.row_count} rows ({log.source})",
        )


def _defence_changes(actor, date_from, date_to):
    q = _period("created_at", date_from, date_to)
    if actor:
        q &= Q(actor__username__icontains=actor)
    for change in (DefenceChange.objects.filter(q).select_related("actor")
                   .order_by("-created_at", "-id").iterator()):
        until = f" until {change.until:%Y-%m-%d %H:%M}" if change.until else ""
        yield AuditEntry(
            at=change.created_at, category="other",
            actor=change.actor.get_username() if change.actor else "decline threshold",
            action=f"attack mode {'on' if change.attack_mode else 'off'}",
            detail=f"{change.reason}{until}".strip(),
            url=reverse("admin:donations_defencestate_changelist"),
        )


# The admin's history (LogEntry) of these models, and the category each goes under.
ADMIN_HISTORY = {("appeals", "appeal"): "appeals", ("auth", "user"): "access",
                 ("auth", "group"): "access"}
VERBS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


def _admin_changes(actor, date_from, date_to, categories):
    models = Q()
    for (app_label, model), category in ADMIN_HISTORY.items():
        if category in categories:
            models |= Q(content_type__app_label=app_label, content_type__model=model)
    q = models & _period("action_time", date_from, date_to)
    if actor:
        q &= Q(user__username__icontains=actor)
    entries = (LogEntry.objects.filter(q).select_related("user", "content_type")
               .order_by("-action_time", "-id"))
    for entry in entries.iterator():
        model = entry.content_type.model
        yield AuditEntry(
            at=entry.action_time,
            category=ADMIN_HISTORY[(entry.content_type.app_label, model)],
            actor=entry.user.get_username(),
            action=f"{entry.content_type.name} {VERBS.get(entry.action_flag, '')}".strip(),
            detail=f"{entry.object_repr}: {entry.get_change_message()}",
            url=entry.get_admin_url() or "",  # none for a deleted object
        )


def _logins(actor, date_from, date_to):
    q = _period("attempt_time", date_from, date_to)
    if actor:
        q &= Q(username__icontains=actor)
    for log in AccessLog.objects.filter(q).order_by("-attempt_time").iterator():
        yield AuditEntry(at=log.attempt_time, category="login", actor=log.username or "",
                         action="login", detail=log.path_info, ip_address=log.ip_address or "")
    for log in AccessFailureLog.objects.filter(q).order_by("-attempt_time").iterator():
        yield AuditEntry(
            at=log.attempt_time, category="login", actor=log.username or "",
            action="locked out" if log.locked_out else "failed login", detail=log.path_info,
            ip_address=log.ip_address or "",
        )


def audit_entries(*, actor: str = "", date_from: dt.date | None = None,
                  date_to: dt.date | None = None, category: str = "",
                  limit: int = 500) -> list[AuditEntry]:
    """The newest `limit` audit entries, newest first, filtered by actor (part of the
    username), inclusive local dates and category (a key of CATEGORIES)."""
    sources = []
    if category in ("", "refund", "personal_data", "other"):
        sources.append(_events(actor, date_from, date_to))
    if category in ("", "other"):
        sources.append(_defence_changes(actor, date_from, date_to))
        sources.append(_regular_gift_events(actor, date_from, date_to))
    if category in ("", "export"):
        sources.append(_exports(actor, date_from, date_to))
    if category in ("", "login"):
        sources.append(_logins(actor, date_from, date_to))
    if category in ("", "appeals", "access"):
        wanted = {category} if category else {"appeals", "access"}
        sources.append(_admin_changes(actor, date_from, date_to, wanted))
    # Each source yields newest first; one bounded slice of each keeps the merge cheap.
    rows = [entry for source in sources for entry in islice(source, limit)]
    if category:
        rows = [entry for entry in rows if entry.category == category]
    rows.sort(key=lambda entry: entry.at, reverse=True)
    return rows[:limit]
