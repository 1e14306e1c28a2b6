"""Writes to appeals."""

from django.db import transaction
from django.utils import timezone, translation

from appeals.models import Appeal, Designation, SuggestedAmount


@transaction.atomic
def appeal_upsert(*, slug: str, title: str, summary: str, story: str, currency: str,
                  goal_amount: int, status: str, image_alt: str = "",
                  designations: list[tuple[str, str, str]] = (),
                  suggested: list[tuple[int, str]] = ()) -> Appeal:
    """Create or update an appeal with its designations and suggested amounts (idempotent).

    The text given is the English (the other languages' fall back to it:
    appeals/translation.py), whatever language is active.
    """
    with translation.override("en"):
        return _appeal_upsert(slug=slug, title=title, summary=summary, story=story,
                              currency=currency, goal_amount=goal_amount, status=status,
                              image_alt=image_alt, designations=designations,
                              suggested=suggested)


def _appeal_upsert(*, slug, title, summary, story, currency, goal_amount, status, image_alt,
                   designations, suggested) -> Appeal:
    appeal, _ = Appeal.objects.update_or_create(
        slug=slug,
        defaults={"title": title, "summary": summary, "story": story, "currency": currency,
                  "goal_amount": goal_amount, "image_alt": image_alt},
    )
    for position, (code, name, description) in enumerate(designations):
        Designation.objects.update_or_create(
            appeal=appeal, code=code,
            defaults={"name": name, "description": description, "position": position},
        )
    for position, (amount, impact) in enumerate(suggested):
        SuggestedAmount.objects.update_or_create(
            appeal=appeal, amount=amount, defaults={"impact": impact, "position": position}
        )
    appeal_set_status(appeal=appeal, status=status)
    return appeal


def appeal_translate(*, appeal: Appeal, language: str, title: str = "", summary: str = "",
                     designations: dict[str, tuple[str, str]] | None = None,
                     impacts: dict[int, str] | None = None) -> Appeal:
    """Set an appeal's text in one of settings.LANGUAGES (appeals/translation.py): its title,
    summary, designations' names and descriptions (by code) and suggested amounts' impact lines
    (by amount, in
    minor units). What is not given keeps what it had (empty: the English shows)."""
    fields = [f"{name}_{language}" for name, text in (("title", title), ("summary", summary))
              if text]
    with transaction.atomic():
        for field in fields:
            setattr(appeal, field, title if field.startswith("title_") else summary)
        if fields:
            appeal.save(update_fields=fields)
        for code, (name, description) in (designations or {}).items():
            appeal.designations.filter(code=code).update(
                **{f"name_{language}": name, f"description_{language}": description})
        for amount, impact in (impacts or {}).items():
            appeal.suggested_amounts.filter(amount=amount).update(**{f"impact_{language}": impact})
    return appeal


def appeal_set_status(*, appeal: Appeal, status: str) -> Appeal:
    """Publish or close an appeal, stamping when."""
    if appeal.status == status:
        return appeal
    now = timezone.now()
    appeal.status = status
    if status == Appeal.Status.LIVE and appeal.published_at is None:
        appeal.published_at = now
    if status == Appeal.Status.CLOSED:
        appeal.closed_at = now
        appeal.published_at = appeal.published_at or now
    appeal.save()
    return appeal


def appeal_set_successor(*, appeal: Appeal, successor: Appeal | None) -> Appeal:
    """Name the appeal that readers of this one are sent on to once it is closed (None: no
    successor).

    :raises ValidationError: the successor is this appeal, not live, or leads back here.
    """
    appeal.successor = successor
    appeal.validate_successor()
    appeal.save(update_fields=["successor", "updated_at"])
    return appeal
