"""POST /api/v1/donor-links/: always 202, an email only to an address that gave, a link kept as
a hash, rate-limited, a malformed address a 400 (SPEC "API"; docs/donor-page.md)."""

import hashlib
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from donors.models import SignInLink
from tests.donors.conftest import paid_gift, sign_in_links
from tests.helpers import eventually

pytestmark = pytest.mark.django_db(transaction=True)


def ask(base_url: str, email, **headers) -> requests.Response:
    return requests.post(f"{base_url}/api/v1/donor-links/", json={"email": email},
                         headers=headers, timeout=30)


def test_a_giver_and_a_stranger_get_the_same_202_and_only_the_giver_an_email(
        demo, live_server, inbox, worker):
    paid_gift(live_server.url, email="giver@example.com")
    inbox.wait_for(1)  # the gift's receipt

    stranger = ask(live_server.url, "stranger@example.com")
    giver = ask(live_server.url, "Giver@Example.com")

    assert stranger.status_code == giver.status_code == 202
    assert stranger.json() == giver.json()
    assert stranger.headers["Cache-Control"] == giver.headers["Cache-Control"]
    assert "no-store" in giver.headers["Cache-Control"]
    # One worker takes the tasks in order: once the giver's email is in, the stranger's task
    # has run too.
    links = eventually(lambda: sign_in_links(inbox.messages, "giver@example.com"),
                       timeout=30, what="the giver's sign-in email")
    assert len(links) == 1
    assert not [m for m in inbox.messages if m["To"] == "stranger@example.com"]
    assert len(inbox.messages) == 2  # the receipt and the link
    # Only the token's hash is kept; the link works for 60 minutes.
    token = links[0].rstrip("/").rsplit("/", 1)[1]
    link = SignInLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in link.token_hash and link.email == "giver@example.com"
    assert link.used_at is None
    lifetime = link.expires_at - link.created_at
    assert timedelta(minutes=59) < lifetime <= timedelta(minutes=60)
    assert link.expires_at > timezone.now() + timedelta(minutes=55)


def test_too_many_links_for_one_address_answer_429_with_retry_after_whoever_asks(
        demo, live_server, settings):
    settings.DONOR_LINKS_PER_EMAIL = "2/h"
    paid_gift(live_server.url, email="giver@example.com")
    for address in ("giver@example.com", "stranger@example.com"):
        answers = [ask(live_server.url, address) for _ in range(3)]
        assert [a.status_code for a in answers] == [202, 202, 429]
        assert int(answers[2].headers["Retry-After"]) > 0
    # Said the same way for both: the refusal says nothing about the address either.
    giver, stranger = (ask(live_server.url, a) for a in ("giver@example.com",
                                                          "stranger@example.com"))
    assert giver.status_code == stranger.status_code == 429
    assert giver.json() == stranger.json()


def test_too_many_links_from_one_client_answer_429(demo, live_server, settings):
    settings.DONOR_LINKS_PER_CLIENT = "3/h"
    answers = [ask(live_server.url, f"reader{n}@example.com") for n in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert int(answers[3].headers["Retry-After"]) > 0


@pytest.mark.parametrize("body", [{"email": "not-an-address"}, {}, {"email": ["a@b.c"]},
                                  {"email": "a@" + "b" * 300 + ".org"}])
def test_a_malformed_address_is_a_400_naming_the_field(live_server, body):
    answer = requests.post(f"{live_server.url}/api/v1/donor-links/", json=body, timeout=30)
    assert answer.status_code == 400
    assert "email" in answer.json()
