"""The card-testing defence's rules where they need no server: who the client is (core/
clients.py), which limits apply, and the refusals decided before anything reaches Stripe."""

import pytest
from django.test import RequestFactory

from core.clients import client_address, client_ip, client_key
from donations.services import defence
from donations.models import BlockedAttempt

REQUESTS = RequestFactory()


def request_from(address=None, **meta):
    request = REQUESTS.post("/api/v1/donations/")
    if address is None:
        request.META.pop("REMOTE_ADDR", None)
    else:
        request.META["REMOTE_ADDR"] = address
    request.META.update(meta)
    return request


def test_the_client_is_remote_addr_behind_no_proxy():
    assert client_address(request_from("203.0.113.20")) == "203.0.113.20"


def test_behind_a_trusted_proxy_the_client_is_the_last_hop_it_appended(settings):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
    request = request_from("10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    assert client_address(request) == "198.51.100.7"  # a client can forge the first, not this


@pytest.mark.parametrize("value", ["", "not an address", "999.1.1.1"])
def test_no_valid_address_is_none_and_recorded_as_unknown(value):
    request = request_from(value)
    assert client_address(request) is None
    assert (client_ip(request), client_key(request)) == ("unknown", "unknown")


def test_an_ipv6_client_is_counted_by_its_64():
    one = client_key(request_from("2001:db8:1:2:aaaa::1"))
    other = client_key(request_from("2001:db8:1:2:ffff::9"))
    elsewhere = client_key(request_from("2001:db8:1:3::1"))
    assert one == other == "2001:db8:1:2::/64" != elsewhere
    assert client_key(request_from("198.51.100.7")) == "198.51.100.7"


def test_attack_mode_applies_the_attack_limits(settings):
    settings.DEFENCE_LIMITS = {"declines_per_client": "30/h"}
    settings.DEFENCE_ATTACK_LIMITS = {"declines_per_client": "5/h"}
    assert defence._limits(attack=False)["declines_per_client"] == "30/h"
    assert defence._limits(attack=True)["declines_per_client"] == "5/h"


@pytest.mark.django_db
def test_a_filled_hidden_field_is_refused_and_recorded():
    verdict = defence.check_create(request_from("198.51.100.7"), email="bot@example.com",
                                   appeal="emergency-appeal", amount=2500, currency="GBP",
                                   honeypot="http://spam.example")
    assert (verdict.allowed, verdict.reason) == (False, BlockedAttempt.Reason.HONEYPOT)
    assert BlockedAttempt.objects.get().reason == BlockedAttempt.Reason.HONEYPOT


@pytest.mark.django_db
def test_attack_mode_refuses_a_gift_under_its_minimum_with_a_message(settings):
    settings.DEFENCE_ATTACK_MIN_AMOUNT = {"GBP": 500}
    defence.switch(attack_mode=True, reason="test")
    facts = {"email": "donor@example.com", "appeal": "emergency-appeal", "currency": "GBP"}

    small = defence.check_create(request_from("203.0.113.20"), amount=499, **facts)
    enough = defence.check_create(request_from("203.0.113.21"), amount=500, **facts)

    assert (small.allowed, small.reason) == (False, BlockedAttempt.Reason.MINIMUM_AMOUNT)
    assert small.message.startswith("The minimum gift is £5.00 at the moment")
    assert enough.allowed
