"""Admins type money as people write it (major units), through the real admin forms.

The models keep minor units; the goal, suggested amounts and refunds are read by the same
parser as the donation form (core.money.parse_amount).
"""

import pytest
from django.urls import reverse

from appeals.models import Appeal

ADD = reverse("admin:appeals_appeal_add")


def appeal_form(*, goal, suggestions=(), currency="GBP", slug="earthquake-response", **extra):
    """The add/change form as the browser posts it, with its two inlines."""
    data = {
        # The English text (the other languages' fields may stay empty: appeals/translation.py).
        "title_en": "Earthquake response", "slug": slug,
        "summary_en": "Shelter after the earthquake.",
        "story_en": "The ground shook.", "image_alt_en": "", "currency": currency,
        "goal_amount": goal, "status": "draft",
        "designations-TOTAL_FORMS": "0", "designations-INITIAL_FORMS": "0",
        "suggested_amounts-TOTAL_FORMS": str(len(suggestions)),
        "suggested_amounts-INITIAL_FORMS": "0",
    }
    for i, amount in enumerate(suggestions):
        data |= {f"suggested_amounts-{i}-amount": amount,
                 f"suggested_amounts-{i}-impact_en": f"impact {i}",
                 f"suggested_amounts-{i}-position": str(i)}
    return data | extra


def errors_of(answer) -> list[str]:
    """Every error message on the admin page: the form's and the inlines'."""
    form = answer.context["adminform"].form
    messages = [m for field in form.errors.values() for m in field]
    for formset in answer.context["inline_admin_formsets"]:
        messages += [m for errors in formset.formset.errors for field in errors.values()
                     for m in field]
    return messages


@pytest.mark.parametrize("goal, suggestions, currency, minor_goal, minor_suggestions", [
    ("250000", ["20", "50"], "GBP", 25_000_000, [2000, 5000]),
    ("250,000.00", ["20.00", "1,000"], "GBP", 25_000_000, [2000, 100_000]),
    ("£5,000", ["£10", "12.50"], "GBP", 500_000, [1000, 1250]),
    ("5000", ["1", "10000"], "GBP", 500_000, [100, 1_000_000]),  # the smallest and largest gift
    ("1000000", ["3000", "10,000"], "JPY", 1_000_000, [3000, 10_000]),
])
def test_admin_types_goal_and_suggested_amounts_in_major_units(
    client, appeal_admin, goal, suggestions, currency, minor_goal, minor_suggestions
):
    client.force_login(appeal_admin)
    answer = client.post(ADD, appeal_form(goal=goal, suggestions=suggestions, currency=currency))

    assert answer.status_code == 302, errors_of(answer)
    appeal = Appeal.objects.get(slug="earthquake-response")
    assert (appeal.goal_amount, appeal.currency) == (minor_goal, currency)
    assert sorted(appeal.suggested_amounts.values_list("amount", flat=True)) == minor_suggestions


def test_the_change_form_shows_amounts_back_in_major_units_and_saves_them_unchanged(
    client, appeal_admin
):
    client.force_login(appeal_admin)
    client.post(ADD, appeal_form(goal="250000", suggestions=["20", "12.50"]))
    appeal = Appeal.objects.get(slug="earthquake-response")
    change = reverse("admin:appeals_appeal_change", args=[appeal.pk])

    page = client.get(change).content.decode()

    assert 'name="goal_amount" value="250000.00"' in page
    assert 'value="20.00"' in page and 'value="12.50"' in page
    assert 'value="25000000"' not in page and 'value="2000"' not in page
    ids = list(appeal.suggested_amounts.order_by("position").values_list("pk", flat=True))
    again = appeal_form(goal="250000.00", suggestions=["20.00", "12.50"])
    again |= {"suggested_amounts-INITIAL_FORMS": "2", "suggested_amounts-0-id": str(ids[0]),
              "suggested_amounts-1-id": str(ids[1]),
              "suggested_amounts-0-appeal": str(appeal.pk),
              "suggested_amounts-1-appeal": str(appeal.pk)}
    assert client.post(change, again).status_code == 302
    appeal.refresh_from_db()
    assert appeal.goal_amount == 25_000_000
    assert sorted(appeal.suggested_amounts.values_list("amount", flat=True)) == [1250, 2000]


@pytest.mark.parametrize("goal, suggestions, says", [
    ("250000", ["0.50"], "The smallest gift is £1.00: a donor could not give this amount."),
    ("250000", ["0.99"], "The smallest gift is £1.00"),
    ("250000", ["10001"], "The largest gift online is £10,000.00"),
    ("250000", ["20,5"], 'Use "," only between thousands'),
    ("250000", ["1e1"], "Enter an amount, like 25.00."),
    ("250000", ["２０"], "digits 0-9"),
    ("250000", ["-20"], "greater than zero"),
    ("250000", ["12.505"], "GBP amounts have at most 2 decimal places."),
    ("0", [], "Enter a goal greater than zero."),
    ("2500,00", [], 'Use "," only between thousands'),
    ("1e6", [], "Enter an amount, like 25.00."),
    ("$250000", [], "Enter an amount, like 25.00."),
    ("", [], "This field is required."),
])
def test_an_amount_a_donor_could_not_give_or_a_text_that_is_not_an_amount_is_refused(
    client, appeal_admin, goal, suggestions, says
):
    client.force_login(appeal_admin)
    answer = client.post(ADD, appeal_form(goal=goal, suggestions=suggestions))

    assert answer.status_code == 200
    assert any(says in message for message in errors_of(answer)), errors_of(answer)
    assert not Appeal.objects.exists()


def test_a_yen_suggestion_below_the_yen_minimum_is_refused(client, appeal_admin):
    client.force_login(appeal_admin)
    answer = client.post(ADD, appeal_form(goal="1000000", currency="JPY", suggestions=["50"]))
    assert answer.status_code == 200
    assert "The smallest gift is ¥100" in " ".join(errors_of(answer))
    assert not Appeal.objects.exists()
