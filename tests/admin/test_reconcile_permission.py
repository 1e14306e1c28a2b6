""""Reconcile now" asks Stripe about every pending gift: a permission of its own."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from donations.models import Donation, DonationEvent
from tests.helpers import create_donation

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_without_the_reconcile_permission_get_403_and_nothing_runs(
    client, viewer, demo, live_server, stripe_calls
):
    gift = create_donation(live_server.url).json()
    before = stripe_calls.total()
    client.force_login(viewer)
    url = reverse("admin:donations_payments_health")
    page = client.get(url)
    assert page.status_code == 200  # they may still read the page
    assert "Reconcile now" not in page.content.decode()
    calls_for_the_page = stripe_calls.total() - before

    assert client.post(url).status_code == 403
    assert stripe_calls.total() - before == calls_for_the_page  # no Stripe call for the POST
    assert not DonationEvent.objects.filter(source=DonationEvent.Source.RECONCILE).exists()
    assert Donation.objects.get(pk=gift["id"]).status == "pending"

    viewer.user_permissions.add(Permission.objects.get(codename="reconcile_stripe"))
    assert "Reconcile now" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
