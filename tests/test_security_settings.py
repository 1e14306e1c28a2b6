"""Production headers as a browser on the real host sees them: HTTPS only, HSTS, secure
cookies, the CSP, nosniff and a referrer policy (a fresh process with production settings)."""

import json

import pytest

from tests.test_settings import PRODUCTION, run


@pytest.fixture(scope="module", autouse=True)
def collected_static():
    """Production serves hashed static files from the manifest `collectstatic` writes (as a
    deploy, and `make run`, do); a fresh clone has none yet."""
    result = run("manage.py", "collectstatic", "--noinput", "-v", "0", **PRODUCTION)
    assert result.returncode == 0, result.stderr

PROBE = """
import json
from django.test import Client
client = Client(HTTP_HOST="give.lifeline.example")
plain = client.get("/healthz")
login = client.get("/admin/login/", secure=True)
proxied = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "proxied": proxied.status_code,
    "headers": dict(login.headers),
    "csrf_cookie": {k: str(v) for k, v in login.cookies["csrftoken"].items()},
}))
"""


def probe(**env):
    result = run("manage.py", "shell", "-c", PROBE, **{**PRODUCTION, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_answers_over_https_only_with_hsts_and_secure_cookies():
    seen = probe()
    assert seen["plain"] == [301, "https://give.lifeline.example/healthz"]
    assert seen["proxied"] == 200  # the proxy said the client used HTTPS
    headers = seen["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    # Production runs on real Stripe only (it refuses the stand-in).
    assert "script-src 'self' https://js.stripe.com" in headers["Content-Security-Policy"]
    assert seen["csrf_cookie"]["secure"] == "True"


def test_real_stripe_keys_allow_stripe_hosts_only():
    seen = probe(STRIPE_SECRET_KEY="sk_test_123", STRIPE_PUBLISHABLE_KEY="pk_test_123")
    policy = seen["headers"]["Content-Security-Policy"]
    # Directives come in no fixed order; read them as a mapping.
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self' https://js.stripe.com https://*.js.stripe.com"
    assert "127.0.0.1" not in policy


def test_a_proxy_header_can_be_switched_off():
    seen = probe(DJANGO_SECURE_PROXY_SSL_HEADER="")
    assert seen["proxied"] == 301  # nobody is trusted to say the client used HTTPS
