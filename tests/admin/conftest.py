import pytest
from django.contrib.auth.models import Group

from tests.helpers import create_donation, give_card


@pytest.fixture
def appeal_admin(django_user_model):
    """A staff member of the `Appeal admins` group (made by a migration)."""
    user = django_user_model.objects.create_user(
        "amira", "amira@charity.example", "correct horse battery", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Appeal admins"))
    return user


@pytest.fixture
def viewer(django_user_model):
    """Staff who may read donations but not refund them."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(
        "vic", "vic@charity.example", "correct horse battery", is_staff=True
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
