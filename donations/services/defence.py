"""Card-testing defence, without a CAPTCHA: refuse before any PaymentIntent exists.

Card testers run stolen numbers through a donation form in small amounts, from a few
clients, declining again and again. We count, in the `limits` cache (django-ratelimit's fixed
windows; one for all processes: Redis with CACHE_URL, else a database table), per client
address (an IPv6 client by its /64, which one household or phone holds whole), per email and
per card fingerprint:

- declines: a client, an email or a card with too many recent declines is refused (429)
  before it reaches Stripe again;
- new donations per client: a burst of them is refused (429) before a PaymentIntent exists;
- a hidden form field that people never see and bots fill (400, nothing created).

A decline is counted whoever reports it: our own confirm (the pay request) and Stripe's
`payment_intent.payment_failed` / `setup_intent.setup_failed` events (anything confirming
past us; our flow makes no SetupIntents, but an event about one is still counted). One
decline reported twice counts once: each counter notes the decline's
`attempt` (its charge, else its intent and card) the first time it counts it.

"Attack mode" (switched by an admin through switch(), or on by itself when declines across the site pass a
threshold) tightens every limit and raises the minimum gift. Each refusal is recorded as a
BlockedAttempt for the admin. Real donors are unaffected until they look like testers: the
limits count declines, not gifts, and a success never counts against anyone.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django_ratelimit.core import get_usage

from core.clients import client_ip, client_key
from core.money import format_money
from donations.models import BlockedAttempt, DefenceChange, DefenceState, Donation
from gateways import stripe as stripe_gateway

logger = logging.getLogger(__name__)

HONEYPOT_FIELD = "website"
REFUSED_MESSAGE = gettext_lazy("Too many attempts. Nothing was charged. Please wait a while "
                               "and try again, or contact us if you need help giving.")
ATTACK_CACHE_KEY = "defence:attack-mode"
# How long a gift's card-trying client is remembered, for declines Stripe reports by event
# (which carry no client), and how long a counted decline's name is kept (the longest window).
CLIENT_MEMORY_SECONDS = 3600
COUNTED_MEMORY_SECONDS = 86400


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""
    retry_after: int = 0
    facts: dict | None = None  # what a refusal records, when the caller records it later
    message: str = ""  # for the donor, where the refusal is about their input

    @classmethod
    def ok(cls) -> Verdict:
        return cls(True)


def _limits(attack: bool | None = None) -> dict:
    if attack is None:
        attack = attack_mode()
    return settings.DEFENCE_ATTACK_LIMITS if attack else settings.DEFENCE_LIMITS


def _cache():
    return caches[settings.RATELIMIT_USE_CACHE]


def _hashed(value: str) -> str:
    # Counters keyed by a hash: no email or card fingerprint sits in the cache in clear.
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _usage(request, group: str, value: str, rate: str, *, increment: bool) -> dict | None:
    return get_usage(request, group=f"lifeline.{group}", key=lambda g, r: value, rate=rate,
                     increment=increment)


def _over(request, group: str, value: str, rate: str) -> int:
    """Seconds until the window ends when `value` has reached the limit, else 0."""
    if not value:
        return 0
    usage = _usage(request, group, value, rate, increment=False)
    if usage and usage["count"] >= usage["limit"]:
        return max(int(usage["time_left"]), 1)
    return 0


def attack_mode() -> bool:
    """On when an admin turned it on, or the decline threshold did, until it expires."""
    cached = _cache().get(ATTACK_CACHE_KEY)
    if cached is None:
        state = DefenceState.current()
        cached = state.attack_mode_active
        _cache().set(ATTACK_CACHE_KEY, cached, timeout=5)
    return cached


def switch(*, attack_mode: bool, until=None, reason: str = "", actor=None) -> DefenceState:
    """Set attack mode (an admin: `actor`; the decline threshold: no actor), record the
    change for the audit log, and make every process read it at once."""
    state = DefenceState.current()
    state.attack_mode, state.until, state.reason = attack_mode, until, reason
    state.save()
    DefenceChange.objects.create(actor=actor, attack_mode=attack_mode, until=until,
                                 reason=reason[:300])
    _cache().delete(ATTACK_CACHE_KEY)
    logger.warning("attack mode switched %s", "on" if attack_mode else "off",
                   extra={"actor": actor.get_username() if actor else "threshold",
                          "reason": reason})
    return state


def _refuse(request, reason: str, retry_after: int, *, record: bool = True, message: str = "",
            **facts) -> Verdict:
    if record:
        _record(request, reason, **facts)
    return Verdict(False, reason, retry_after, facts, message)


def _record(request, reason: str, *, email="", fingerprint="", donation=None, appeal="",
            amount=None, currency="") -> None:
    BlockedAttempt.objects.create(
        reason=reason, ip_address=client_ip(request)[:45], email=email[:254],
        card_fingerprint=fingerprint[:64], appeal=appeal[:80], amount=amount,
        currency=currency, donation_id=getattr(donation, "pk", None),
        attack_mode=attack_mode(),
    )
    logger.warning("card-testing defence refused an attempt",
                   extra={"reason": reason, "ip": client_ip(request)})


def record_refusal(request, reason: str, **facts) -> None:
    """Record a refusal decided inside a transaction that rolled back (see check_pay)."""
    _record(request, reason, **facts)


def check_create(request, *, email: str, appeal: str, amount: int, currency: str,
                 honeypot: str = "") -> Verdict:
    """Before a donation (and its PaymentIntent) is created: the honeypot, the client's and
    the email's declines, the client's new gifts, and attack mode's minimum gift (refused
    with a `message` for the amount field)."""
    ip = client_key(request)
    facts = {"email": email, "appeal": appeal, "amount": amount, "currency": currency}
    if honeypot:
        return _refuse(request, BlockedAttempt.Reason.HONEYPOT, 0, **facts)
    attack = attack_mode()  # read once: each read may be a cache round trip
    limits = _limits(attack)
    for reason, group, value, rate in (
        (BlockedAttempt.Reason.DECLINES_CLIENT, "declines-ip", ip, limits["declines_per_client"]),
        (BlockedAttempt.Reason.DECLINES_EMAIL, "declines-email", _hashed(email),
         limits["declines_per_email"]),
    ):
        wait = _over(request, group, value, rate)
        if wait:
            return _refuse(request, reason, wait, **facts)
    usage = _usage(request, "creates-ip", ip, limits["creates_per_client"], increment=True)
    if usage and usage["should_limit"]:
        return _refuse(request, BlockedAttempt.Reason.VELOCITY_CLIENT,
                       max(int(usage["time_left"]), 1), **facts)
    minimum = settings.DEFENCE_ATTACK_MIN_AMOUNT.get(currency) if attack else None
    if minimum and amount < minimum:
        return _refuse(request, BlockedAttempt.Reason.MINIMUM_AMOUNT, 0,
                       message=_minimum_amount_message(currency, minimum), **facts)
    return Verdict.ok()


def check_card_attempt(request, *, donation) -> Verdict:
    """Before each pay request (a confirm: one card tried at Stripe): card attempts per gift
    and per client are limited like new gifts."""
    facts = {"email": donation.email, "donation": donation, "appeal": donation.appeal.slug,
             "amount": donation.amount, "currency": donation.currency}
    limits = _limits()
    wait = _over(request, "declines-ip", client_key(request), limits["declines_per_client"])
    if wait:
        return _refuse(request, BlockedAttempt.Reason.DECLINES_CLIENT, wait, **facts)
    # Whoever tries a card now is the client a decline Stripe reports later is counted on.
    _cache().set(_client_cache_key(donation.pk), client_key(request),
                 timeout=CLIENT_MEMORY_SECONDS)
    return _count_card_try(request, group="setups-gift", gift=str(donation.pk), limits=limits,
                           facts=facts)


def check_card_update(request, *, regular_gift) -> Verdict:
    """Before a monthly gift's new card is tried at Stripe (its card page): limited as a pay
    request is, by the client's declines, and the cards tried per gift and per client."""
    facts = {"email": regular_gift.email, "appeal": regular_gift.appeal.slug,
             "amount": regular_gift.amount, "currency": regular_gift.currency}
    limits = _limits()
    wait = _over(request, "declines-ip", client_key(request), limits["declines_per_client"])
    if wait:
        return _refuse(request, BlockedAttempt.Reason.DECLINES_CLIENT, wait, **facts)
    return _count_card_try(request, group="cards-regular-gift", gift=str(regular_gift.pk),
                           limits=limits, facts=facts)


def _count_card_try(request, *, group: str, gift: str, limits: dict, facts: dict) -> Verdict:
    """One more card tried on this gift and from this client; refused past either limit."""
    for reason, counter, value, rate in (
        (BlockedAttempt.Reason.CARDS_PER_GIFT, group, gift, limits["cards_per_gift"]),
        (BlockedAttempt.Reason.VELOCITY_CLIENT, "setups-ip", client_key(request),
         limits["setups_per_client"]),
    ):
        usage = _usage(request, counter, value, rate, increment=True)
        if usage and usage["should_limit"]:
            return _refuse(request, reason, max(int(usage["time_left"]), 1), **facts)
    return Verdict.ok()


def record_card_update_decline(request, *, regular_gift) -> None:
    """Count a decline of a monthly gift's new card against the client and the email."""
    _count_decline(client_key(request), regular_gift.email, "", "")


def _minimum_amount_message(currency: str, minimum: int) -> str:
    return gettext("The minimum gift is %(amount)s at the moment, while we protect this form "
                   "from fraud.") % {"amount": format_money(minimum, currency)}


def check_pay(request, *, donation, card) -> Verdict:
    """Before the card is charged: the client, the email and this card. `card()` reads the
    card's fingerprint at Stripe (one call); it is asked only when the card can matter: in
    attack mode, or on a retry of a gift that already saw a decline (a card tester's next
    try). A first try has no read: its card is counted when it declines (docs/card-testing.md).
    The caller records a refusal."""
    attack = attack_mode()
    limits = _limits(attack)
    fingerprint = card() if attack or _saw_a_decline(donation) else ""
    facts = {"email": donation.email, "fingerprint": fingerprint, "donation": donation,
             "appeal": donation.appeal.slug, "amount": donation.amount,
             "currency": donation.currency}
    for reason, group, value, rate in (
        (BlockedAttempt.Reason.DECLINES_CARD, "declines-card", fingerprint,
         limits["declines_per_card"]),
        (BlockedAttempt.Reason.DECLINES_CLIENT, "declines-ip", client_key(request),
         limits["declines_per_client"]),
        (BlockedAttempt.Reason.DECLINES_EMAIL, "declines-email", _hashed(donation.email),
         limits["declines_per_email"]),
    ):
        wait = _over(request, group, value, rate)
        if wait:
            return _refuse(request, reason, wait, record=False, **facts)
    return Verdict.ok()


def _saw_a_decline(donation) -> bool:
    """Whether the gift's card was declined before (it is failed, or kept the decline's
    message through a retry that Stripe did not answer)."""
    return donation.status == Donation.Status.FAILED or bool(donation.failure_message)


def record_decline(request, *, donation, fingerprint: str, attempt: str = "") -> None:
    """Count our confirm's decline against the client, the email, the card and the whole
    site; `attempt` names it (stripe_gateway.attempt_key) so that Stripe's event for the same
    decline is not counted again."""
    _count_decline(client_key(request), donation.email, fingerprint, attempt)


def record_reported_decline(decline: stripe_gateway.CardDecline) -> None:
    """Count a decline Stripe reported by event: against the card, the gift's email and the
    client that set up its card (when we know them), and the whole site."""
    donation = None
    try:
        donation = Donation.objects.filter(pk=uuid.UUID(decline.donation_id)).first()
    except ValueError:
        pass  # not one of our gifts' PaymentIntents or SetupIntents
    client = _cache().get(_client_cache_key(donation.pk)) if donation else None
    _count_decline(client or "", donation.email if donation else "", decline.fingerprint,
                   decline.attempt)


def _client_cache_key(donation_id) -> str:
    return f"defence:client:{donation_id}"


def _first_count(group: str, attempt: str) -> bool:
    """Whether `group` has not counted the decline named `attempt` yet (and now has)."""
    if not attempt:
        return True
    return _cache().add(f"defence:counted:{group}:{_hashed(attempt)}", 1,
                        timeout=COUNTED_MEMORY_SECONDS)


def _count_decline(client: str, email: str, fingerprint: str, attempt: str) -> None:
    limits = _limits()
    for group, value, rate in (
        ("declines-ip", client, limits["declines_per_client"]),
        ("declines-email", _hashed(email) if email else "", limits["declines_per_email"]),
        ("declines-card", fingerprint, limits["declines_per_card"]),
    ):
        if value and _first_count(group, attempt):
            _usage(None, group, value, rate, increment=True)
    if not _first_count("declines-site", attempt):
        return
    site = _usage(None, "declines-site", "all", settings.DEFENCE_ATTACK_THRESHOLD,
                  increment=True)
    if site and site["should_limit"] and not attack_mode():
        switch(
            attack_mode=True,
            reason=f"{site['count']} declines across the site within the threshold "
                   f"({settings.DEFENCE_ATTACK_THRESHOLD})",
            until=timezone.now() + timedelta(seconds=settings.DEFENCE_ATTACK_DURATION),
        )
        logger.error("attack mode switched on by the decline threshold")
