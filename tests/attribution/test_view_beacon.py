"""The appeal page's view beacon (POST /api/v1/views/): one view counted per beacon, with the
landing's attribution, kept in the reader's cookie as a landing on a page kept it; bad input
counts nothing."""

import json

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appeals.models import Appeal
from attribution import counter
from attribution.middleware import COOKIE, SALT
from attribution.models import PageView
from tests.factories import AppealFactory
from tests.helpers import send_view_beacon

pytestmark = pytest.mark.django_db

ARTICLE = "https://news.example/2026/12/floods"


def views() -> dict:
    counter.flush()
    return {(v.appeal.slug, v.kind, v.utm_source, v.utm_medium, v.ref): v.views
            for v in PageView.objects.select_related("appeal")}


def test_a_beacon_counts_a_view_with_the_landings_attribution_and_keeps_it(client, demo):
    answer = send_view_beacon(client, utm_source="  paper ", ref=ARTICLE)

    assert answer.status_code == 204
    assert views() == {("emergency-appeal", "page", "paper", "", ARTICLE): 1}
    cookie = answer.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    kept = signing.loads(cookie.value, salt=SALT)
    assert (kept["utm_source"], kept["ref"]) == ("paper", ARTICLE)
    assert "no-store" in answer["Cache-Control"]


def test_a_beacon_without_parameters_counts_the_cookies_attribution_and_sets_none(client, demo):
    send_view_beacon(client, utm_source="paper", ref=ARTICLE)

    again = send_view_beacon(client)

    assert again.status_code == 204
    assert COOKIE not in again.cookies
    assert views() == {("emergency-appeal", "page", "paper", "", ARTICLE): 2}


def test_a_beacon_keeps_values_within_the_pages_limits(client, demo):
    send_view_beacon(client, utm_medium="m" * 300, ref="r" * 900)
    (key,) = views()
    assert (len(key[3]), len(key[4])) == (200, 500)


def test_beacons_ask_the_database_nothing_once_the_appeals_are_known(client, demo):
    send_view_beacon(client)
    with CaptureQueriesContext(connection) as queries:
        for source in ("a", "b", "c", "a"):
            assert send_view_beacon(client, utm_source=source).status_code == 204
    assert len(queries) == 0


def test_a_closed_appeal_counts_and_a_new_appeal_is_known_at_once(client, demo):
    assert send_view_beacon(client, "winter-appeal-2025").status_code == 204
    AppealFactory(slug="spring")  # after the map of appeals was read
    assert send_view_beacon(client, "spring").status_code == 204
    assert views().keys() == {("winter-appeal-2025", "page", "", "", ""),
                              ("spring", "page", "", "", "")}


@pytest.mark.parametrize("body, status", [
    ({"appeal": "no-such-appeal"}, 404),
    ({"appeal": "secret-draft"}, 404),
    ({}, 400),
    ({"appeal": ["emergency-appeal"]}, 400),
    ({"appeal": 7}, 400),
    ({"appeal": "emergency-appeal", "kind": "embed"}, 400),
    ({"appeal": "emergency-appeal", "utm_source": 5}, 400),
    ({"appeal": "emergency-appeal", "utm_source": None}, 400),
    ({"appeal": "emergency-appeal", "ref": {"a": 1}}, 400),
    ({"appeal": "emergency-appeal", "utm_source": "a\x00b"}, 400),
])
def test_bad_beacons_are_refused_and_count_nothing(client, demo, body, status):
    AppealFactory(slug="secret-draft", status=Appeal.Status.DRAFT)
    answer = client.post("/api/v1/views/", body, content_type="application/json")

    assert answer.status_code == status
    assert answer.json()  # says what is wrong, in the API's {"field": [message]} shape
    assert COOKIE not in answer.cookies
    assert views() == {}


@pytest.mark.parametrize("raw, content_type, status", [
    (b"not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b'{"appeal": "emergency-appeal", "ref": "\\ud800"}', "application/json", 400),
    (b'{"appeal": "emergency-appeal"}', "text/plain", 415),
    (json.dumps({"appeal": "emergency-appeal", "ref": "x" * 20000}).encode(),
     "application/json", 400),
])
def test_bodies_that_are_not_a_small_json_object_are_refused(client, demo, raw, content_type,
                                                              status):
    answer = client.post("/api/v1/views/", raw, content_type=content_type)
    assert answer.status_code == status
    assert views() == {}


def test_only_post_is_answered(client, demo):
    assert client.get("/api/v1/views/").status_code == 405
    assert views() == {}


def test_a_beacon_from_a_signed_in_admin_needs_no_csrf_token(demo, django_user_model):
    from django.test import Client

    admin = django_user_model.objects.create_superuser("boss", "b@example.org", "pw")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    assert send_view_beacon(browser, utm_source="paper").status_code == 204
    assert views() == {("emergency-appeal", "page", "paper", "", ""): 1}
