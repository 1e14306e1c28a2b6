"""Links into the donations admin that other apps' admin pages show (finance's ledgers).

Kept out of donations/admin.py so that importing it registers no admin class twice and
pulls in none of the donations admin's views."""

from django.urls import reverse
from django.utils.html import format_html


def donation_change_link(donation_id) -> str:
    """The donation's id, linked to its admin page (its history, refunds and receipt)."""
    url = reverse("admin:donations_donation_change", args=[donation_id])
    return format_html('<a href="{}">{}</a>', url, donation_id)
