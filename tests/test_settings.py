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
