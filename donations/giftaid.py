"""The Gift Aid declaration a donor makes: its wording (HMRC's model declaration).

Read by the donation's creation (which records it with the gift) and by the appeal page
(which shows it); it imports nothing of the project, so both may.
"""

from django.conf import settings

GIFT_AID_WORDING = (
    "I want to Gift Aid my donation and any donations I make in the future or have made in "
    "the past 4 years to {charity}. I am a UK taxpayer and understand that if I pay less "
    "Income Tax and/or Capital Gains Tax than the amount of Gift Aid claimed on all my "
    "donations in that tax year it is my responsibility to pay any difference."
)


def gift_aid_wording(charity_name: str) -> str:
    return GIFT_AID_WORDING.format(charity=charity_name)


def declaration_version() -> str:
    """The version of the wording in force (recorded with each declaration)."""
    return settings.GIFT_AID_DECLARATION_VERSION
