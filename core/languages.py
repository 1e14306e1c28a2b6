"""The donor's languages (settings.LANGUAGES): which one a request speaks, as a gift records it."""

from django.conf import settings
from django.utils import translation

from core.money import request_language


def supported_language(code: str | None) -> str:
    """One of settings.LANGUAGES' codes for a language code ("de-AT" -> "de"); English for
    any other."""
    try:
        return translation.get_supported_language_variant(code or settings.LANGUAGE_CODE)
    except LookupError:
        return "en"


def gift_language(request) -> str:
    """The language a gift made by this request is receipted in: the page's (the donation
    form sends its `<html lang>` as Accept-Language), else the language cookie or
    Accept-Language, as LocaleMiddleware chose."""
    return supported_language(request_language(request))
