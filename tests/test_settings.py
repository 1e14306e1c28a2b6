"""Start-up refusals and effective settings: what an operator notices when configuring Lifeline.

Each refusal is checked the way an operator meets it: `manage.py check` in a fresh process
with only the environment given here.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = secrets.token_urlsafe(64)
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": GOOD_SECRET,
    "DJANGO_ALLOWED_HOSTS": "give.lifeline.example",
    "STRIPE_SECRET_KEY": "sk_test_51Hcharity",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_51Hcharity",
    "STRIPE_WEBHOOK_SECRET": "whsec_endpoint_of_the_charity",
}


def run(*args, **env_vars):
    """Run a command in the repo root with a clean configuration plus `env_vars`."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("STRIPE_", "DJANGO_", "CELERY_"))
        and k not in ("DATABASE_URL", "EMAIL_URL")
    }
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def check(**env_vars):
    return run("manage.py", "check", **env_vars)


# --- live Stripe keys -------------------------------------------------------------------------


def test_check_passes_with_the_stand_in():
    result = check()
    assert result.returncode == 0, result.stderr


def test_check_passes_with_a_test_key():
    result = check(STRIPE_SECRET_KEY="sk_test_abc123", STRIPE_PUBLISHABLE_KEY="pk_test_abc",
                   STRIPE_WEBHOOK_SECRET="whsec_abc")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("key", ["sk_live_abc123", "rk_live_abc123"])
def test_a_live_key_is_refused_naming_the_key(key):
    result = check(STRIPE_SECRET_KEY=key)

    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY" in result.stderr
    assert "STRIPE_ALLOW_LIVE" in result.stderr  # says how to mean it
    assert "abc123" not in result.stderr  # and does not print the secret


@pytest.mark.parametrize("allow", ["0", "false", ""])
def test_a_live_key_is_refused_unless_allowed_in_so_many_words(allow):
    result = check(STRIPE_SECRET_KEY="sk_live_abc123", STRIPE_ALLOW_LIVE=allow)
    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("key", ["sk_live_abc123", "rk_live_abc123"])
def test_a_live_key_is_accepted_with_stripe_allow_live(key):
    result = check(STRIPE_SECRET_KEY=key, STRIPE_ALLOW_LIVE="1",
                   STRIPE_PUBLISHABLE_KEY="pk_live_abc", STRIPE_WEBHOOK_SECRET="whsec_abc")
    assert result.returncode == 0, result.stderr


def test_the_web_server_also_refuses_a_live_key():
    """The WSGI application (what gunicorn loads) goes through the same settings."""
    result = run("-c", "import config.wsgi", STRIPE_SECRET_KEY="sk_live_abc123")
    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY" in result.stderr


def test_the_worker_also_refuses_a_live_key():
    """The Celery app loads the same settings when the worker reads its configuration."""
    result = run("-c", "from config.celery_app import app; app.conf.task_acks_late",
                 STRIPE_SECRET_KEY="sk_live_abc123")
    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY" in result.stderr


# --- production ---------------------------------------------------------------------------


@pytest.mark.parametrize("changes, must_say", [
    ({"DJANGO_DEBUG": "1"}, "DJANGO_DEBUG"),
    ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
    ({"DJANGO_SECRET_KEY": "django-insecure-lifeline-local-only"}, "DJANGO_SECRET_KEY"),
    ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
    ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS"),
    ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS"),
], ids=["debug on", "no secret key", "default secret key", "short secret key",
        "no allowed hosts", "empty allowed hosts"])
def test_production_refuses_to_start_saying_what_to_set(changes, must_say):
    env = {**PRODUCTION, **changes}
    env = {k: v for k, v in env.items() if v is not None}

    result = check(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert must_say in result.stderr
    assert "set" in result.stderr.split("ImproperlyConfigured")[-1]


STAND_IN_REFUSALS = {
    # What `make run` uses when STRIPE_SECRET_KEY is unset: the stand-in and its public secret.
    "no Stripe key": ({"STRIPE_SECRET_KEY": None}, "STRIPE_SECRET_KEY"),
    "an empty Stripe key": ({"STRIPE_SECRET_KEY": ""}, "STRIPE_SECRET_KEY"),
    "the stand-in's key": ({"STRIPE_SECRET_KEY": "sk_test_localstripe"}, "STRIPE_SECRET_KEY"),
    "no webhook secret": ({"STRIPE_WEBHOOK_SECRET": None}, "STRIPE_WEBHOOK_SECRET"),
    "the stand-in's public webhook secret": ({"STRIPE_WEBHOOK_SECRET": "whsec_localstripe_dev"},
                                              "STRIPE_WEBHOOK_SECRET"),
    "no publishable key": ({"STRIPE_PUBLISHABLE_KEY": None}, "STRIPE_PUBLISHABLE_KEY"),
    "the stand-in's publishable key": ({"STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe"},
                                       "STRIPE_PUBLISHABLE_KEY"),
    "the API base at the stand-in": ({"STRIPE_API_BASE": "http://127.0.0.1:8420"},
                                     "STRIPE_API_BASE"),
}


@pytest.mark.parametrize("changes, must_say", STAND_IN_REFUSALS.values(), ids=STAND_IN_REFUSALS)
def test_production_refuses_the_stripe_stand_in_saying_what_to_set(changes, must_say):
    """Before, production with no STRIPE_SECRET_KEY ran on the stand-in, accepting webhooks
    signed with the repo's public secret, and `check --deploy` passed."""
    env = {k: v for k, v in {**PRODUCTION, **changes}.items() if v is not None}

    for result in (check(**env),
                   run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **env)):
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        refusal = result.stderr.split("ImproperlyConfigured")[-1]
        assert must_say in refusal and "set" in refusal
        assert "sk_test_51Hcharity" not in result.stderr  # and no secret is printed


def test_production_names_every_missing_stripe_setting_at_once():
    env = {k: v for k, v in PRODUCTION.items() if not k.startswith("STRIPE_")}
    refusal = check(**env).stderr.split("ImproperlyConfigured")[-1]
    assert all(name in refusal for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY",
                                            "STRIPE_WEBHOOK_SECRET"))


def test_charity_address_is_read_from_the_environment():
    address = "Lifeline Relief, 12 Harbour Road, Bristol BS1 5TY"
    shown = run("manage.py", "shell", "-c",
                "from django.conf import settings; print(settings.CHARITY_ADDRESS)",
                CHARITY_ADDRESS=address)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == address


@pytest.mark.parametrize("extra, expected", [
    ({}, "Lifeline Relief <receipts@lifeline.invalid> http://127.0.0.1:8000"),
    ({"CHARITY_NAME": "Aid Now", "SITE_URL": "https://give.aid.example/"},
     "Aid Now <receipts@lifeline.invalid> https://give.aid.example"),
    ({**PRODUCTION, "DJANGO_ALLOWED_HOSTS": "give.lifeline.example,www.lifeline.example"},
     "Lifeline Relief <receipts@lifeline.invalid> https://give.lifeline.example"),
])
def test_receipts_come_from_the_charity_by_name_and_link_to_the_site(extra, expected):
    shown = run("manage.py", "shell", "-c", "from django.conf import settings; "
                "print(settings.DEFAULT_FROM_EMAIL, settings.SITE_URL)", **extra)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == expected


def test_production_starts_when_configured_and_passes_the_deploy_checks():
    plain = check(**PRODUCTION)
    deploy = run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert plain.returncode == 0, plain.stderr
    assert deploy.returncode == 0, deploy.stderr + deploy.stdout


def test_production_with_debug_explicitly_off_starts():
    result = check(**PRODUCTION, DJANGO_DEBUG="0")
    assert result.returncode == 0, result.stderr


# --- effective values -------------------------------------------------------------------------


def test_celery_settings_reach_the_celery_app():
    """A misspelt CELERY_* name would be silently ignored: read them back from the app."""
    from config.celery_app import app

    assert settings.CELERY_TASK_TIME_LIMIT == 120
    assert settings.CELERY_TASK_ACKS_LATE is False  # the database is the record: see base.py
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.task_acks_late is False
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.timezone == settings.TIME_ZONE


def test_the_scheduled_reconciliation_names_a_real_task():
    from config.celery_app import app

    app.loader.import_default_modules()
    [entry] = [e for e in app.conf.beat_schedule.values() if "reconcile" in e["task"]]
    assert entry["task"] in app.tasks
    assert entry["schedule"] <= 600  # "every few minutes"


def test_defaults_are_the_charitys_and_stripe_points_at_the_stand_in():
    assert settings.TIME_ZONE == "Europe/London"
    assert settings.USE_TZ is True
    assert settings.STRIPE_USES_STAND_IN is True
    assert settings.STRIPE_SECRET_KEY.startswith("sk_test_")
    assert settings.X_FRAME_OPTIONS == "DENY"


def test_request_deadlines_are_read_from_the_environment_and_checked():
    assert settings.REQUEST_DEADLINE_SECONDS == {"api_write": 20.0, "read": 10.0}
    assert settings.REQUEST_CONCURRENCY_PER_PROCESS == 0  # off unless set
    shown = run("manage.py", "shell", "-c",
                "from django.conf import settings; "
                "print(settings.REQUEST_DEADLINE_SECONDS['api_write'])",
                REQUEST_DEADLINE_API_WRITE_SECONDS="12.5")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == "12.5"
    refused = check(REQUEST_DEADLINE_READ_SECONDS="-1")
    assert refused.returncode != 0
    assert "REQUEST_DEADLINE_READ_SECONDS" in refused.stderr
