from django.core.management.base import BaseCommand

from donations.services.personal_data import (
    BLOCKED_ATTEMPT_RETENTION,
    DONOR_RETENTION,
    retention_purge,
)


class Command(BaseCommand):
    help = (f"Erase donors whose latest gift is older than {DONOR_RETENTION.days} days (as "
            "donor_data --erase does), and delete card-testing refusals older than "
            f"{BLOCKED_ATTEMPT_RETENTION.days} days. The scheduler runs it daily.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count; change nothing.")

    def handle(self, *args, dry_run, **options):
        result = retention_purge(dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"Would erase {result.donors} donor(s) ({result.donations} "
                              f"donation(s)) and would delete {result.blocked_attempts} blocked "
                              "card-testing attempt(s).")
        else:
            self.stdout.write(f"Erased {result.donors} donor(s) ({result.donations} donation(s)) "
                              f"and deleted {result.blocked_attempts} blocked card-testing "
                              "attempt(s).")
