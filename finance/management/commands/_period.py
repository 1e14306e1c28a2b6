"""Shared by finance's commands: --from/--to/--appeal validated as the web filters are."""

from django.core.management.base import CommandError
from rest_framework.exceptions import ValidationError

from finance.filters import Period, parse_period


def add_period_arguments(parser) -> None:
    parser.add_argument("--from", dest="from_", required=True, metavar="YYYY-MM-DD",
                        help="First day (inclusive, in TIME_ZONE).")
    parser.add_argument("--to", required=True, metavar="YYYY-MM-DD",
                        help="Last day (inclusive, in TIME_ZONE).")
    parser.add_argument("--appeal", default="", metavar="SLUG")


def period_from_options(options) -> Period:
    data = {"from": options["from_"], "to": options["to"]}
    if options.get("appeal"):
        data["appeal"] = options["appeal"]
    try:
        return parse_period(data, required=True)
    except ValidationError as exc:
        problems = "; ".join(f"--{field}: {' '.join(str(m) for m in messages)}"
                             for field, messages in exc.detail.items())
        raise CommandError(problems) from None
