from django.core.management.base import BaseCommand, CommandError

from donations.reconciliation import reconcile_pending


class Command(BaseCommand):
    help = "Bring every pending donation older than --older-than minutes in line with Stripe."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=30, metavar="MINUTES",
                            help="Only donations pending longer than this (default 30; 0: all).")

    def handle(self, *args, older_than, **options):
        if older_than < 0:
            raise CommandError("--older-than must be 0 or more minutes.")
        counts = reconcile_pending(older_than_minutes=older_than)
        self.stdout.write(
            f"Checked {counts['checked']} pending donation(s): {counts['changed']} updated, "
            f"{counts['errors']} could not be checked."
        )
        if counts["errors"]:
            raise CommandError("Stripe could not be reached for some donations; run again.")
