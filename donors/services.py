"""Writes for the donor's own page (docs/donor-page.md): sign-in links asked for, emailed and
used; Gift Aid cancelled; news consent recorded. Views, the API and tasks only parse and call.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage
from rest_framework import status

from core.errors import DomainError
from core.tasks import enqueue
from donations.services.gift_aid import regular_gifts_stop_gift_aid
from donors.models import GiftAidCancellation, NewsConsent, SignInLink
from donors.news import news_wording
from donors.selectors import donor_has_given, token_hash

logger = logging.getLogger(__name__)

SEND_SIGN_IN_LINK = "donors.tasks.send_sign_in_link"
# SPEC: the link works for 60 minutes.
LINK_LIFETIME = timedelta(minutes=60)


class TooManyLinkRequests(DomainError):
    """429: too many links asked for this address or from this client. Said the same way
    whether or not the address gave, so it reveals nothing about it."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, retry_after: int):
        super().__init__(_("Too many sign-in links were asked for. Please wait a while and "
                           "try again."))
        self.retry_after = retry_after

    def headers(self) -> dict:
        return {"Retry-After": str(self.retry_after)}


def _over_limit(group: str, value: str, rate: str) -> int:
    """Counts one request; the seconds left in the window when over the limit, else 0."""
    usage = get_usage(None, group=f"lifeline.donor-links.{group}", key=lambda g, r: value,
                      rate=rate, increment=True)
    if usage and usage["should_limit"]:
        return max(int(usage["time_left"]), 1)
    return 0


def sign_in_link_request(*, email: str, client: str, origin: str, language: str) -> None:
    """A donor asks for a sign-in link to their page: counted against the address and the
    client (the `limits` cache every process shares), then the lookup and the email are left
    to a task, so the answer and its time are the same whether or not the address gave.

    `origin` is the site's scheme and host ("https://give.example.org"), for the link;
    `language` the page's, for the email.
    :raises TooManyLinkRequests: over DONOR_LINKS_PER_EMAIL or DONOR_LINKS_PER_CLIENT.
    """
    email = email.strip().lower()
    # Counted by a hash: no address sits in the cache in clear.
    wait = max(_over_limit("email", token_hash(email), settings.DONOR_LINKS_PER_EMAIL),
               _over_limit("client", client, settings.DONOR_LINKS_PER_CLIENT))
    if wait:
        logger.warning("sign-in links refused: over the limit", extra={"client": client})
        raise TooManyLinkRequests(wait)
    enqueue(SEND_SIGN_IN_LINK, email, origin, language)


def sign_in_link_create(*, email: str) -> str:
    """A new sign-in link for `email`: returns its token (kept nowhere but in the email; the
    table holds its hash)."""
    token = secrets.token_urlsafe(32)
    SignInLink.objects.create(token_hash=token_hash(token), email=email.strip().lower(),
                              expires_at=timezone.now() + LINK_LIFETIME)
    return token


def sign_in_link_send(*, email: str, origin: str, language: str) -> bool:
    """Email `email` a sign-in link if the address gave (a gift or a monthly gift, whatever
    became of it); nothing otherwise. Called by the task, outside any transaction.
    Returns whether an email was sent.
    :raises SMTPException, OSError: the mail server failed (the task retries).
    """
    if not donor_has_given(email=email):
        return False
    token = sign_in_link_create(email=email)
    url = origin.rstrip("/") + reverse("pages:donor-sign-in", args=[token])
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {"url": url, "minutes": int(LINK_LIFETIME.total_seconds() // 60),
                   "charity_name": settings.CHARITY_NAME}
        message = EmailMultiAlternatives(
            subject=_("Your link to your gifts to %(charity)s") % {
                "charity": settings.CHARITY_NAME},
            body=render_to_string("donors/email/sign_in.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email],
        )
        message.attach_alternative(render_to_string("donors/email/sign_in.html", context),
                                   "text/html")
    message.send()
    logger.info("sign-in link emailed")
    return True


def sign_in_link_use(*, token: str) -> str | None:
    """Use a sign-in link up: the email it signs in (lower case), or None when it was used
    already, has expired or never existed. One conditional UPDATE, so two clicks at once
    sign in once."""
    now = timezone.now()
    hashed = token_hash(token)
    with transaction.atomic():
        used = SignInLink.objects.filter(
            token_hash=hashed, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
        if not used:
            return None
        return SignInLink.objects.get(token_hash=hashed).email


def gift_aid_declaration_cancel(*, email: str) -> GiftAidCancellation:
    """The donor cancels their Gift Aid declaration for future gifts: recorded with its time,
    and the months their monthly gifts collect from now on are not Gift Aided. Gifts already
    made keep their declaration and stay claimable (HMRC)."""
    with transaction.atomic():
        changed = regular_gifts_stop_gift_aid(email=email)
        cancellation = GiftAidCancellation.objects.create(
            email=email.lower(), cancelled_at=timezone.now(), regular_gifts=changed)
    logger.info("Gift Aid declaration cancelled by the donor",
                extra={"regular_gifts": changed})
    return cancellation


def news_consent_record(*, email: str, consented: bool) -> NewsConsent:
    """The donor's answer about news from the charity, with the wording they were shown and
    the time: a new row each time (the history is kept)."""
    version, wording = news_wording()
    return NewsConsent.objects.create(email=email.lower(), consented=consented,
                                      wording_version=version, wording=wording)
