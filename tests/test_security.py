"""Security headers, the admin login throttle, optional two-factor for staff, the audit log."""

import time

import pytest
from django.contrib.auth.models import Group
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from finance.models import ExportLog

PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("amira", "amira@charity.example", PASSWORD,
                                                 is_staff=True)


def log_in(client, password=PASSWORD, code="", username="amira"):
    return client.post("/admin/login/?next=/admin/", {
        "username": username, "password": password, "otp_token": code, "next": "/admin/"})


def code_for(device, steps_ahead=0):
    # The code an authenticator app shows now (or `steps_ahead` 30-second steps later: a code
    # once used is refused, so a second login in the same step needs the next one).
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


# Headers


@pytest.mark.django_db
def test_every_page_has_the_csp_nosniff_referrer_policy_and_refuses_framing(client, demo):
    for path in ("/", "/appeals/emergency-appeal/", "/admin/login/", "/api/v1/appeals/"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        policy = answer["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, path
        assert answer["X-Content-Type-Options"] == "nosniff"
        assert answer["Referrer-Policy"] == "same-origin"
        assert answer["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_stripe_js_is_the_only_other_origin_allowed(client, demo, settings):
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    policy = dict(
        part.strip().split(" ", 1)
        for part in client.get("/appeals/emergency-appeal/")["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self' https://js.stripe.com https://*.js.stripe.com"
    assert policy["frame-src"] == (
        "'self' https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com")
    assert policy["connect-src"] == "'self' https://api.stripe.com"
    assert policy["style-src"] == "'self'" and policy["img-src"] == "'self' data:"


@pytest.mark.django_db
def test_only_the_widget_may_be_framed_by_any_site(client, demo):
    widget = client.get("/appeals/emergency-appeal/embed/")
    assert "frame-ancestors *" in widget["Content-Security-Policy"]
    assert "X-Frame-Options" not in widget
    assert "script-src 'self'" in widget["Content-Security-Policy"]


# Login throttle (django-axes)


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_admin_login_even_for_the_right_one(client, staff):
    for _ in range(5):
        answer = log_in(client, password="guess")
        assert answer.status_code in (200, 429)
        assert "_auth_user_id" not in client.session
    locked = log_in(client)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another member of staff from the same address is not locked out.
    Group.objects.get(name="Appeal admins").user_set.create(
        username="ben", is_staff=True, password=staff.password)
    assert log_in(client, username="ben").status_code == 302


@pytest.mark.django_db
def test_a_right_password_before_the_limit_resets_the_count(client, staff):
    for _ in range(4):
        log_in(client, password="guess")
    assert log_in(client).status_code == 302
    client.logout()
    for _ in range(4):
        log_in(client, password="guess")
    assert log_in(client).status_code == 302


# Two-factor (django-otp)


@pytest.mark.django_db
def test_staff_without_a_device_log_in_with_a_password(client, staff):
    answer = log_in(client)
    assert answer.status_code == 302 and answer["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_staff_enrol_an_app_then_the_login_asks_for_its_code(client, staff, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait after a wrong code (see the next test)
    client.force_login(staff)
    page = client.get("/admin/two-factor/")
    assert "Two-factor is <strong>off</strong>" in page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert page.context["key"] in page.content.decode()

    wrong = client.post("/admin/two-factor/", {"token": "000000"})
    assert "not right" in wrong.content.decode()
    on = client.post("/admin/two-factor/", {"token": code_for(device)}, follow=True)
    assert "Two-factor is <strong>on</strong>" in on.content.decode()
    client.logout()

    no_code = log_in(client)
    assert no_code.status_code == 200
    assert "Enter the code from your authenticator app." in no_code.content.decode()
    assert "_auth_user_id" not in client.session
    assert "not right" in log_in(client, code="123456").content.decode()

    answer = log_in(client, code=code_for(device, steps_ahead=1))
    assert answer.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_wrong_code_makes_the_next_one_wait(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    assert "_auth_user_id" not in log_in(client, code="000000").wsgi_request.session
    refused = log_in(client, code=code_for(device))
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "Verification temporarily disabled" in refused.content.decode()


@pytest.mark.django_db
def test_a_session_from_before_enrolment_elsewhere_must_give_a_code(client, staff):
    client.force_login(staff)  # password only
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    assert client.get("/admin/").status_code == 302  # back to the login, for the code


@pytest.mark.django_db
def test_required_two_factor_refuses_staff_without_a_device(client, staff, settings):
    settings.ADMIN_REQUIRE_2FA = True
    answer = log_in(client)
    assert answer.status_code == 200 and "_auth_user_id" not in client.session


# Audit log


@pytest.mark.django_db
def test_the_audit_log_lists_exports_and_logins_filtered_by_actor_and_date(
    client, django_user_model, staff
):
    boss = django_user_model.objects.create_superuser("boss", "boss@charity.example", PASSWORD)
    ExportLog.objects.create(user=boss, actor="boss", kind=ExportLog.Kind.RECEIPTS_CSV,
                             filters={"from": "2026-01-01"}, row_count=3)
    ExportLog.objects.create(actor="finance-cron", kind=ExportLog.Kind.GIFT_AID_CSV,
                             source="command", row_count=1)
    log_in(client, password="guess")  # amira's failed login
    assert log_in(client, username="boss").status_code == 302

    page = client.get("/admin/audit/").content.decode()
    assert "Receipts CSV" in page and "from=2026-01-01; 3 rows" in page
    assert "Gift Aid schedule CSV" in page and "failed login" in page
    only_boss = client.get("/admin/audit/", {"actor": "boss"}).content.decode()
    assert "Receipts CSV" in only_boss and "Gift Aid schedule CSV" not in only_boss
    assert "failed login" not in only_boss
    earlier = client.get("/admin/audit/", {"date_to": "2020-01-01"}).content.decode()
    assert "Nothing recorded for these filters." in earlier


@pytest.mark.django_db
def test_staff_without_the_audit_permissions_cannot_read_it(client, staff):
    client.force_login(staff)
    assert client.get("/admin/audit/").status_code == 403
    assert "Audit log" not in client.get("/admin/").content.decode()
