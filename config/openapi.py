"""drf-spectacular post-processing: the error answers every API operation can give.

The views document their success bodies; the errors come from shared machinery (DRF's
validation and 404s, the card-testing defence, idempotency keys, the Finance permission), so
they are added here in one place, and the schema fuzz test (tests/test_api_fuzz.py) holds
the API to them.
"""

import re

DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}},
          "required": ["detail"]}
FIELD_ERRORS = {
    "type": "object",
    "description": "DRF's shape: each field (or non_field_errors) with its messages.",
    "additionalProperties": True,
}
ERRORS = {
    "400": ("Bad input: field errors; nothing was created.", FIELD_ERRORS),
    "401": ("Not signed in (Finance endpoints).", DETAIL),
    "403": ("Signed in, but not in the Finance group.", DETAIL),
    "404": ("No such appeal, donation, regular gift or page.", DETAIL),
    "409": ("The Idempotency-Key was used with another body, or the donation cannot take "
            "this step now (a detail, or field errors).", FIELD_ERRORS),
    "429": ("Refused by a rate limit (the card-testing defence: too many attempts from this "
            "client, email or card; sign-in links: too many for this address or client). The "
            "Retry-After header says when to try again.", FIELD_ERRORS),
}
# Which errors each operation can give, by path: (regex, methods, statuses).
RULES = [
    (r"^/api/v1/appeals/\{slug\}/$", {"get"}, ["404"]),
    (r"^/api/v1/donations/$", {"post"}, ["400", "409", "429"]),
    (r"^/api/v1/donations/\{id\}/$", {"get"}, ["404"]),
    (r"^/api/v1/donations/\{id\}/pay/$", {"post"}, ["400", "404", "409", "429"]),
    (r"^/api/v1/regular-gifts/\{id\}/$", {"get"}, ["404"]),
    (r"^/api/v1/donor-links/$", {"post"}, ["400", "429"]),
    # A page number past the end is DRF's 404.
    (r"^/api/v1/finance/receipts/$", {"get"}, ["400", "401", "403", "404"]),
    (r"^/api/v1/finance/gift-aid/claims/$", {"post"}, ["400", "401", "403"]),
    (r"^/finance/exports/", {"get"}, ["400", "401", "403"]),
]


def add_error_responses(result, generator, request, public):
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            for pattern, methods, statuses in RULES:
                if method in methods and re.match(pattern, path):
                    responses = operation.setdefault("responses", {})
                    for status in statuses:
                        description, schema = ERRORS[status]
                        responses.setdefault(status, {
                            "description": description,
                            "content": {"application/json": {"schema": schema}},
                        })
    return result
