"""The appeal page out of Python's path (issue 14, docs/page-cache.md): the same bytes for every
reader, which a shared cache may keep a few seconds; and nginx, as `make run-scale` starts it,
keeping it in front of the app while every other request passes through."""

import http.client
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core import signing
from django.test import Client

from appeals.models import Appeal
from attribution.middleware import COOKIE, SALT
from donations.models import GiftAidDeclaration
from tests.conftest import ROOT, free_port, stop_process, wait_for
from tests.factories import AppealFactory
from tests.helpers import DONATION

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


# --- nginx in front, as `make run-scale` runs it ---------------------------------------------


def _procfile_line(procfile: str, name: str) -> str:
    for line in (ROOT / procfile).read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{procfile} has no {name}: line")


@pytest.mark.parametrize("procfile", ["Procfile.scale", "Procfile.scale.standin"])
def test_run_scale_puts_nginx_in_front_and_reads_the_client_address_it_passes(procfile):
    assert "scripts/nginx_conf.py --run" in _procfile_line(procfile, "cache")
    web = _procfile_line(procfile, "web")
    assert "RATELIMIT_IP_META_KEY=HTTP_X_FORWARDED_FOR" in web
    assert "--bind 127.0.0.1:${PORT_APP:-8001}" in web


@pytest.fixture
def nginx(live_server, tmp_path, settings):
    """nginx with the rendered configuration, on a free port, in front of the live server."""
    if not (shutil.which("nginx") or os.access("/usr/sbin/nginx", os.X_OK)):
        pytest.skip("nginx is not installed (`make nginx` installs Debian's)")
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import nginx_conf
    finally:
        sys.path.pop(0)
    # What Procfile.scale sets for gunicorn behind nginx.
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
    port = free_port()
    conf = nginx_conf.render(tmp_path / "nginx", port_web=port,
                             port_app=int(live_server.url.rsplit(":", 1)[1]))
    log = open(tmp_path / "nginx.stderr", "wb")
    proc = subprocess.Popen(nginx_conf.command(conf), stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/healthz")
        yield url
    finally:
        stop_process(proc)
        log.close()
        print(Path(tmp_path / "nginx.stderr").read_text())


def _get(url, **kwargs):
    answer = requests.get(url, timeout=30, **kwargs)
    return answer, answer.headers.get("X-Cache-Status")


@pytest.mark.django_db(transaction=True)
def test_nginx_serves_the_appeal_page_from_its_cache_whatever_the_query_string(
        demo, nginx, settings):
    first, status = _get(nginx + PAGE + "?utm_source=paper&ref=story1")
    assert (first.status_code, status) == (200, "MISS")
    second, status = _get(nginx + PAGE + "?utm_source=radio")
    assert (second.status_code, status) == (200, "HIT")
    assert second.content == first.content
    assert _get(nginx + PAGE)[1] == "HIT"
    head = requests.head(nginx + PAGE + "?x=1", timeout=30)
    assert (head.status_code, head.headers.get("X-Cache-Status")) == (200, "HIT")

    # Nothing else is kept: the widget (the reader's attribution is in it), the API.
    assert "X-Cache-Status" not in _get(nginx + PAGE + "embed/?utm_source=paper")[0].headers
    assert "X-Cache-Status" not in _get(nginx + "/api/v1/appeals/")[0].headers
    # …nor an unknown appeal's 404.
    assert _get(nginx + "/appeals/no-such-appeal/")[0].status_code == 404
    AppealFactory(slug="no-such-appeal")
    assert _get(nginx + "/appeals/no-such-appeal/")[0].status_code == 200

    # Kept as long as the page's s-maxage says, then fetched again.
    settings.APPEAL_PAGE_SHARED_SECONDS = 1
    winter = "/appeals/winter-appeal-2025/"
    assert _get(nginx + winter)[1] == "MISS"
    assert _get(nginx + winter)[1] == "HIT"
    time.sleep(2.5)  # nginx counts in whole seconds: a 1 s page is kept until the next second
    assert _get(nginx + winter)[1] in ("STALE", "EXPIRED", "UPDATING")


@pytest.mark.django_db(transaction=True)
def test_nginx_never_keeps_a_preview_or_a_signed_in_page(demo, nginx, django_user_model):
    AppealFactory(slug="draft-appeal", title="Draft Appeal", status=Appeal.Status.DRAFT)
    staff = Client()
    staff.force_login(django_user_model.objects.create_superuser("boss", "b@example.org", "pw"))
    session = {"sessionid": staff.cookies["sessionid"].value}

    for _ in range(2):
        preview, status = _get(nginx + "/appeals/draft-appeal/?preview=1", cookies=session)
        assert (preview.status_code, status) == (200, "BYPASS")
        assert "Draft Appeal" in preview.text
    assert _get(nginx + "/appeals/draft-appeal/")[0].status_code == 404  # nothing was kept

    assert _get(nginx + PAGE + "?preview=1")[1] == "BYPASS"
    assert _get(nginx + PAGE, cookies=session)[1] == "BYPASS"
    assert _get(nginx + PAGE)[1] == "MISS"  # the bypassed answers were not stored


@pytest.mark.django_db(transaction=True)
def test_a_gift_passes_through_nginx_and_the_app_sees_the_donors_address(demo, nginx):
    """The card-testing defence and the Gift Aid declaration read the donor's address: behind
    nginx, the last hop of X-Forwarded-For (a client's own X-Forwarded-For is not believed).
    The donor connects from 127.0.0.2; nginx itself from 127.0.0.1."""
    port = int(nginx.rsplit(":", 1)[1])
    body = {**DONATION, "gift_aid": True, "address_line1": "1 High Street",
            "postcode": "SW1A 1AA"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                            source_address=("127.0.0.2", 0))
    connection.request("POST", "/api/v1/donations/", body=json.dumps(body), headers={
        "Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"})
    answer = connection.getresponse()
    created = json.loads(answer.read())
    connection.close()

    assert answer.status == 201, created
    assert answer.getheader("X-Cache-Status") is None
    declaration = GiftAidDeclaration.objects.get(donation_id=created["id"])
    assert declaration.ip_address == "127.0.0.2"


# --- one copy per language (issue 16, docs/languages.md) ----------------------------------


@pytest.mark.django_db
def test_django_keeps_one_appeal_page_per_language_and_never_hands_one_to_another(demo):
    english = Client().get(PAGE, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    german = Client().get(PAGE, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    english_again = Client().get(PAGE)
    by_cookie = Client()
    by_cookie.cookies["django_language"] = "de"
    german_again = by_cookie.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")

    assert b'<html lang="en"' in english.content and b"Give now" in english.content
    assert b'<html lang="de"' in german.content and "Jetzt spenden".encode() in german.content
    assert english_again.content == english.content
    assert german_again.content == german.content
    for answer in (english, german):
        assert answer["Cache-Control"] == "public, max-age=0, s-maxage=5"
        assert not answer.cookies
        assert "cookie" not in answer.get("Vary", "").lower()


def test_nginx_maps_the_same_languages_as_django(settings):
    template = (ROOT / "config/nginx/lifeline.conf.template").read_text()
    for code, _name in settings.LANGUAGES:
        assert f"{code};" in template, code


@pytest.mark.django_db(transaction=True)
def test_nginx_never_gives_a_german_reader_the_english_page_or_the_reverse(demo, nginx):
    english, status = _get(nginx + PAGE, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert (status, english.headers["Content-Language"]) == ("MISS", "en")
    german, status = _get(nginx + PAGE, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert status == "MISS"  # not the English copy
    assert '<html lang="de"' in german.text and "Jetzt spenden" in german.text

    # Each language's copy is served to that language's readers, however they ask for it.
    for headers, cookies, want in [
        ({"Accept-Language": "de"}, {}, german),
        ({"Accept-Language": "DE-at, fr;q=0.4"}, {}, german),
        ({"Accept-Language": "fr"}, {"django_language": "de"}, german),  # the switcher's cookie
        ({}, {}, english),
        ({"Accept-Language": "pt-BR"}, {}, english),  # none of ours: English
        ({"Accept-Language": "de"}, {"django_language": "en"}, english),
    ]:
        answer, status = _get(nginx + PAGE, headers=headers, cookies=cookies)
        assert status == "HIT", (headers, cookies)
        assert answer.content == want.content, (headers, cookies)

    # A raw header the map does not know does not make a copy of its own.
    arabic, status = _get(nginx + PAGE, headers={"Accept-Language": "ar-EG,ar;q=0.9"})
    assert status == "MISS" and '<html lang="ar" dir="rtl">' in arabic.text
    assert _get(nginx + PAGE, headers={"Accept-Language": "ar-SA"})[1] == "HIT"
