import pytest
from django.contrib.auth.models import Group

from tests.helpers import create_donation, give_card

PASSWORD = "correct horse battery"


@pytest.fixture
def appeal_admin(django_user_model):
    """A staff member of the `Appeal admins` group (made by a migration)."""
    user = django_user_model.objects.create_user(
        "amira", "amira@charity.example", PASSWORD, is_staff=True
    )
    user.groups.add(Group.objects.get(name="Appeal admins"))
    return user


@pytest.fixture
def viewer(django_user_model):
    """Staff who may read donations but not refund them."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(
        "vic", "vic@charity.example", PASSWORD, is_staff=True
    )
    user.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_donation", "view_appeal", "view_receipt"]))
    return user


@pytest.fixture
def paid_gift(demo, live_server):
    """A £25.00 gift paid by card through the API and the stand-in."""
    created = create_donation(live_server.url, email="giver@example.com")
    assert created.status_code == 201, created.text
    donation_id = created.json()["id"]
    paid = give_card(live_server.url, donation_id, "4242424242424242")
    assert paid.json()["status"] == "succeeded", paid.text
    return donation_id


@pytest.fixture
def sign_in(browser, live_server):
    """Signs a staff member in to the admin in a Chromium context of their own, as a person
    does (the login form), and gives back the page on the admin's index."""
    from playwright.sync_api import expect

    contexts = []

    def sign_in(user, *, password=PASSWORD, width=1280, height=900):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/admin/login/")
        page.get_by_label("Username").fill(user.get_username())
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("administration")
        return page

    yield sign_in
    for context in contexts:
        context.close()


@pytest.fixture
def admin_page(sign_in, appeal_admin):
    """An `Appeal admins` member signed in, at 1280×900."""
    return sign_in(appeal_admin)


def run_action(page, row: str, action: str) -> None:
    """Tick the change list's row named `row`, choose the action, press Go."""
    import re

    page.get_by_role("checkbox", name=re.compile(f"for an action - {re.escape(row)}")).check()
    page.locator("select[name=action]").select_option(action)
    page.get_by_role("button", name="Go").click()
