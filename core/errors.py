"""The error model: domain exceptions, mapped to HTTP once (`exception_handler`, the project's
DRF exception handler), and the JSON 404 for a URL under /api/ that matches no route.

Services raise these; views let them through. Each answers DRF's {"field": ["message"]}
shape (`non_field_errors` unless the error names a field):

- `Invalid` (400): the request is wrong;
- `Refused` (409): the request is fine but the thing's state refuses it (paid, in progress);
- `Unprocessable` (422): the request contradicts an earlier one (a reused key);
- `NotFound` (404);
- `Unavailable` (503, with Retry-After): a service we depend on is away; nothing was done.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext_lazy
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(Exception):
    """A request a service will not carry out, with the message for the person who sent it."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_message = gettext_lazy("This request could not be carried out.")

    def __init__(self, message: str | None = None, *, field: str = "non_field_errors"):
        self.message = message or self.default_message
        self.field = field
        super().__init__(self.message)

    @property
    def detail(self) -> dict:
        return {self.field: [self.message]}

    def headers(self) -> dict:
        return {}


class Invalid(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST


class Refused(DomainError):
    status_code = status.HTTP_409_CONFLICT


class Unprocessable(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    default_message = "Not found."


class Unavailable(DomainError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_message = gettext_lazy("This service is unavailable for a moment; please try again.")
    retry_after = 30  # seconds, as config.middleware answers a database outage

    def headers(self) -> dict:
        return {"Retry-After": str(self.retry_after)}


def exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: DRF's {"field": ["message"]} shape for every error
    answer: domain errors at their status, Django ValidationErrors raised by services and
    bodies that could not be parsed (malformed, too deep, too large) as 400s."""
    if isinstance(exc, DomainError):
        return Response(exc.detail, status=exc.status_code, headers=exc.headers())
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ParseError):
        return Response({"non_field_errors": [str(exc.detail)]},
                        status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def page_not_found(request, exception):
    """handler404: the API answers JSON even for a URL that matches none of its routes."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
