"""`python manage.py publisher_token SOURCE`: make (or rotate) a publisher's read-only key."""

from django.core.management.base import BaseCommand, CommandError

from attribution.services import publisher_token_rotate


class Command(BaseCommand):
    help = ("Make the publisher of SOURCE (its utm_source) if new and give it a new read-only "
            "key for GET /api/v1/publishers/SOURCE/stats/; an earlier key stops working. "
            "The key is the last line printed, and is shown only this once.")

    def add_arguments(self, parser):
        parser.add_argument("source", help="The utm_source the publisher's links carry.")
        parser.add_argument("--name", default="", help="The publication's name, for readers.")
        parser.add_argument("--domain", default="", help="Its site, e.g. news.example.")

    def handle(self, *args, source, name, domain, **options):
        source = source.strip()
        if not source or len(source) > 200 or "\x00" in source:
            raise CommandError("SOURCE: the utm_source, 1 to 200 characters.")
        publisher, key = publisher_token_rotate(source=source, name=name.strip(),
                                                domain=domain.strip())
        self.stderr.write(f"New key for {publisher.display_name} ({publisher.source}); "
                          "any earlier key no longer works. Send it as "
                          "'Authorization: Token <key>'. It is not stored and cannot be shown again.")
        self.stdout.write(key)
