"""The donor page's records in a donor's data export and erasure (docs/personal-data.md):
answers to donations.services.personal_data's signals, connected in DonorsConfig.ready.

Erasure deletes the sign-in links (they only sign in) and keeps the news answers and Gift Aid
cancellations with no one attached (the address replaced by an undeliverable one): what was
agreed and cancelled, and when, stays on record; the person does not.
"""

from __future__ import annotations

import hashlib

from donations.services.personal_data import ERASED_DOMAIN
from donors.models import GiftAidCancellation, NewsConsent, SignInLink


def _iso(value):
    return value.isoformat() if value else None


def export_donor_records(sender, *, email: str, **kwargs) -> dict:
    return {
        "news_consents": [
            {"consented": c.consented, "wording": c.wording,
             "wording_version": c.wording_version, "recorded_at": _iso(c.recorded_at)}
            for c in NewsConsent.objects.filter(email__iexact=email).order_by("recorded_at")
        ],
        "gift_aid_cancellations": [
            {"cancelled_at": _iso(c.cancelled_at), "regular_gifts": c.regular_gifts}
            for c in GiftAidCancellation.objects.filter(email__iexact=email)
            .order_by("cancelled_at")
        ],
        "sign_in_links": [
            {"created_at": _iso(link.created_at), "expires_at": _iso(link.expires_at),
             "used_at": _iso(link.used_at)}
            for link in SignInLink.objects.filter(email__iexact=email).order_by("created_at")
        ],
    }


def erase_donor_records(sender, *, email: str, **kwargs) -> None:
    SignInLink.objects.filter(email__iexact=email).delete()
    for model in (NewsConsent, GiftAidCancellation):
        for row in model.objects.filter(email__iexact=email):
            token = hashlib.sha256(f"{model.__name__}-{row.pk}".encode()).hexdigest()[:12]
            row.email = f"erased-{token}@{ERASED_DOMAIN}"
            row.save(update_fields=["email"])
