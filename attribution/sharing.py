"""Share links after a gift: plain links (no third-party script, nothing loaded from another
site until the donor clicks one) to the appeal, carrying the article that started the chain
(the gift's `utm_source`, `utm_campaign` and `ref`) with `utm_medium=share`, so the next
reader's view and gift are counted for that article (docs/publishers.md)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.utils.translation import gettext_lazy as _

SHARE_MEDIUM = "share"


def share_url(*, appeal_url: str, attribution: dict) -> str:
    """The appeal's absolute address with the chain's attribution; no donor's data in it."""
    params = {"utm_source": attribution.get("utm_source", ""), "utm_medium": SHARE_MEDIUM,
              "utm_campaign": attribution.get("utm_campaign", ""),
              "ref": attribution.get("ref", "")}
    return f"{appeal_url}?{urlencode({k: v for k, v in params.items() if v})}"


def share_links(*, url: str, title: str, message: str) -> list[tuple[str, str, str]]:
    """(key, name for people, href) of each way to share `url`: email, WhatsApp, X, Facebook.
    `message` is the text the donor sends with it (already in the page's language)."""
    text = f"{message} {url}"
    return [
        ("email", _("email"), f"mailto:?subject={quote(title)}&body={quote(text)}"),
        ("whatsapp", "WhatsApp", f"https://wa.me/?text={quote(text)}"),
        ("x", "X", f"https://x.com/intent/post?{urlencode({'text': message, 'url': url})}"),
        ("facebook", "Facebook",
         f"https://www.facebook.com/sharer/sharer.php?{urlencode({'u': url})}"),
    ]
