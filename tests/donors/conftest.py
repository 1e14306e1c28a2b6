"""What the donor's page tests share: gifts paid through the API and the stand-in, sign-in
links as the emailed ones, and a donor signed in on Django's test client."""

import re

import pytest

from tests.helpers import create_donation, give_card

CARD_OK = "4242424242424242"
LINK = re.compile(r"https?://[^\s\"<>]+/donor/sign-in/[A-Za-z0-9_-]+/")


def paid_gift(base_url: str, **fields) -> dict:
    """A one-off gift paid with 4242 (the demo appeal, £25.00 unless told)."""
    created = create_donation(base_url, **fields)
    assert created.status_code == 201, created.text
    paid = give_card(base_url, created.json()["id"], CARD_OK)
    assert paid.json()["status"] == "succeeded", paid.text
    return created.json()


def sign_in_links(messages, address: str) -> list[str]:
    """The sign-in links emailed to `address` (plain-text bodies), oldest first."""
    links = []
    for message in messages:
        if message["To"] == address and "/donor/sign-in/" in str(message):
            links += LINK.findall(message.get_body(preferencelist=("plain",)).get_content())
    return links


def sign_in(client, email: str):
    """Sign `email` in on Django's test client as the link's button does."""
    from donors.services import sign_in_link_create

    token = sign_in_link_create(email=email)
    answer = client.post(f"/donor/sign-in/{token}/")
    assert answer.status_code == 302, answer.content
    return client


@pytest.fixture
def donor_client(client):
    return lambda email: sign_in(client, email)
