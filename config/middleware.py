"""Outages answered as outages: 503 with a clear message, never a 500."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

logger = logging.getLogger(__name__)

# Not "nothing was charged": a pay whose charge went through just before the database did
# answers this too. Trying again reaches the same gift, so it never charges twice.
MESSAGE = gettext_lazy("We cannot take gifts for a moment. Please try again in a minute: "
                       "trying again will not charge you twice.")


class ServiceUnavailableMiddleware:
    """A database that cannot be reached (restarting, failing over) gives the donor a 503
    and a Retry-After, like Stripe being unreachable does, instead of a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable: %s", exception.__class__.__name__,
                     extra={"path": request.path})
        if request.path.startswith(("/api/", "/stripe/")):
            # The webhook too: Stripe delivers again after a non-2xx answer.
            response = JsonResponse({"non_field_errors": [MESSAGE]}, status=503)
        else:
            title = gettext("Try again in a minute")
            response = HttpResponse(
                f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{MESSAGE}</p>",
                status=503)
        response["Retry-After"] = "30"
        return response


class LanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, which first takes the language the cache in front chose.

    nginx keys its copy of the appeal page on one of our languages, mapped from the language
    cookie or the first language of Accept-Language, and says which in LANGUAGE_HEADER, so
    the page it keeps under "de" is the German one (docs/languages.md). Harmless from anyone
    else: it only picks one of LANGUAGES, as the cookie does.
    """

    def process_request(self, request):
        chosen = request.META.get(settings.LANGUAGE_HEADER, "").strip().lower()
        if chosen and chosen in dict(settings.LANGUAGES):
            translation.activate(chosen)
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)
