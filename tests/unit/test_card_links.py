"""The emailed link to a monthly gift's card page (donations/services/card_links.py): signed,
for one gift, valid REGULAR_GIFT_CARD_LINK_DAYS days."""

import time
import uuid

from django.core import signing

from donations.models import RegularGift
from donations.services.card_links import CARD_LINK_SALT, card_link_token, card_link_valid


def signed_days_ago(value: str, days: float) -> str:
    class Then(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time() - days * 86400))

    return Then(salt=CARD_LINK_SALT).sign_object(value)


def test_a_fresh_link_opens_its_own_gift_only():
    gift, other = RegularGift(pk=uuid.uuid4()), RegularGift(pk=uuid.uuid4())
    token = card_link_token(gift)

    assert card_link_valid(regular_gift_id=gift.pk, token=token)
    assert not card_link_valid(regular_gift_id=other.pk, token=token)


def test_a_link_works_seven_days_and_not_longer(settings):
    settings.REGULAR_GIFT_CARD_LINK_DAYS = 7
    gift_id = uuid.uuid4()

    assert card_link_valid(regular_gift_id=gift_id, token=signed_days_ago(str(gift_id), 6.9))
    assert not card_link_valid(regular_gift_id=gift_id, token=signed_days_ago(str(gift_id), 7.1))


def test_a_tampered_or_borrowed_token_is_refused():
    gift_id = uuid.uuid4()
    token = card_link_token(RegularGift(pk=gift_id))
    # Signed by us, for another purpose (another salt): not a card link.
    other_purpose = signing.dumps(str(gift_id), salt="lifeline.something-else")

    for bad in ("", "x", token[:-1] + ("A" if token[-1] != "A" else "B"), other_purpose,
                token + "x" * 600):
        assert not card_link_valid(regular_gift_id=gift_id, token=bad)
