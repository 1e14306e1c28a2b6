"""The appeal page out of Python's path (issue 14, docs/page-cache.md): the same bytes for every
reader, which a shared cache may keep a few seconds; and nginx, as `make run-scale` starts it,
keeping it in front of the app while every other request passes through."""

import pytest
from django.core import signing
from django.test import Client

from attribution.middleware import COOKIE, SALT

PAGE = "/appeals/emergency-appeal/"


def _attribution_cookie(**values) -> str:
    return signing.dumps(values, salt=SALT, compress=True)


@pytest.mark.django_db
def test_every_reader_gets_the_same_appeal_page_which_a_shared_cache_may_keep(
        demo, django_user_model):
    first = Client()  # renders the page: the cache was empty
    first.cookies[COOKIE] = _attribution_cookie(utm_source="news", ref="https://n.example/a")
    first.cookies["csrftoken"] = "x" * 32
    first.cookies["sessionid"] = "not-a-session"
    admin = Client()  # signed in, but not asking for a preview
    admin.force_login(django_user_model.objects.create_superuser("boss", "b@example.org", "pw"))

    answers = [
        first.get(PAGE + "?utm_source=paper&utm_campaign=floods&ref=https%3A%2F%2Fp.example%2F1"),
        Client().get(PAGE),
        Client().get(PAGE + "?utm_medium=social&other=1"),
        admin.get(PAGE + "?ref=story"),
    ]

    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    for answer in answers:
        assert answer["Cache-Control"] == "public, max-age=0, s-maxage=5"
        assert not answer.cookies  # no Set-Cookie: a shared copy would hand it to everyone
        assert "cookie" not in answer.get("Vary", "").lower()


@pytest.mark.django_db
def test_how_long_a_shared_cache_keeps_the_page_is_a_setting(client, demo, settings):
    settings.APPEAL_PAGE_SHARED_SECONDS = 2
    assert client.get(PAGE)["Cache-Control"] == "public, max-age=0, s-maxage=2"


@pytest.mark.django_db
def test_a_preview_is_never_shared(client, demo, django_user_model):
    assert "public" not in client.get(PAGE + "?preview=1")["Cache-Control"]
    client.force_login(django_user_model.objects.create_superuser("boss", "b@example.org", "pw"))
    preview = client.get(PAGE + "?preview=1")
    assert preview["Cache-Control"] == "private, no-store"
    assert b'data-testid="preview"' in preview.content
