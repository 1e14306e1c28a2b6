"""A monthly gift's later months are receipted in the language its first was made in."""

import pytest
import requests

from donations.models import Donation, RegularGift
from donations.receipts.documents import receipt_email
from tests.donations.test_monthly import next_month_at_stripe, stripe_api  # noqa: F401 (fixture)
from tests.helpers import DONATION, eventually, give_card

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_month_of_a_gift_made_in_polish_is_receipted_in_polish(demo, webhooks, stripe_api):
    created = requests.post(webhooks.url + "/api/v1/donations/", timeout=30,
                            json={**DONATION, "frequency": "monthly"},
                            headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"})
    assert created.status_code == 201, created.text
    gift = created.json()
    assert give_card(webhooks.url, gift["id"], "4242424242424242").json()["status"] == \
        "succeeded"
    assert RegularGift.objects.get(pk=gift["regular_gift"]).language == "pl"

    next_month_at_stripe(stripe_api, gift["regular_gift"])
    month = eventually(
        lambda: Donation.objects.filter(regular_gift_id=gift["regular_gift"])
        .exclude(pk=gift["id"]).select_related("receipt").first(),
        timeout=15, what="the second month")
    assert month.language == "pl"
    month = eventually(lambda: Donation.objects.filter(pk=month.pk, receipt__isnull=False).first(),
                       timeout=15, what="the second month's receipt")
    message = receipt_email(month.receipt)
    assert message.subject.startswith("Twoje potwierdzenie ")
    assert "Darowizna: 25,00\u00a0GBP" in message.body  # CLDR: Polish writes the code
