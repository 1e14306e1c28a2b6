"""Outages answered as outages: 503 with a clear message, never a 500."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

# Not "nothing was charged": a pay whose charge went through just before the database did
# answers this too. Trying again reaches the same gift, so it never charges twice.
MESSAGE = ("We cannot take gifts for a moment. Please try again in a minute: trying again "
           "will not charge you twice.")


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
            response = HttpResponse(
                f"<!doctype html><title>Try again in a minute</title><h1>Try again in a "
                f"minute</h1><p>{MESSAGE}</p>", status=503)
        response["Retry-After"] = "30"
        return response
